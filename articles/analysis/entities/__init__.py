"""Entity analysis: from spaCy's spans to named entities, as pure functions.

- ``names``: the vocabulary of names (types, trimming, matching keys, junk, variants);
- ``span_rules``: the rules on spans and lines (titles, brackets, tables, datelines, teams);
- ``spans``: step 1, raw spans to clean mentions of one article;
- ``resolve``: step 2, short forms and per-article types; step 3's library-wide
  decisions (groups, surname links, replaying corrections, aliases) over plain records;
- ``extract``: running spaCy, the only module that imports it (nothing here
  imports it: only the entity stage does, when it has text to read).

No SQL: ``articles.store.entities`` reads and writes the tables.
"""
