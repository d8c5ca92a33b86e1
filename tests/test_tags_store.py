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
