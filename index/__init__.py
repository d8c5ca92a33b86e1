"""The full-text index, derived from the store and always rebuildable.

The public surface is this namespace: ``SearchIndex`` (open, write sessions,
checks), its errors, ``to_document``, and the operations of ``index.api``
(search, more-like-this, key terms, match spans).  ``codec``, ``fastsearch``,
``bulk`` and ``analysis`` are private to the package.
"""

from . import _deferred

_deferred.install()  # before anything here imports Whoosh: see index/_deferred.py

from .api import analyse, key_terms, match_spans, matching_ids, more_like_this, search, surface_terms
from .core import BULK_CHUNK, IndexBusy, SearchIndex, SearchIndexError, to_document
from .query import Hit, QueryError, SearchResults, Snippet
from .schema import INDEX_VERSION

__all__ = ["SearchIndex", "SearchIndexError", "IndexBusy", "QueryError", "SearchResults", "Hit",
           "Snippet", "BULK_CHUNK", "INDEX_VERSION", "to_document", "search", "matching_ids", "more_like_this",
           "key_terms", "match_spans", "surface_terms", "analyse"]
