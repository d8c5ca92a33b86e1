"""Credits stored per article and linked to the credited article in the library.

All texts here are invented (outlets, people and events)."""

import json

import pytest

import main
from articles.services import sourcing
from articles.library import Library
from articles.model import Draft, article_id
from conftest import SEEDS, need

CREDITING = Draft(
    title="Carrow ferry to stop in June",
    body=("According to a report from Jane Ortiz, writing at the Harbour Times, the ferry between "
          "Carrow and Lindholm will stop running on 1 June after the operator Tidewater Lines lost "
          "its subsidy.\n\nThe Carrow crossing carried 41,000 passengers last year, the Harbour "
          "Times report notes. Councillor Ada Brandt called the decision a disaster for Lindholm."),
    origin="test:crediting", source="Lakeside Daily", date="2024-05-02")
ORIGINAL = Draft(
    title="Tidewater Lines to end Carrow–Lindholm ferry",
    body=("Tidewater Lines will stop the Carrow to Lindholm ferry on 1 June, the operator confirmed, "
          "after the regional subsidy was withdrawn.\n\nThe crossing carried 41,000 passengers last "
          "year. Lindholm councillor Ada Brandt said the island would be cut off."),
    origin="test:original", author="Jane Ortiz", date="2024-05-01",
    url="https://www.harbourtimes.com/news/ferry-to-end")
SAME_OUTLET_OTHER_TOPIC = Draft(
    title="Harbour rowing club wins regional cup",
    body="The Harbour rowing club won the regional cup on Saturday, beating six crews from the coast.",
    origin="test:rowing", source="Harbour Times", author="Sam Lowe", date="2024-04-20")
NEWER_SAME_TOPIC = Draft(
    title="Lindholm protests Carrow ferry closure",
    body=("Hundreds protested in Lindholm on Saturday against the end of the Carrow ferry run by "
          "Tidewater Lines; councillor Ada Brandt spoke."),
    origin="test:newer", source="Harbour Times", date="2024-05-20")


def _open(tmp_path):
    return Library(tmp_path / "lib")


def test_the_credited_report_is_linked_when_it_arrives_later(tmp_path):
    with _open(tmp_path) as lib:
        lib.add_drafts([CREDITING, SAME_OUTLET_OTHER_TOPIC, NEWER_SAME_TOPIC])
        aid = article_id(CREDITING.origin)
        first = lib.article_sources(aid)
        assert [(s["outlet"], s["author"], s["article_id"]) for s in first] == \
            [("Harbour Times", "Jane Ortiz", None)]  # same outlet, but another topic or newer
        lib.add_drafts([ORIGINAL])
        orig = article_id(ORIGINAL.origin)
        again = lib.article_sources(aid)
        assert again[0]["article_id"] == orig  # found by its web address and author
        assert again[0]["evidence"].startswith("a report from Jane Ortiz")


def test_credits_are_stored_and_rebuilt_when_the_body_changes(tmp_path):
    with _open(tmp_path) as lib:
        lib.add_drafts([CREDITING])
        art = next(lib.store.iter_articles())
        assert len(sourcing.credits_of(lib.store, art)) == 1
        rows = lib.store.conn.execute("SELECT outlet, author FROM article_credit").fetchall()
        assert rows == [("Harbour Times", "Jane Ortiz")]
        changed = Draft(**{**CREDITING.__dict__, "body": "The ferry will stop in June, the operator said."})
        lib.add_drafts([changed])
        art = lib.get(art.id)
        assert sourcing.credits_of(lib.store, art) == []
        assert lib.store.conn.execute("SELECT count(*) FROM article_credit").fetchone()[0] == 0


def test_a_credited_headline_finds_the_article_by_title(tmp_path):
    original = Draft(title="Ferry fares to double next spring", body="Fares on the Carrow ferry will double.",
                     origin="test:fares", source="Valley Post", date="2024-03-01")
    crediting = Draft(title="Fares", body=("Fares will rise, according to Valley Post's article "
                                           "“Ferry fares to double next spring”."),
                      origin="test:fares-credit", source="Coast Wire", date="2024-03-02")
    with _open(tmp_path) as lib:
        lib.add_drafts([original, crediting])
        by_title = {a.title: a.id for a in lib.store.iter_articles()}
        srcs = lib.article_sources(by_title["Fares"])
        assert srcs[0]["title"] == "Ferry fares to double next spring"
        assert srcs[0]["article_id"] == by_title["Ferry fares to double next spring"]


