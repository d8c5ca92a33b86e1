"""The bulk writer's term-grouped pool writes the same index files as Whoosh's
sorting pool, byte for byte."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/ for its corpus

from articles.model import Article
from index.bulk import TermPool
from index.codec import NdCodec
from index.core import SearchIndex, to_document

from conftest import BBC


def _docs(n: int) -> list[dict]:
    if not BBC.is_dir():
        pytest.skip(f"shared BBC corpus not found at {BBC}")
    from bench import corpus

    docs = []
    for i, d in enumerate(corpus.drafts(n)):
        art = Article(id=f"{i:06x}", origin=d.origin, title=d.title, body=d.body, source=d.source,
                      author="Ann Writer" if i % 3 else None, date=d.date, url=None, path=None,
                      feed_id=i % 4 or None, body_hash="", added_at=0.0, updated_at=0.0)
        ents = {"person": "Tony Blair; Gordon Brown", "org": "Labour"} if i % 5 == 0 else None
        docs.append(to_document(art, ents))
    return docs


def _segment_files(folder: Path, docs: list[dict], pool: bool) -> dict[str, bytes]:
    index = SearchIndex(folder, "token")
    index.create()
    writer = index.open().writer(codec=NdCodec(), compound=False)
    if pool:
        writer.pool = TermPool(writer._tempstorage, writer.newsegment)
    for doc in docs:
        writer.add_document(**doc)
    writer.commit()
    index.close()
    # Segment files are named after a random segment id: key them by the rest.
    return {p.name.split(".", 1)[1]: p.read_bytes() for p in folder.iterdir()
            if p.name.startswith("MAIN_") and "." in p.name}


def test_term_pool_writes_the_files_whooshs_pool_writes(tmp_path):
    docs = _docs(400)
    want = _segment_files(tmp_path / "sorted", docs, pool=False)
    got = _segment_files(tmp_path / "grouped", docs, pool=True)
    assert set(want) >= {"trm", "pst", "_body_len.col", "date.col", "_stored.col"}
    assert got.keys() == want.keys()
    for ext in want:
        assert got[ext] == want[ext], ext


def test_term_pool_sorts_postings_added_out_of_order():
    pool = TermPool(None, None)
    items = [("body", b"b", 3, 1.0, b"x"), ("body", b"a", 2, 1.0, b"y"), ("title", b"a", 1, 2.0, None),
             ("body", b"b", 1, 1.0, b"z"), ("body", b"a", 0, 1.0, b"w")]
    for item in items:
        pool.add(item)
    assert list(pool.iter_postings()) == sorted(items)
    assert pool.fieldnames == {"body", "title"}
