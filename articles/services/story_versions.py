"""A story's versions side by side: what each adds (entities and quotes no
other version has) and who reported it first (its credits, from sourcing)."""

from __future__ import annotations

import re
import threading

from ..analysis.quote_match import normalize_quote, quotes_overlap
from ..analysis.quotes import extract_quotes
from ..store import Store
from .entity_lookup import article_refs
from .sourcing import story_provenance
from .stories import story_of

_CAPS = re.compile(r"[A-Z][\w’'\-]+(?:[ \t]+(?:of[ \t]+|the[ \t]+|for[ \t]+)?[A-Z][\w’'\-]+)+")


def _names_in_text(body: str) -> dict[str, str]:
    """Without entity data: capitalised multi-word phrases, folded key -> as written."""
    out: dict[str, str] = {}
    for m in _CAPS.finditer(body):
        name = re.split(r"[’']s\b", m.group())[0].strip()
        words = name.split()
        while words and words[0] in {"The", "Per", "As", "But", "And", "In", "On", "At", "For"}:
            words.pop(0)
        if len(words) >= 2:
            name = " ".join(words)
            out.setdefault(name.casefold(), name)
    return out


def version_differences(store: Store, story_id_or_article: str, *,
                        lock: threading.Lock | None = None) -> list[dict]:
    """For each version of a story: the entities and quotes no other version has.

    ``[{"id", "title", "source", "date", "adds": {"entities": [names], "quotes":
    [quote json]}}]``, oldest first. Entities come from the entity store when it
    has run, else from capitalised names in the text."""
    story = story_of(store, story_id_or_article, lock=lock)
    arts = store.get_many(story.articles)
    names: dict[str, dict[str, str]] = {}
    source = "entities"
    for aid, art in arts.items():
        refs = article_refs(store, aid)
        if refs:
            names[aid] = {r.entity_id: r.name for r in refs if r.type != "other"}
        else:
            source = "text"
            names[aid] = _names_in_text(art.body)
    quotes = {aid: extract_quotes(art.body, aid, article_refs(store, aid) or None) for aid, art in arts.items()}
    folded = {aid: " ".join(normalize_quote(art.body)) for aid, art in arts.items()}
    out = []
    for aid in story.articles:
        art = arts[aid]
        others = [o for o in story.articles if o != aid]
        seen_elsewhere = set().union(*(names[o].keys() for o in others)) if others else set()
        new_names = sorted({v for k, v in names[aid].items() if k not in seen_elsewhere}, key=str.casefold)
        new_quotes = []
        for q in quotes[aid]:
            if any(quotes_overlap(q.text, oq.text) for o in others for oq in quotes[o]):
                continue
            words = " ".join(normalize_quote(q.text))
            if any(words and words in folded[o] for o in others):
                continue  # printed by the other version too, just not as a quote we found
            new_quotes.append(q.to_json())
        out.append({"id": aid, "title": art.title, "source": art.source, "date": art.date,
                    "adds": {"entities": new_names if others else [],
                             "quotes": new_quotes if others else []},
                    "entities_from": source})
    return out


def story_versions(store: Store, story_id_or_article: str, *,
                   lock: threading.Lock | None = None) -> list[dict]:
    """Each version of the story with what it adds, its role ("original",
    "re-report" or None), the reports it credits and its credit chain."""
    versions = version_differences(store, story_id_or_article, lock=lock)
    # Who reported it first: each version's role and credit chain.
    prov = story_provenance(store, [v["id"] for v in versions], lock=lock)
    for v in versions:
        p = prov.get(v["id"], {})
        v["role"] = p.get("role")
        v["sources"] = [{k: s[k] for k in ("outlet", "author", "title", "article_id", "via")}
                        for s in p.get("sources", [])]
        v["chain"] = p.get("chain", [])
    return versions
