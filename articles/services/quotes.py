"""Who said what across the library: the quotes of one article, of one
speaker, or of every article, with conflicting attributions flagged.  The
extraction is ``articles.analysis.quotes``; this reads the articles, their
entities and the copy level's candidate pairs."""

from __future__ import annotations

import threading

from ..analysis.quote_match import flag_conflicts, speaker_matches
from ..analysis.quotes import Quote, extract_quotes
from ..store import Store
from ..store import bodies as body_search
from ..store import stories as db
from .copies import update as update_copies
from .entity_lookup import article_refs, entity_articles, find_entity


def library_quotes(store: Store, article: str | None = None, speaker: str | None = None, *,
                   lock: threading.Lock | None = None) -> list[Quote]:
    """Quotes of one article or of the whole library, optionally by one speaker.

    Conflicts are flagged against every article the listed ones share text with
    (the story tables' candidate pairs), so asking about one article still sees
    another outlet attributing the same words to someone else."""
    entity = find_entity(store, speaker) if speaker else None
    if article is not None:
        ids = [article]
    elif entity is not None:
        ids = entity_articles(store, entity.entity_id)
    elif speaker:
        # Without entities, the speaker's name must at least be written in the article.
        ids = body_search.ids_with_word(store.conn, speaker.split()[-1])
    else:
        ids = list(store.all_ids())
    update_copies(store, lock)
    wanted = set(ids)
    scope = list(wanted | db.pair_partners(store.conn, wanted))
    order = {r.id: i for i, r in enumerate(store.rows(sort="date-asc", ids=scope))}
    found: list[Quote] = []
    for i in range(0, len(scope), 200):
        chunk = scope[i:i + 200]
        for aid, body in store.bodies(chunk).items():
            found += extract_quotes(body, aid, article_refs(store, aid) or None)
    flag_conflicts(found)
    out = [q for q in found if q.article in wanted
           and (not speaker or speaker_matches(q, speaker, entity))]
    out.sort(key=lambda q: (order.get(q.article, 1 << 30), q.article, q.start))
    return out
