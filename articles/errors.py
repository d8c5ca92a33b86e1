"""Errors shared by layers that must not import each other (web, store, services)."""

from __future__ import annotations

__all__ = ["FeedError", "FeedExists", "UnknownFeed"]


class FeedError(Exception):
    """A subscription problem, with a message fit to show the user."""


class FeedExists(FeedError):
    pass


class UnknownFeed(FeedError):
    pass
