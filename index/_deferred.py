"""Whoosh imports, without three of Whoosh's own imports that no search uses.

Every `newsdesk` command is a process, and what it imports is most of what it
costs. Three of Whoosh's modules import something at module level that a
search never touches:

- ``whoosh.compat`` imports ``urllib.request`` (for ``urlretrieve``), which
  brings ``http.client`` and the ``email`` package;
- ``whoosh.reading`` imports the ``cached_property`` package, which imports
  ``asyncio``;
- ``whoosh.query.terms`` imports ``whoosh.lang.morph_en`` (for the Variations
  query, which Newsdesk's parser never makes), which compiles its word-form
  regexes at import.

Together that was about a third of importing Whoosh. While each of those three
modules runs, the dependency is a stand-in that loads the real thing on first
use (``functools.cached_property`` for the decorator, which behaves the same
for Whoosh's one use of it). The stand-ins are taken out of ``sys.modules``
afterwards, so any other importer gets the real module.
"""

from __future__ import annotations

import functools
import importlib
import sys
import types


def _forwarding(name: str, attrs: tuple[str, ...]) -> types.ModuleType:
    """A module whose functions import ``name`` when first called."""
    mod = types.ModuleType(name, f"stand-in for {name} (index/_deferred.py)")

    def make(attr):
        def call(*args, **kwargs):
            return getattr(importlib.import_module(name), attr)(*args, **kwargs)

        call.__name__ = attr
        return call

    for attr in attrs:
        setattr(mod, attr, make(attr))
    return mod


def _cached_property_module() -> types.ModuleType:
    mod = types.ModuleType("cached_property", "stand-in (index/_deferred.py)")
    mod.cached_property = functools.cached_property
    return mod


# module being imported -> {dependency: its stand-in}
_STAND_INS = {
    "whoosh.compat": {"urllib.request": lambda: _forwarding("urllib.request", ("urlretrieve",))},
    "whoosh.reading": {"cached_property": _cached_property_module},
    "whoosh.query.terms": {"whoosh.lang.morph_en": lambda: _forwarding("whoosh.lang.morph_en",
                                                                         ("variations",))},
}


# Plain classes, not importlib.abc's: importing importlib.abc brings
# importlib.resources, tempfile, shutil and typing (~10 ms of every command),
# and the import system needs only the methods below.
class _Loader:
    def __init__(self, real, stand_ins):
        self.real = real
        self.stand_ins = stand_ins

    def create_module(self, spec):
        return self.real.create_module(spec)

    def exec_module(self, module):
        placed = {}
        for dep, make in self.stand_ins.items():
            if dep not in sys.modules:
                placed[dep] = sys.modules[dep] = make()
        try:
            self.real.exec_module(module)
        finally:
            for dep, stand_in in placed.items():
                if sys.modules.get(dep) is stand_in:
                    del sys.modules[dep]

    def __getattr__(self, name):  # get_code, get_source, ... of the real loader
        return getattr(self.real, name)


class _Finder:
    def find_spec(self, name, path, target=None):
        stand_ins = _STAND_INS.get(name)
        if stand_ins is None:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None:
                if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                    spec.loader = _Loader(spec.loader, stand_ins)
                return spec
        return None


def install() -> None:
    """Before Whoosh is first imported (index/__init__.py does it; idempotent)."""
    if not any(isinstance(f, _Finder) for f in sys.meta_path):
        sys.meta_path.insert(0, _Finder())
