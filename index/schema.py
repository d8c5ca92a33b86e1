"""What the Whoosh index holds.

Bodies are indexed but not stored: the store has them, and snippets are cut
from the store's copy, which keeps the index small and writes fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from whoosh.fields import Schema

# Bump when the schema or analysis changes: an index with another version is rebuilt.
INDEX_VERSION = 9

# Entity fields users can search: person:"Kim Jong Un", org:..., entity:Maxwell.
ENTITY_FIELDS = ("person", "org", "place", "group", "event", "other")


def make_schema() -> Schema:
    from whoosh.analysis import StandardAnalyzer, StemmingAnalyzer
    from whoosh.fields import DATETIME, ID, KEYWORD, NUMERIC, TEXT, Schema
    from whoosh.formats import Positions

    from .analysis import FastText
    from .codec import RawPositions

    stem = StemmingAnalyzer(cachesize=200_000)
    names = StandardAnalyzer(stoplist=None)
    # Outlet and author names drop stop words like the text fields do: an
    # unfielded query looks every word up in them too, and a kept "the" made
    # "the dockers" require "the" in the outlet's name (1 hit instead of 7).
    outlets = StandardAnalyzer()
    fields = dict(
        id=ID(stored=True, unique=True),
        # FastText: the same postings as TEXT, analysed without Whoosh's Token
        # chain (index/analysis.py); queries and highlighting use the analyzer.
        title=FastText(analyzer=stem, field_boost=2.0, phrase=True),
        body=FastText(analyzer=stem, phrase=True, spelling=False),
        source=TEXT(analyzer=outlets, stored=False),
        author=TEXT(analyzer=outlets),
        date=DATETIME(stored=True, sortable=True),
        # YYYYMMDD, 0 when undated: sorting newest first puts undated articles last
        # (Whoosh sorts a missing DATETIME before every date).
        datesort=NUMERIC(sortable=True, stored=False),
        url=ID(),
        feed=NUMERIC(),
        tag=KEYWORD(lowercase=True, commas=True),
        # The user's notes on the article and on its highlights, for note:WORD.
        note=TEXT(analyzer=stem),
        # Every entity name and alias of any type, for entity:NAME.
        entity=TEXT(analyzer=names, phrase=True),
    )
    for f in ENTITY_FIELDS:
        fields[f] = TEXT(analyzer=names, phrase=True)
    # Positions as raw arrays, which the search engine reads without unpickling
    # (FastText's format is a RawPositions already).
    for f in fields.values():
        if type(f.format) is Positions:
            f.format = RawPositions(field_boost=f.format.field_boost)
    return Schema(**fields)
