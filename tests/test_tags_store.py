"""Tags in the store: add, remove, count, refuse empty names, queue the article for the index."""

import pytest

from articles.store import Store
from articles.store.tags import add_tags, article_tags, remove_tags, tag_counts


def test_tags_add_remove_count_and_queue(tmp_path):
    s = Store(tmp_path / "library.db")
    assert add_tags(s, "a1", ["Strike", " strike ", "Port"], 1.0) == ["port", "strike"]
    add_tags(s, "a2", ["port"], 2.0)
    assert tag_counts(s) == [("port", 2), ("strike", 1)]
    assert remove_tags(s, "a1", ["STRIKE"]) == ["port"]
    assert article_tags(s, "a2") == ["port"]
    queued = {r[0] for r in s.conn.execute("SELECT article_id FROM index_queue")}
    assert {"a1", "a2"} <= queued
    with pytest.raises(ValueError, match="empty"):
        add_tags(s, "a1", ["  "], 3.0)
    assert article_tags(s, "a1") == ["port"]


def test_tag_cli_add_remove_rename_search_and_show(tmp_path, capsys):
    from conftest import SEEDS, need, run_json

    lib = tmp_path / "lib"
    run_json(capsys, "--library", lib, "add", need(SEEDS))
    aid = run_json(capsys, "--library", lib, "list")["articles"][0]["id"]
    run_json(capsys, "--library", lib, "tag", aid, "Korea", "sanctions")
    assert run_json(capsys, "--library", lib, "show", aid)["tags"] == ["korea", "sanctions"]
    assert run_json(capsys, "--library", lib, "tags") == {
        "tags": [{"name": "korea", "articles": 1}, {"name": "sanctions", "articles": 1}]}
    hits = run_json(capsys, "--library", lib, "search", "tag:korea")["hits"]
    assert [h["id"] for h in hits] == [aid]
    run_json(capsys, "--library", lib, "tag", aid, "--remove", "korea")
    assert run_json(capsys, "--library", lib, "search", "tag:korea")["total"] == 0
    run_json(capsys, "--library", lib, "tags", "--rename", "sanctions", "economy")
    assert [h["id"] for h in run_json(capsys, "--library", lib, "search", "tag:economy")["hits"]] == [aid]
    # a whole story at once: every article of the story gets the tag
    out = run_json(capsys, "--library", lib, "tag", "--story", aid, "dprk")
    assert aid in {a["id"] for a in out["articles"]}
    # bad input: unknown id and an empty name fail without touching anything
    import main

    assert main.main(["--library", str(lib), "tag", "ffffffffffff", "x"]) == 1
    assert "no article with id 'ffffffffffff'" in capsys.readouterr().err
    assert main.main(["--library", str(lib), "tag", aid, "  "]) == 1
    assert "tag name cannot be empty" in capsys.readouterr().err
    assert run_json(capsys, "--library", lib, "show", aid)["tags"] == ["dprk", "economy"]


@pytest.mark.parametrize("name, shown", [("a\x1b[31mred", "U+001B"), ("abc\u202edef", "U+202E"),
                                         ("zero\u200bwidth", "U+200B"), ("bell\x07", "U+0007")])
def test_tag_names_with_control_or_bidi_characters_are_refused(tmp_path, capsys, name, shown):
    """An escape or a bidi override in a tag would be drawn in every list the tag
    appears in: the CLI refuses it in one clear line and stores nothing."""
    import main
    from conftest import S000, SEEDS, need, run_json

    lib = tmp_path / "lib"
    run_json(capsys, "--library", lib, "add", need(SEEDS / S000))
    aid = run_json(capsys, "--library", lib, "list")["articles"][0]["id"]
    assert main.main(["--library", str(lib), "tag", aid, "fine", name]) == 1
    err = capsys.readouterr().err
    assert "cannot contain control or invisible characters" in err and shown in err
    assert "\x1b" not in err and "\u202e" not in err and "Traceback" not in err
    assert run_json(capsys, "--library", lib, "tags") == {"tags": []}
    # a rename to such a name is refused too
    run_json(capsys, "--library", lib, "tag", aid, "fine")
    assert main.main(["--library", str(lib), "tags", "--rename", "fine", name]) == 1
    assert shown in capsys.readouterr().err
    assert run_json(capsys, "--library", lib, "show", aid)["tags"] == ["fine"]


def test_a_tag_stored_before_the_check_can_still_be_removed(tmp_path):
    s = Store(tmp_path / "library.db")
    s.conn.execute("INSERT INTO article_tags(article_id, name, added_at) VALUES ('a1', 'bad\x1b', 1)")
    s.conn.commit()
    assert remove_tags(s, "a1", ["bad\x1b"]) == []
