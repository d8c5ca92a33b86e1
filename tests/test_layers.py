"""The layer rule over the import graph, lazy imports included.

    model / errors / text  <-  readers, web, analysis  <-  store  <-  services  <-  library  <-  tui, main

``index`` imports only ``articles.model`` / ``articles.text``, is used from
services up and only through its package namespace (its modules are private);
``tui`` and ``main`` never reach past Library into its store; no import cycles; no function below ``library`` takes a Library;
only ``articles/analysis/`` imports spaCy, only ``tui/`` imports Textual.

Every import statement of every module is read from its AST, wherever it is
(module level, inside functions, under ``if TYPE_CHECKING``), so an import
moved into a function to dodge a loop still counts.

Modules the layout has not reached yet break the rule today.  Their breaches
are listed in ``KNOWN`` below, each with why: the list can only shrink.  The
test fails on any breach not in it, and on an entry that no longer happens
(delete it then), so the list stays a true record of what is left to move.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("articles", "index", "tui")

# Layer ranks: a module may import its own rank or lower, never higher.
# Same-rank groups are siblings and may not import each other, except where
# SIBLING_OK says so.
BASE, LEAF, STORE, SERVICES, LIBRARY, SHELL = range(6)
SIBLING_OK = {
    # A web page is read like a saved .html file: one extractor, the HTML reader's.
    ("web", "readers"),
    # tui runs main only as a subprocess; main starts the TUI.
    ("main", "tui"),
}


def layer_of(module: str) -> tuple[int, str] | None:
    """(rank, group) of a project module, or None for stdlib / third party."""
    parts = module.split(".")
    top = parts[0]
    if top == "main":
        return SHELL, "main"
    if top == "tui":
        return SHELL, "tui"
    if top == "index":
        return STORE, "index"
    if top != "articles":
        return None
    sub = parts[1] if len(parts) > 1 else ""
    if sub in ("", "model", "errors", "text"):
        return BASE, "base"
    if sub in ("readers", "web", "analysis"):
        return LEAF, sub
    if sub == "store":
        return STORE, "store"
    if sub == "library":
        return LIBRARY, "library"
    # services/ and the Library's use cases.
    return SERVICES, "services"


def module_name(path: Path, root: Path) -> str:
    rel = path.relative_to(root).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_files(root: Path) -> dict[str, Path]:
    files = {"main": root / "main.py"}
    for pkg in PACKAGES:
        for p in sorted((root / pkg).rglob("*.py")):
            files[module_name(p, root)] = p
    return files


def _is_type_checking(node: ast.If) -> bool:
    t = node.test
    return (isinstance(t, ast.Name) and t.id == "TYPE_CHECKING") or (
        isinstance(t, ast.Attribute) and t.attr == "TYPE_CHECKING")


def imports_of(module: str, path: Path, known: set[str]) -> list[tuple[str, bool]]:
    """(imported module, runs at run time) for every import statement in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    is_pkg = path.name == "__init__.py"
    here = module.split(".") if is_pkg else module.split(".")[:-1]
    out: list[tuple[str, bool]] = []

    def visit(node: ast.AST, runtime: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for sub in child.body:
                    visit_stmt(sub, False)
                for sub in child.orelse:
                    visit_stmt(sub, runtime)
                continue
            visit_stmt(child, runtime)

    def visit_stmt(child: ast.AST, runtime: bool) -> None:
        if isinstance(child, ast.Import):
            out.extend((a.name, runtime) for a in child.names)
        elif isinstance(child, ast.ImportFrom):
            if child.level:
                base = here[: len(here) - child.level + 1]
                target = ".".join(base + ([child.module] if child.module else []))
            else:
                target = child.module or ""
            for a in child.names:
                sub = f"{target}.{a.name}"
                # `from pkg import submodule` imports the submodule.
                out.append((sub if sub in known else target, runtime))
        else:
            visit(child, runtime)

    visit(tree, True)
    return out


def _project_target(name: str, known: set[str]) -> str | None:
    """The project module an import names (``a.b.c`` -> the longest known prefix)."""
    parts = name.split(".")
    for i in range(len(parts), 0, -1):
        cand = ".".join(parts[:i])
        if cand in known:
            return cand
    return None


def _takes_library(tree: ast.AST) -> list[str]:
    """Functions with a parameter that is a Library: annotated so, or named lib/library."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            args = node.args.posonlyargs + node.args.args + node.args.kwonlyargs
            for a in args:
                ann = ast.unparse(a.annotation) if a.annotation is not None else ""
                if a.arg in ("lib", "library") or "Library" in ann.replace("LibraryError", ""):
                    found.append(f"{node.name}({a.arg})")
                    break
    return found


def violations(root: Path = ROOT) -> set[str]:
    files = project_files(root)
    known = set(files)
    found: set[str] = set()
    graph: dict[str, set[str]] = {m: set() for m in files}
    for mod, path in files.items():
        mine = layer_of(mod)
        for name, runtime in imports_of(mod, path, known):
            top = name.split(".")[0]
            if top == "spacy" and not mod.startswith("articles.analysis"):
                found.add(f"spacy: {mod}")
            if top == "textual" and not mod.startswith("tui"):
                found.add(f"textual: {mod}")
            target = _project_target(name, known)
            if target is None or target == mod:
                continue
            if runtime:
                graph[mod].add(target)
            theirs = layer_of(target)
            if mine is None or theirs is None:
                continue
            if target.startswith("index.") and not mod.startswith("index"):
                # index/ has one public surface: its package namespace.
                found.add(f"private index module: {mod} -> {target}")
            if mine[1] == "index":
                if not (target.startswith("index") or target in ("articles.model", "articles.text")
                        or target.startswith("articles.text.")):
                    found.add(f"index imports {target}: {mod}")
                continue
            if theirs[1] == "index" and mine[0] < SERVICES:
                found.add(f"layer: {mod} -> {target}")
                continue
            if theirs[0] > mine[0] or (theirs[0] == mine[0] and theirs[1] != mine[1]
                                       and (mine[1], theirs[1]) not in SIBLING_OK):
                found.add(f"layer: {mod} -> {target}")
        if mine is not None and mine[0] == SHELL:
            tree = ast.parse(path.read_text(encoding="utf-8"))
            if any(isinstance(n, ast.Attribute) and n.attr in ("store", "conn") for n in ast.walk(tree)):
                # The shells go through Library's methods, never its store.
                found.add(f"reaches past Library into the store: {mod}")
        if mine is not None and mine[0] < LIBRARY or mod.startswith("index"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            if _takes_library(tree):
                # Per module, not per function: a rewrite that renames the
                # functions but keeps passing the Library is no progress.
                found.add(f"takes a Library: {mod}")
    for cycle in _cycles(graph):
        found.add("cycle: " + " -> ".join(cycle))
    return found


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Each strongly connected component of more than one module, sorted (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))

    def strong(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            strong(v)
    return out


# Known breaches, by the module that is still to move.  Shrink only.
KNOWN: set[str] = set()  # every module has reached its layer; keep it empty


def test_import_graph_follows_the_layers():
    found = violations()
    new = sorted(found - KNOWN)
    gone = sorted(KNOWN - found)
    print("known breaches still to move:\n  " + "\n  ".join(sorted(KNOWN & found)))
    assert not new, "new layer breaches:\n  " + "\n  ".join(new)
    assert not gone, "fixed: delete these from KNOWN:\n  " + "\n  ".join(gone)


def test_the_checker_sees_lazy_and_relative_imports(tmp_path):
    """The checker itself: a lazy import inside a function, a relative import,
    a cycle and a Library parameter are all caught."""
    (tmp_path / "articles" / "store").mkdir(parents=True)
    (tmp_path / "index").mkdir()
    (tmp_path / "tui").mkdir()
    (tmp_path / "articles" / "__init__.py").write_text("")
    (tmp_path / "index" / "__init__.py").write_text("")
    (tmp_path / "tui" / "__init__.py").write_text("")
    (tmp_path / "main.py").write_text("")
    (tmp_path / "articles" / "model.py").write_text("def f():\n    from .store import x\n")
    (tmp_path / "articles" / "store" / "__init__.py").write_text(
        "import textual\nfrom ..model import y\ndef g(lib):\n    pass\n")
    found = violations(tmp_path)
    assert "layer: articles.model -> articles.store" in found
    assert "textual: articles.store" in found
    assert "takes a Library: articles.store" in found
    assert "cycle: articles.model -> articles.store" in found
