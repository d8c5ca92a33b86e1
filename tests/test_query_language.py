"""The query language as users write it: exact date ranges at every
granularity, errors that say what is wrong and where, and suggestions that are
words the library really spells. A real index on disk, through the CLI."""

from __future__ import annotations

import pytest

import main
from articles.library import Library
from articles.model import Draft
from conftest import run_json

DATES = ["2023-02-28", "2023-03-01", "2023-03-14", "2023-03-15", "2023-03-20", "2023-03-21",
         "2023-06-02", "2024-02-05", "2024-06-01", "2024-08-10", None]
WORDS = {
    "2023-02-28": "The dockworkers voted on Tuesday.",
    "2023-03-01": "Dockworkers walked out of the harbour.",
    "2023-03-14": "The government said the dockworkers would return.",
    "2023-03-15": "The government met the union at the harbour.",
    "2023-03-20": "A government minister visited the dockworkers.",
    "2023-03-21": "Talks with the government went on late.",
    "2023-06-02": "The harbour reopened after the government deal.",
    "2024-02-05": "The governess of the harbour master spoke to the press.",
    "2024-06-01": "Arsenal fans travelled by ferry to the harbour.",
    "2024-08-10": "Arsenal won again, the dockworkers cheered.",
    None: "An undated note about the harbour and the government.",
}


@pytest.fixture(scope="module")
def dated_lib(tmp_path_factory):
    path = tmp_path_factory.mktemp("query") / "lib"
    with Library(path) as lib:
        lib.add_drafts([Draft(title=f"Harbour report {d or 'undated'}", body=WORDS[d], date=d,
                              source="The Harbour Times" if i % 2 else "Port Wire",
                              origin=f"test:{i}") for i, d in enumerate(DATES)])
    return path


def dates(capsys, lib, query) -> list:
    res = run_json(capsys, "search", query, "--library", lib, "--limit", "50")
    return sorted(h["date"] for h in res["hits"] if h["date"])


@pytest.mark.parametrize("query, expected", [
    ("date:[2023-03-01 TO 2023-03-20]", ["2023-03-01", "2023-03-14", "2023-03-15", "2023-03-20"]),
    ("date:>2024-06", ["2024-08-10"]),
    ("date:>=2024-06", ["2024-06-01", "2024-08-10"]),
    ("date:<2023-03-15", ["2023-02-28", "2023-03-01", "2023-03-14"]),
    ("date:<=2023-03-15", ["2023-02-28", "2023-03-01", "2023-03-14", "2023-03-15"]),
    ("date:2023-03", ["2023-03-01", "2023-03-14", "2023-03-15", "2023-03-20", "2023-03-21"]),
    ("date:2024", ["2024-02-05", "2024-06-01", "2024-08-10"]),
    ("date:2023-03-14", ["2023-03-14"]),
    ("date:[2023-03 TO 2023-06]", ["2023-03-01", "2023-03-14", "2023-03-15", "2023-03-20",
                                    "2023-03-21", "2023-06-02"]),
    ("date:{2023-03-14 TO 2023-03-21}", ["2023-03-15", "2023-03-20"]),
    ("date:[2024-06 TO]", ["2024-06-01", "2024-08-10"]),
    ("date:[TO 2023-02]", ["2023-02-28"]),
    ("government date:2023-03", ["2023-03-14", "2023-03-15", "2023-03-20", "2023-03-21"]),
    ('"date:2023" OR dockworkers date:2024', ["2024-08-10"]),
])
def test_date_ranges_are_exact_to_the_day(dated_lib, capsys, query, expected):
    assert dates(capsys, dated_lib, query) == expected


def test_an_undated_article_never_matches_a_date(dated_lib, capsys):
    res = run_json(capsys, "search", "date:<2030", "--library", dated_lib, "--limit", "50")
    assert all(h["date"] for h in res["hits"]) and res["total"] == len(DATES) - 1


@pytest.mark.parametrize("query, says", [
    ('"unclosed', 'unclosed quote at column 1'),
    ("(harbour", "'(' at column 1 is never closed"),
    ("harbour)", "')' at column 8 closes nothing"),
    ("foo:bar", "unknown field 'foo' at column 1"),
    ("harbour title:", "title: at column 9 has no value"),
    ("date:garbage", "date:garbage at column 1: 'garbage' is not a date"),
    ("harbour date:[2023-01 TO soon]", "date:[2023-01 TO soon] at column 9: 'soon' is not a date"),
    ("date:2023-13", "month 13 is not 1 to 12"),
    ("harbour AND", "AND at column 9 has nothing after it"),
    ("the of and", "only words too common to search for"),
])
def test_malformed_queries_say_what_and_where(dated_lib, capsys, query, says):
    assert main.main(["search", query, "--library", str(dated_lib)]) == 2
    err = capsys.readouterr().err
    assert says in " ".join(err.split()) and "Traceback" not in err


def test_stop_words_no_longer_have_to_be_in_the_outlet_name(dated_lib, capsys):
    plain = run_json(capsys, "search", "dockworkers", "--library", dated_lib)["total"]
    assert run_json(capsys, "search", "the dockworkers", "--library", dated_lib)["total"] == plain == 5


@pytest.mark.parametrize("typed, meant", [
    ("dokworkers", "dockworkers"),  # a stem would be "dockwork"
    ("arsenel", "arsenal"),  # a stem would be "arsen"
    ("goverment", "government"),  # shares the stem "gover" with "governess"
    ("Harbor", "Harbour"),
])
def test_did_you_mean_offers_a_real_word(dated_lib, capsys, typed, meant):
    res = run_json(capsys, "search", typed, "--library", dated_lib)
    assert res["suggestion"] == meant


def test_words_the_library_spells_get_no_suggestion(dated_lib, capsys):
    for word in ("governess", "harbour", "dockworkers government"):
        assert run_json(capsys, "search", word, "--library", dated_lib)["suggestion"] is None