def test_story_roles_original_and_re_report_with_the_chain(tmp_path):
    with _open(tmp_path) as lib:
        lib.add_drafts([CREDITING, ORIGINAL, SAME_OUTLET_OTHER_TOPIC])
        ids = {a.title: a.id for a in lib.store.iter_articles()}
        prov = lib.story_provenance([ids[ORIGINAL.title], ids[CREDITING.title], ids[SAME_OUTLET_OTHER_TOPIC.title]])
        assert prov[ids[ORIGINAL.title]]["role"] == "original"
        assert prov[ids[ORIGINAL.title]]["credited_by"] == [ids[CREDITING.title]]
        rr = prov[ids[CREDITING.title]]
        assert rr["role"] == "re-report"
        assert rr["chain"] == [{"outlet": "Harbour Times", "author": "Jane Ortiz", "title": None,
                                "article_id": ids[ORIGINAL.title]}]
        assert prov[ids[SAME_OUTLET_OTHER_TOPIC.title]]["role"] is None


def test_show_json_and_text_carry_the_sources(tmp_path, capsys):
    libdir = tmp_path / "lib"
    with Library(libdir) as lib:
        lib.add_drafts([CREDITING, ORIGINAL])
        ids = {a.title: a.id for a in lib.store.iter_articles()}
    assert main.main(["show", ids[CREDITING.title], "--library", str(libdir), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [{k: s[k] for k in ("outlet", "author", "title", "article_id")} for s in doc["sources"]] == \
        [{"outlet": "Harbour Times", "author": "Jane Ortiz", "title": None, "article_id": ids[ORIGINAL.title]}]
    assert main.main(["show", ids[CREDITING.title], "--library", str(libdir)]) == 0
    out = capsys.readouterr().out
    assert "Sourced from: Harbour Times (Jane Ortiz) [in library]" in out
    assert main.main(["show", ids[ORIGINAL.title], "--library", str(libdir), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["sources"] == []


def test_seed_library_sources_and_versions(tmp_path, capsys):
    libdir = tmp_path / "lib"
    assert main.main(["add", str(need(SEEDS)), "--library", str(libdir), "--no-entities", "--json"]) == 0
    capsys.readouterr()
    with Library(libdir) as lib:
        by_file = {a.path.rsplit("/", 1)[-1][:3]: a.id for a in lib.store.iter_articles()}
        s001 = lib.article_sources(by_file["001"])
        assert {s["outlet"] for s in s001} >= {"Raw Story", "Global News"}
        assert all(s["article_id"] is None for s in s001)  # none of them is in the library
        versions = lib.story_versions(by_file["000"])
    roles = {v["id"]: v["role"] for v in versions}
    assert roles.get(by_file["000"]) == "re-report" and roles.get(by_file["001"]) == "re-report"
    assert main.main(["stories", "--versions", by_file["001"], "--library", str(libdir)]) == 0
    assert "re-report of Raw Story → The Daily Beast" in capsys.readouterr().out.replace("\n", " ")


def test_showing_sources_does_not_wait_for_another_writer(tmp_path):
    import sqlite3
    import time

    with _open(tmp_path) as lib:
        lib.add_drafts([CREDITING])
        aid = article_id(CREDITING.origin)
        other = sqlite3.connect(str(tmp_path / "lib" / "library.db"), isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another process is importing
        try:
            t = time.perf_counter()
            got = lib.article_sources(aid)
            took = time.perf_counter() - t
        finally:
            other.execute("ROLLBACK")
            other.close()
        assert [s["outlet"] for s in got] == ["Harbour Times"]  # found, just not kept
        assert took < 5  # the store's own busy wait is 60 s
        assert lib.store.conn.execute("SELECT count(*) FROM article_credit_done").fetchone()[0] == 0
        lib.article_sources(aid)  # the writer is gone: kept now
        assert lib.store.conn.execute("SELECT count(*) FROM article_credit_done").fetchone()[0] == 1


def test_credits_found_by_older_rules_are_found_again(tmp_path, monkeypatch):
    with _open(tmp_path) as lib:
        lib.add_drafts([CREDITING])
        art = lib.get(article_id(CREDITING.origin))
        assert len(sourcing.credits_of(lib.store, art)) == 1
        lib.store.conn.execute("DELETE FROM article_credit")  # as if older rules found nothing
        assert sourcing.credits_of(lib.store, art) == []  # same rules: the stored answer
        monkeypatch.setattr(sourcing, "RULES_VERSION", sourcing.RULES_VERSION + 1)
        assert len(sourcing.credits_of(lib.store, art)) == 1
