"""The fast index-time analysis and posting writer change nothing in the index.

index/analysis.py (FastPositions) and index/codec.py (NdCodec) replace Whoosh's
Token chain and its per-posting writing loop for speed, and store positions as
raw arrays; these tests check, over real BBC texts, that they produce exactly
the terms, frequencies, weights and positions stock Whoosh produces."""

import types

import pytest
from whoosh import index as whoosh_index
from whoosh.codec.whoosh3 import W3Codec
from whoosh.fields import TEXT
from whoosh.formats import Positions

from bench.corpus import load_bbc
from conftest import BBC, need
from index.analysis import FastPositions
from index.codec import NdCodec
from index.core import to_document
from index.schema import make_schema


@pytest.fixture(scope="module")
def bbc():
    need(BBC)
    return load_bbc(BBC)


def test_word_values_equal_the_token_chain_on_every_bbc_text(bbc):
    analyzer = make_schema()["body"].analyzer
    texts = [t for _, title, body in bbc for t in (title, body)]
    texts += ["", "   ", "the of and", "A a.b.c U.S. e-mail 3.14 x", "İstanbul ÉCOLE straße ﬁne",
              "isn't it? it's 2004's best", "a the be running runners ran"]
    for boost in (1.0, 2.0):
        stock, fast = Positions(field_boost=boost), FastPositions(field_boost=boost)
        for text in texts:
            want = _decoded(stock, stock.word_values(text, analyzer, mode="index"))
            assert _decoded(fast, fast.word_values(text, analyzer, mode="index")) == want, text[:80]


def _decoded(fmt, values):
    """word_values with each encoded value as the positions it holds."""
    return [(w, n, weight, fmt.decode_positions(v)) for w, n, weight, v in values]


def test_unknown_analyzer_or_value_takes_the_stock_path():
    from whoosh.analysis import StandardAnalyzer

    names = StandardAnalyzer(stoplist=None)
    stock, fast = Positions(), FastPositions()
    for value, ana in (("Kim Jong Un", names), (["a", "list"], make_schema()["body"].analyzer)):
        assert _decoded(fast, fast.word_values(value, ana, mode="index")) == \
            _decoded(stock, stock.word_values(value, ana, mode="index"))


def _postings(path, schema, codec, docs):
    ix = whoosh_index.create_in(str(path), schema)
    w = ix.writer(codec=codec)
    for d in docs:
        w.add_document(**d)
    w.commit()
    with ix.reader() as r:
        postings = [(f, t, d, w, tuple(schema[f].format.decode_positions(v))
                     if schema[f].format.supports("positions") else v)
                    for f, t, d, w, v in r.iter_postings()]
        lengths = [(r.doc_field_length(n, f), r.stored_fields(n)) for n in range(r.doc_count_all())
                   for f in ("title", "body")]
        return postings, lengths, r.field_length("body"), r.max_field_length("body")


def test_index_is_identical_to_stock_whoosh(bbc, tmp_path):
    docs = []
    for i, (rel, title, body) in enumerate(bbc[:400]):
        art = types.SimpleNamespace(id=f"{i:012d}", title=title, body=body, source="BBC News",
                                    author=None, date="2005-03-01", url=None, feed_id=None)
        docs.append(to_document(art))
    stock = make_schema()
    for f in stock.names():
        if f in ("title", "body"):
            stock[f].__class__ = TEXT
        if stock[f].format.supports("positions"):
            stock[f].format = Positions(field_boost=stock[f].format.field_boost)
    assert type(make_schema()["body"]).index is not TEXT.index
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    want = _postings(tmp_path / "a", stock, W3Codec(), docs)
    got = _postings(tmp_path / "b", make_schema(), NdCodec(), docs)
    assert got == want
    assert len(want[0]) > 50_000
