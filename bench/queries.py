"""The fixed query set: each Newsdesk query with its SQLite FTS5 counterpart.

FTS5 has no entity fields, stemmed field aliases or fuzzy matching, so entity
queries become phrase searches of the name, the fuzzy query becomes the word
it was meant to find, and the misspelling is searched as typed (FTS5 finds
nothing and suggests nothing; Newsdesk also computes a suggestion).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BenchQuery:
    kind: str
    newsdesk: str
    fts: str
    date_from: str | None = None  # FTS5 side: a range on the date column
    date_to: str | None = None


QUERIES: tuple[BenchQuery, ...] = (
    # single words, common
    BenchQuery("common", "government", "government"),
    BenchQuery("common", "people", "people"),
    BenchQuery("common", "year", "year"),
    BenchQuery("common", "market", "market"),
    BenchQuery("common", "film", "film"),
    # single words, rare
    BenchQuery("rare", "tsunami", "tsunami"),
    BenchQuery("rare", "ipod", "ipod"),
    BenchQuery("rare", "asylum", "asylum"),
    BenchQuery("rare", "referee", "referee"),
    BenchQuery("rare", "broadband", "broadband"),
    # phrases
    BenchQuery("phrase", '"prime minister"', '"prime minister"'),
    BenchQuery("phrase", '"interest rates"', '"interest rates"'),
    BenchQuery("phrase", '"world cup"', '"world cup"'),
    BenchQuery("phrase", '"mobile phone"', '"mobile phone"'),
    # boolean
    BenchQuery("boolean", "blair AND brown", "blair AND brown"),
    BenchQuery("boolean", "election NOT labour", "election NOT labour"),
    BenchQuery("boolean", "(film OR music) AND award", "(film OR music) AND award"),
    BenchQuery("boolean", "economy AND growth AND china", "economy AND growth AND china"),
    # fields
    BenchQuery("field", "title:oil", "title : oil"),
    BenchQuery("field", "source:courier AND bank", "source : courier AND bank"),
    BenchQuery("field", 'title:"world cup"', 'title : "world cup"'),
    # entities
    BenchQuery("entity", 'person:"Tony Blair"', '"tony blair"'),
    BenchQuery("entity", "org:Microsoft", "microsoft"),
    BenchQuery("entity", "place:London", "london"),
    # date ranges
    BenchQuery("date", "election date:[2010 to 2012]", "election", "2010-01-01", "2012-12-31"),
    BenchQuery("date", "football date:2015", "football", "2015-01-01", "2015-12-31"),
    BenchQuery("date", "music date:>2020", "music", "2020-01-01", "9999"),
    # prefix, fuzzy, misspelling
    BenchQuery("prefix", "econom*", "econom*"),
    BenchQuery("fuzzy", "gordn~", "gordon"),
    BenchQuery("misspelt", "goverment", "goverment"),
)

assert len(QUERIES) == 30
