"""Stories: coverage of one story grouped, different events about the same people kept apart."""

import json
import os

import pytest

import main
from articles import stories
from articles.library import Library
from articles.model import Draft
from conftest import SEEDS, need

DAILY_BEAST = {"000_c12654dd6b4e9989.txt", "001_0f7ff28299ea1317.txt"}
ALL_SEEDS = DAILY_BEAST | {"002_fe3e5e0b9db5b811.txt", "003_c5ac04b2de6090c8.txt",
                           "004_905271c1fcbdff5c.txt"}


def run_json(capsys, *argv):
    code = main.main([str(a) for a in argv] + ["--json"])
    out = capsys.readouterr().out
    assert code == 0
    return json.loads(out)


def _names(libdir):
    with Library(libdir) as lib:
        return {a.id: os.path.basename(a.path) for a in lib.store.iter_articles()}


@pytest.fixture(scope="module", params=["entities", "text"])
def seed_lib(request, tmp_path_factory):
    """The seeds imported with the entity stage, and without (text evidence only)."""
    lib = tmp_path_factory.mktemp("stories") / "lib"
    extra = [] if request.param == "entities" else ["--no-entities"]
    assert main.main(["add", str(need(SEEDS)), "--library", str(lib), "--json", *extra]) == 0
    return lib


def test_seed_stories_group_only_the_daily_beast_rereports(seed_lib, capsys):
    doc = run_json(capsys, "stories", "--library", seed_lib)
    names = _names(seed_lib)
    groups = [frozenset(names[i] for i in s["articles"]) for s in doc["stories"]]
    assert len(groups) == 4
    assert set(groups) == {frozenset(DAILY_BEAST)} | {frozenset({n}) for n in ALL_SEEDS - DAILY_BEAST}
    assert groups[0] == frozenset(DAILY_BEAST)  # biggest first
    for s in doc["stories"]:
        assert set(s) >= {"id", "title", "articles"}
        assert s["id"] in s["articles"] and s["title"]


def test_grouped_only_and_cached_membership(seed_lib, capsys):
    doc = run_json(capsys, "stories", "--grouped", "--library", seed_lib)
    assert len(doc["stories"]) == 1 and len(doc["stories"][0]["articles"]) == 2
    with Library(seed_lib) as lib:
        rows = lib.store.conn.execute("SELECT count(*), count(DISTINCT story_id) FROM story_member").fetchone()
        assert rows == (5, 4)  # persisted: every article placed, the two re-reports in one story
        assert stories.update(lib) == 0  # nothing to re-hash on a second call
        assert stories.place(lib) == 0  # nor to place again


def test_versions_say_what_each_outlet_adds(seed_lib, capsys):
    names = _names(seed_lib)
    by_name = {v: k for k, v in names.items()}
    doc = run_json(capsys, "stories", "--versions", by_name["001_0f7ff28299ea1317.txt"][:8],
                   "--library", seed_lib)
    versions = {names[v["id"]]: v for v in doc["versions"]}
    assert set(versions) == DAILY_BEAST
    original = versions["000_c12654dd6b4e9989.txt"]["adds"]
    rereport = versions["001_0f7ff28299ea1317.txt"]["adds"]
    # Only the original quotes David Maxwell's "major failure" line and Chang's coronavirus line.
    added = {q["text"][:30] for q in original["quotes"]}
    assert "The major failure for Kim Jong" in added
    assert any(t.startswith("… sanctions relief") for t in added)
    # The re-report cites outlets the original never mentions.
    assert {"Raw Story", "Global News"} <= {n.removeprefix("The ") for n in rereport["entities"]}
    assert not any("Maxwell" in n for n in rereport["entities"])  # both name him


def _draft(name, body, date=None):
    return Draft(title=name, body=body, origin=f"test:{name}", date=date)


def test_reprint_with_small_edits_joins_incrementally(tmp_path):
    src = need(SEEDS) / "002_fe3e5e0b9db5b811.txt"
    body = src.read_text(encoding="utf-8")
    edited = body.replace("President-elect", "Incoming president").replace("B-17", "this site")
    edited = "\n\n".join(edited.split("\n\n")[:-6])  # trimmed, as reprints are
    lib = Library(tmp_path / "lib")
    try:
        lib.add_drafts([_draft("original", body)])
        first = {s.id: s.articles for s in lib.stories()}
        assert len(first) == 1
        lib.add_drafts([_draft("reprint", edited)])
        assert stories.update(lib) == 1  # only the new article is hashed
        groups = [s.articles for s in lib.stories()]
        assert len(groups) == 1 and len(groups[0]) == 2
        # Deleting one version dissolves the group.
        with lib.store.transaction():
            lib.store.delete([groups[0][1]])
        assert [len(s.articles) for s in lib.stories()] == [1]
    finally:
        lib.close()


def test_dates_far_apart_keep_shared_passages_apart():
    ev = stories.judge("a", "b", shared=20, containment=0.2,
                       dates={"a": stories._parse_date("2020-06-14"), "b": stories._parse_date("2020-09-01")},
                       ents={})
    assert not ev.same_story and "days apart" in ev.reason
    near = stories.judge("a", "b", shared=20, containment=0.2,
                         dates={"a": stories._parse_date("2020-06-14"), "b": stories._parse_date("2020-06-15")},
                         ents={"a": {1, 2, 3}, "b": {2, 3, 4}})
    assert near.same_story
    copy = stories.judge("a", "b", shared=50, containment=0.9, dates={}, ents={"a": {1}, "b": {2}})
    assert copy.same_story and copy.reason == "near copy"
    stock = stories.judge("a", "b", shared=2, containment=0.3, dates={}, ents={})
    assert not stock.same_story
