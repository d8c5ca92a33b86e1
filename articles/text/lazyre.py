"""Regular expressions compiled when first used, not when their module is imported.

Every `newsdesk` command is a process that imports what it needs; a module
with a few dozen big patterns at module level made every command compile them
(tens of ms), whether or not it used any. ``compile`` here takes the same
arguments as ``re.compile`` and returns a stand-in that compiles on first
use and then hands every attribute (``search``, ``finditer``, ``pattern``, ...)
to the compiled pattern."""

from __future__ import annotations

import re

__all__ = ["compile"]


class LazyPattern:
    __slots__ = ("_args", "_compiled")

    def __init__(self, pattern: str, flags: int = 0):
        self._args = (pattern, flags)
        self._compiled: re.Pattern | None = None

    def compiled(self) -> re.Pattern:
        if self._compiled is None:
            self._compiled = re.compile(*self._args)
        return self._compiled

    def __getattr__(self, name):
        return getattr(self.compiled(), name)

    def __repr__(self) -> str:
        return f"lazyre.compile({self._args[0]!r})"


def compile(pattern: str, flags: int = 0) -> LazyPattern:  # noqa: A001 - re.compile's name on purpose
    return LazyPattern(pattern, flags)
