"""Entities on the five real seed articles, with the real spaCy model.

The seed library is built once per session (one model load, one extraction);
tests that change it work on a copy.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from articles.analysis.entities import names
from articles.library import Library, LibraryError

from conftest import ROOT, S000, SEEDS
SEED_000 = Path(S000).stem


@pytest.fixture(scope="session")
def seeded(tmp_path_factory) -> Path:
    if not SEEDS.is_dir():
        pytest.skip(f"seed articles not found at {SEEDS} (expected ../shared beside the project)")
    path = tmp_path_factory.mktemp("seeded") / "lib"
    with Library(path) as lib:
        report = lib.add([str(SEEDS)])
        assert report.added == 5, report.to_json()
    return path


@pytest.fixture
def lib(seeded):
    """Read-only use of the shared seed library."""
    with Library(seeded) as lib:
        yield lib


@pytest.fixture
def copy(seeded, tmp_path) -> Path:
    dst = tmp_path / "lib"
    shutil.copytree(seeded, dst)
    return dst


def _seed_article(lib: Library, stem: str):
    for row in lib.rows():
        art = lib.get(row.id)
        if stem in (art.path or art.origin):
            return art
    raise AssertionError(f"seed {stem} not in the library")


def _names(refs, type_):
    return {r.name for r in refs if r.type == type_}


def test_seed_000_people_and_organisations(lib):
    art = _seed_article(lib, SEED_000)
    assert art.body.lstrip().startswith("date 2020-06-14") or "2020-06-14" in (art.date or "")
    refs = lib.article_entities(art.id)
    people = _names(refs, "person")
    assert {"Kim Jong Un", "Donald Trump", "Gordon Chang", "David Maxwell", "Donald Kirk"} <= people
    orgs = _names(refs, "organization")
    assert "Foundation for Defense of Democracies" in orgs
    beast = lib.find_entity("The Daily Beast")
    assert beast is not None and beast.type == "organization" and beast.name in orgs
    assert {"The Daily Beast", "Daily Beast"} <= {beast.name, *beast.aliases}
    for r in refs:
        assert r.name not in ("Un", "Beast")
        assert not r.name.endswith(("’s", "'s")), r.name


def test_short_forms_resolve_to_the_full_name(lib):
    refs = {r.name: r for r in lib.article_entities(_seed_article(lib, SEED_000).id)}
    texts = {r.name: {t for _, _, t in r.mentions} for r in refs.values()}
    # spaCy tags "Maxwell" as an ORG here; it is still David Maxwell.
    assert texts["David Maxwell"] == {"David Maxwell", "Maxwell"}
    assert {"Kim Jong Un", "Kim", "Un"} <= texts["Kim Jong Un"]
    assert {"Donald Trump", "Trump"} <= texts["Donald Trump"]
    assert {"Gordon Chang", "Chang"} <= texts["Gordon Chang"]
    assert refs["David Maxwell"].count == 3
    assert not {"Maxwell", "Trump", "Chang", "Kim"} & set(refs)


def test_kim_jong_un_is_one_person_across_the_library(lib):
    kim = lib.find_entity("Kim Jong-un")
    assert kim is not None and kim.name == "Kim Jong Un" and kim.type == "person"
    assert kim.articles == 5 == lib.count()
    assert "Kim Jong-un" in kim.aliases
    assert len(lib.entity_articles(kim.entity_id)) == 5
    people = [e for e in lib.library_entities(type="person") if "kim jong" in e.name.lower()]
    assert [e.name for e in people] == ["Kim Jong Un"]
    # Ellen Kim (seed 002) is someone else.
    ellen = lib.find_entity("Ellen Kim")
    assert ellen is not None and ellen.entity_id != kim.entity_id


def test_library_list_is_sorted_and_free_of_junk(lib):
    ents = lib.library_entities()
    keys = [(e.articles, e.mentions) for e in ents]
    assert keys == sorted(keys, reverse=True)
    for e in ents:
        assert e.name[:1].isupper() or any(c.isupper() for c in e.name), e.name
        assert e.name not in ("Un", "Beast") and not e.name.isdigit()
        assert not e.name.lower().startswith("the "), e.name
        assert e.type in names.TYPES
    # Dates and numbers are not entities.
    assert lib.find_entity("2019") is None and lib.find_entity("Friday") is None


def test_mention_offsets_are_exact(lib):
    total = 0
    for row in lib.rows():
        art = lib.get(row.id)
        for r in lib.article_entities(art.id):
            for start, end, text in r.mentions:
                assert art.body[start:end] == text
                total += 1
        extras = lib.article_extras(art)
        for e in extras["entities"]:
            for m in e["mentions"]:
                assert art.body[m["start"]:m["end"]] == m["text"]
    assert total > 200


def test_search_by_entity_fields(lib):
    seed0 = _seed_article(lib, SEED_000).id

    def hits(q):
        return {h.id for h in lib.search(q, limit=50).hits}

    assert len(hits('person:"Kim Jong Un"')) == 5
    assert len(hits('person:"Kim Jong-un"')) == 5
    assert seed0 in hits('org:"Daily Beast"') and seed0 in hits('org:"The Daily Beast"')
    assert seed0 in hits("entity:Maxwell")
    assert seed0 in hits('person:"Gordon Chang"')
    assert hits("place:Pyongyang")
    # Two neighbouring names do not form a phrase.
    assert not hits('person:"Un Donald"') and not hits('person:"Trump Gordon"')
    # Types are kept apart: the Daily Beast is not a person.
    assert not hits('person:"Daily Beast"')


def test_reimport_of_unchanged_text_extracts_nothing(copy):
    with Library(copy) as lib:
        before = lib.store.conn.execute("SELECT count(*) FROM entity_cache").fetchone()[0]
        lib.add([str(SEEDS)])
        assert lib.run_entity_stage() == 0
        assert lib.store.conn.execute("SELECT count(*) FROM entity_cache").fetchone()[0] == before == 5


def test_interrupted_stage_resumes_where_it_stopped(copy):
    with Library(copy) as lib:
        conn = lib.store.conn
        keep = conn.execute("SELECT body_hash FROM entity_cache ORDER BY body_hash LIMIT 3").fetchall()
        with lib.store.transaction():
            conn.execute("DELETE FROM entity_cache WHERE body_hash NOT IN (?,?,?)", [k[0] for k in keep])
        assert lib.run_entity_stage() == 2
        assert lib.find_entity("Kim Jong Un").articles == 5


def test_merge_and_hide_survive_reindex_reimport_and_rebuild(copy):
    with Library(copy) as lib:
        seed0 = _seed_article(lib, SEED_000).id
        merged = lib.merge_entities("Gordon Chang", "Donald Kirk")
        assert merged.name == "Gordon Chang" and "Donald Kirk" in merged.aliases
        hidden = lib.hide_entity("North Korea")
        assert hidden.hidden
        lib.rename_entity("Foundation for Defense of Democracies", "FDD")
        lib.retype_entity("Hanoi", "event")

        def check():
            names_ = {r.name: r for r in lib.article_entities(seed0)}
            assert "North Korea" not in names_ and "Donald Kirk" not in names_
            assert {t for _, _, t in names_["Gordon Chang"].mentions} >= {"Gordon Chang", "Donald Kirk"}
            assert "FDD" in names_ and names_["Hanoi"].type == "event"
            assert lib.find_entity("Donald Kirk").name == "Gordon Chang"
            assert lib.find_entity("Foundation for Defense of Democracies").name == "FDD"
            assert lib.find_entity("North Korea").hidden
            assert all(e.name != "North Korea" for e in lib.library_entities())
            assert seed0 in {h.id for h in lib.search('person:"Donald Kirk"').hits}
            assert seed0 in {h.id for h in lib.search('person:"Gordon Chang"').hits}
            assert not lib.search('place:"North Korea"').hits

        check()
        lib.reindex()
        check()
        lib.add([str(SEEDS)])
        check()
        lib.run_entity_stage(rebuild=True)
        check()
        lib.unhide_entity("North Korea")
        assert lib.search('place:"North Korea"').total == 5


def test_corrections_refuse_what_makes_no_sense(copy):
    with Library(copy) as lib:
        with pytest.raises(LibraryError, match="no entity"):
            lib.hide_entity("Nobody At All")
        with pytest.raises(LibraryError, match="unknown entity type"):
            lib.retype_entity("Hanoi", "planet")
        with pytest.raises(LibraryError, match="merge them instead"):
            lib.rename_entity("Hanoi", "Pyongyang")
        with pytest.raises(LibraryError, match="already one entity"):
            lib.merge_entities("Kim Jong Un", "Kim Jong-un")


def test_changed_body_gets_fresh_mentions(copy, tmp_path):
    with Library(copy) as lib:
        art = _seed_article(lib, SEED_000)
        from articles.model import Draft

        body = "Boris Johnson met Angela Merkel in Berlin. Johnson said little."
        lib.add_drafts([Draft(title=art.title, body=body, origin=art.origin, path=art.path)])
        # Until the stage runs, stale mentions of the old body are not shown.
        assert lib.article_entities(art.id) == []
        assert lib.run_entity_stage() == 1
        refs = {r.name: r for r in lib.article_entities(art.id)}
        assert refs["Boris Johnson"].count == 2 and "Berlin" in refs
        for r in refs.values():
            for s, e, t in r.mentions:
                assert body[s:e] == t
        assert lib.find_entity("Kim Jong Un").articles == 4


def _cli(lib_path: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args, "--library", str(lib_path)],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)


def test_cli_entities_show_and_corrections(copy):
    out = _cli(copy, "entities", "--json", "--type", "person")
    assert out.returncode == 0, out.stderr
    ents = json.loads(out.stdout)["entities"]
    assert ents[0]["name"] == "Kim Jong Un" and ents[0]["articles"] == 5
    assert set(ents[0]) >= {"name", "type", "articles", "mentions", "aliases"}
    assert all(e["type"] == "person" for e in ents)

    with Library(copy) as lib:
        seed0 = _seed_article(lib, SEED_000)
    out = _cli(copy, "show", seed0.id, "--json")
    doc = json.loads(out.stdout)
    assert {"Kim Jong Un", "David Maxwell"} <= {e["name"] for e in doc["entities"]}
    for e in doc["entities"]:
        for m in e["mentions"]:
            assert doc["body"][m["start"]:m["end"]] == m["text"]

    out = _cli(copy, "entities", seed0.id[:8], "--json", "--type", "org")
    assert {e["name"] for e in json.loads(out.stdout)["entities"]} >= {"Foundation for Defense of Democracies"}

    assert _cli(copy, "entities", "hide", "Donald Kirk").returncode == 0
    out = _cli(copy, "search", 'person:"Donald Kirk"', "--json")
    assert json.loads(out.stdout)["total"] == 0
    out = _cli(copy, "entities", "merge", "Kim Jong Un")
    assert out.returncode == 2 and "usage" in out.stderr
    out = _cli(copy, "entities", "--extract", "--json")
    assert out.returncode == 0 and json.loads(out.stdout) == {"extracted": 0}


def test_importing_the_package_does_not_load_spacy():
    code = ("import sys, articles.services.entities, articles.services.entity_stage, articles.library; "
            "from articles.library import Library; print('spacy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("raw, name", [
    ("North Korea’s", "North Korea"), ("Donald Trump's", "Donald Trump"), ("the Daily Beast", "Daily Beast"),
    ("“Kim Jong Un,", "Kim Jong Un"), ("U.S.", "U.S."), ("Breaking News Events and", "Breaking News Events"),
    ("Mr Blair.", "Blair"),
])
def test_trim_keeps_offsets_inside_the_span(raw, name):
    body = f"xx {raw} yy"
    s, e = names.trim(body, 3, 3 + len(raw))
    assert body[s:e] == name


def test_matching_keys():
    assert names.key("Kim Jong-un") == names.key("KIM JONG UN") == names.key("the Kim Jong Un")
    assert names.key("U.S.") == names.key("US")
    assert names.is_junk("bonhomie", "PERSON") and names.is_junk("2019", "DATE")
    assert names.is_junk("Home / News / World /", "ORG")
    assert not names.is_junk("Pyongyang", "GPE")


# -- incremental upkeep: a change costs what it touches, and ends where a rebuild would --
def _snapshot(conn) -> dict:
    """Everything derived that a user or the index can see, keyed by stable names."""
    ents = {k: (i, n, t, h) for i, k, n, t, h in conn.execute("SELECT id, key, name, type, hidden FROM entities")}
    aliases = {}
    for eid, alias in conn.execute("SELECT entity_id, alias FROM entity_aliases ORDER BY entity_id, rowid"):
        aliases.setdefault(eid, []).append(alias)
    mentions = set(conn.execute("SELECT article_id, entity_id, start, end, text FROM entity_mentions"))
    state = set(conn.execute("SELECT article_id, body_hash FROM entity_state"))
    return {"entities": ents, "aliases": aliases, "mentions": mentions, "state": state}


def _mention_rows(conn, exclude: str = "") -> list:
    # rowids change when a row is deleted and written again: equal rowids mean untouched rows.
    return conn.execute("SELECT rowid, article_id, entity_id, start FROM entity_mentions "
                        "WHERE article_id != ? ORDER BY rowid", (exclude,)).fetchall()


@pytest.fixture
def queued(monkeypatch):
    """Records the ids the entity upkeep sends to the search index (the real queue still gets them)."""
    from articles.store import Store

    seen: list[set] = []
    real = Store.enqueue

    def enqueue(self, ids):
        ids = list(ids)
        seen.append(set(ids))
        return real(self, ids)

    monkeypatch.setattr(Store, "enqueue", enqueue)
    return seen


def test_adding_an_article_touches_only_that_article(copy, queued):
    from articles.model import Draft

    with Library(copy) as lib:
        conn = lib.store.conn
        kim = lib.find_entity("Kim Jong Un")
        rows = _mention_rows(conn)
        report = lib.add_drafts([Draft(title="Visit", origin="test:visit",
                                       body="Angela Merkel visited Hanoi on Monday. Merkel said little.")])
        new_id = report.ids[0]
        queued.clear()
        assert lib.run_entity_stage() == 1
        # The new article is indexed with its entities; nobody else is sent back to the index.
        assert set().union(*queued) == {new_id}
        assert _mention_rows(conn, exclude=new_id) == rows
        refs = {r.name: r for r in lib.article_entities(new_id)}
        assert refs["Angela Merkel"].count == 2 and refs["Hanoi"].type == "place"
        hanoi = lib.find_entity("Hanoi")
        assert new_id in lib.entity_articles(hanoi.entity_id) and hanoi.articles >= 2
        assert lib.find_entity("Kim Jong Un") == kim
        assert new_id in {h.id for h in lib.search('person:"Angela Merkel"').hits}


def test_a_hide_requeues_only_the_articles_that_mention_it(copy, queued):
    with Library(copy) as lib:
        conn = lib.store.conn
        ellen = lib.find_entity("Ellen Kim")
        mentioning = set(lib.entity_articles(ellen.entity_id))
        assert 0 < len(mentioning) < lib.count()
        rows = _mention_rows(conn)
        queued.clear()
        lib.hide_entity("Ellen Kim")
        assert set().union(*queued) == mentioning
        assert _mention_rows(conn) == rows  # hiding moves no mention
        assert not lib.search('person:"Ellen Kim"').hits

        queued.clear()
        chang, kirk = lib.find_entity("Gordon Chang"), lib.find_entity("Donald Kirk")
        both = set(lib.entity_articles(chang.entity_id)) | set(lib.entity_articles(kirk.entity_id))
        lib.merge_entities("Gordon Chang", "Donald Kirk")
        assert set().union(*queued) == both
        assert lib.find_entity("Donald Kirk").entity_id == chang.entity_id


def test_incremental_upkeep_ends_where_a_full_rebuild_does(copy):
    import threading

    from articles.services.entities import refresh
    from articles.model import Draft

    with Library(copy) as lib:
        conn = lib.store.conn
        seed0 = _seed_article(lib, SEED_000)
        lib.add_drafts([
            Draft(title="Talks", origin="test:talks",
                  body="Kim Jong-un met Moon Jae-in in Panmunjom. Kim smiled. The Daily Beast reported it."),
            Draft(title="Blair", origin="test:blair",
                  body="Tony Blair spoke in London. Blair said the UN must act."),
            Draft(title="Blair again", origin="test:blair2", body="Blair was in Washington on Friday."),
        ])
        lib.run_entity_stage()
        lib.merge_entities("Gordon Chang", "Donald Kirk")
        lib.hide_entity("North Korea")
        lib.rename_entity("Foundation for Defense of Democracies", "FDD")
        lib.retype_entity("Hanoi", "event")
        # A changed body and a deleted article are taken back out of what they joined.
        lib.add_drafts([Draft(title=seed0.title, origin=seed0.origin, path=seed0.path,
                              body="Donald Trump met Kim Jong Un in Hanoi. Trump left early.")])
        gone = next(r.id for r in lib.rows() if r.id != seed0.id and r.title not in ("Talks", "Blair", "Blair again"))
        with lib.store.transaction():
            lib.store.delete([gone])
        lib.run_entity_stage()
        lib.unhide_entity("North Korea")
        incremental = _snapshot(conn)
        assert not any(aid == gone for aid, *_ in incremental["mentions"])
        refresh(lib.store, lib.sync_index, threading.Lock(), full=True)
        assert _snapshot(conn) == incremental


def test_a_key_that_becomes_a_place_sends_earlier_articles_back(tmp_path):
    """Short-form resolution asks whether the library mostly calls a word a place;
    when later articles change that answer, the articles that asked are resolved again."""
    import threading

    from articles.services.entities import refresh
    from articles.model import Draft

    with Library(tmp_path / "lib") as lib:
        lib.add_drafts([Draft(title="Bulls", origin="test:bulls",
                              body="Michael Jordan played for the Chicago Bulls. "
                                   "Fans in Jordan cheered when Jordan scored 30 points.")])
        lib.run_entity_stage()
        bulls = next(r.id for r in lib.rows())

        def jordans():
            return {r.name for r in lib.article_entities(bulls) if any(t == "Jordan" for _, _, t in r.mentions)}

        assert jordans() == {"Michael Jordan"}
        lib.add_drafts([Draft(title=f"Amman {i}", origin=f"test:amman{i}",
                              body=f"King Abdullah of Jordan visited Amman on day {i}. Jordan is a kingdom.")
                        for i in range(2)])
        lib.run_entity_stage()
        assert jordans() == {"Jordan"}
        incremental = _snapshot(lib.store.conn)
        refresh(lib.store, lib.sync_index, threading.Lock(), full=True)
        assert _snapshot(lib.store.conn) == incremental


def test_seeds_lose_what_was_wrong(lib):
    """Issue 14: an outlet typed a person, a person typed an organisation, a post
    listed as an organisation and an adjective as a group."""
    raw = lib.find_entity("Raw Story")
    assert raw is not None and raw.type == "organization"
    bennet = lib.find_entity("Bruce Bennet")
    assert bennet is not None and bennet.type == "person"
    everything = lib.library_entities(include_hidden=True)
    names_ = {e.name for e in everything}
    assert "National Intelligence Officer" not in names_
    assert not any(n.lower() == "inter-korean" for n in names_)
    for row in lib.rows():
        for r in lib.article_entities(row.id):
            assert r.name != "National Intelligence Officer"
            assert "inter-Korean" not in {t for _, _, t in r.mentions}
    maxwell = lib.find_entity("David Maxwell")
    assert maxwell is not None and maxwell.type == "person"
