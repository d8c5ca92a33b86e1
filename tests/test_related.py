"""Related articles, entity dossiers and follows, through the CLI's JSON."""

import pytest

import main
from articles.library import Library
from conftest import S000, S001, S002, S003, S004, SEEDS, need, run_json, seed_names


@pytest.fixture(scope="module")
def seeds(tmp_path_factory):
    lib = tmp_path_factory.mktemp("related") / "lib"
    assert main.main(["add", str(need(SEEDS)), "--library", str(lib), "--json"]) == 0
    names = seed_names(lib)
    return lib, names, {v: k for k, v in names.items()}


def test_related_ranks_the_other_version_first_and_says_why(seeds, capsys):
    lib, names, ids = seeds
    doc = run_json(capsys, "related", ids[S000][:8], "--library", lib)
    rel = doc["related"]
    assert [names[r["id"]] for r in rel][0] == S001
    assert len(rel) == 4 and ids[S000] not in {r["id"] for r in rel}
    for r in rel:
        assert set(r) >= {"id", "title", "score", "shared_entities"}
    assert [r["score"] for r in rel] == sorted((r["score"] for r in rel), reverse=True)
    top = rel[0]
    assert top["same_story"] and not any(r["same_story"] for r in rel[1:])
    # The rare names the two share explain the link better than Trump or North Korea.
    assert {"David Maxwell", "Daily Beast"} <= set(top["shared_entities"])
    assert top["shared_entities"].index("David Maxwell") < top["shared_entities"].index("Donald Trump")
    assert top["shared_terms"]


def test_related_limit(seeds, capsys):
    lib, _, ids = seeds
    assert len(run_json(capsys, "related", ids[S002], "--limit", "2", "--library", lib)["related"]) == 2


def test_dossier_of_a_person(seeds, capsys):
    lib, names, ids = seeds
    doc = run_json(capsys, "dossier", "Chang", "--library", lib)
    assert doc["entity"]["name"] == "Gordon Chang" and doc["entity"]["type"] == "person"
    arts = doc["articles"]
    assert [names[a["id"]] for a in arts] == [S000]
    a = arts[0]
    assert "Gordon Chang" in a["sentence"] and a["mentions"] >= 4
    assert doc["timeline"] == [{"month": "2020-06", "mentions": a["mentions"], "articles": 1}]
    co = [c["name"] for c in doc["co_mentioned"]]
    assert "Kim Jong Un" in co and "Gordon Chang" not in co
    assert len(doc["quotes"]) >= 5 and {q["speaker"] for q in doc["quotes"]} == {"Gordon Chang"}


def test_dossier_orders_oldest_first_with_the_mentioning_sentence(seeds, capsys):
    lib, names, ids = seeds
    doc = run_json(capsys, "dossier", "Kim Jong-un", "--library", lib)
    assert doc["entity"]["name"] == "Kim Jong Un"
    assert {names[a["id"]] for a in doc["articles"]} == {S000, S001, S002, S003, S004}
    dated = [a["date"] for a in doc["articles"] if a["date"]]
    assert dated == sorted(dated) and doc["articles"][0]["date"] == dated[0]
    for a in doc["articles"]:
        s, e = a["sentence_start"], a["sentence_end"]
        first = a["mention_spans"][0]
        assert s <= first[0] < first[1] <= e
    assert sum(t["mentions"] for t in doc["timeline"]) == doc["entity"]["mentions"]
    assert any(q["text"].startswith("We can never sell our dignity") for q in doc["quotes"])


def test_dossier_of_an_unknown_name_fails_clearly(seeds, capsys):
    lib, _, _ = seeds
    assert main.main(["dossier", "Nobody Atall", "--library", str(lib), "--json"]) == 1
    assert "Nobody Atall" in capsys.readouterr().err


def test_follow_counts_unread_and_unfollow(seeds, capsys):
    lib, names, ids = seeds
    row = run_json(capsys, "follow", "Maxwell", "--library", lib)
    assert row["name"] == "David Maxwell" and row["articles"] == 2 and row["unread"] == 2
    run_json(capsys, "mark", ids[S001][:8], "--read", "--library", lib)
    follows = run_json(capsys, "follows", "--library", lib)["follows"]
    assert [(f["name"], f["articles"], f["unread"]) for f in follows] == [("David Maxwell", 2, 1)]
    assert run_json(capsys, "unfollow", "david maxwell", "--library", lib)["unfollowed"] is True
    assert run_json(capsys, "follows", "--library", lib)["follows"] == []
    run_json(capsys, "mark", ids[S001][:8], "--unread", "--library", lib)


def test_text_only_library_still_has_dossiers_and_related(tmp_path, capsys):
    lib = tmp_path / "lib"
    assert main.main(["add", str(need(SEEDS)), "--library", str(lib), "--no-entities", "--json"]) == 0
    capsys.readouterr()
    doc = run_json(capsys, "dossier", "David Maxwell", "--library", lib)
    assert doc["entity"]["id"] is None and doc["entity"]["articles"] == 2
    assert all("David Maxwell" in a["sentence"] for a in doc["articles"])
    with Library(lib) as library:
        first = next(a.id for a in library.store.iter_articles() if a.path.endswith(S000))
        second = next(a.id for a in library.store.iter_articles() if a.path.endswith(S001))
    rel = run_json(capsys, "related", first, "--library", lib)["related"]
    assert rel[0]["id"] == second and rel[0]["shared_entities"] == []
