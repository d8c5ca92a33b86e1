"""Expanding the user's sources (files, folders, globs) into a list of files."""

from __future__ import annotations

import glob
import os
from pathlib import Path

# Inside a folder only these are taken: a folder of articles often also holds
# images, PDFs or notes that would each be reported as unreadable (and README /
# LICENSE files, which are skipped by name).  Files named
# explicitly or matched by a glob are taken whatever their extension.
ARTICLE_SUFFIXES = frozenset(
    {".txt", ".text", ".md", ".markdown", ".html", ".htm", ".xhtml", ".json", ".jsonl", ".ndjson"}
)
# Dataset and project documentation that sits next to articles in a folder.
_NOT_ARTICLES = frozenset({"readme", "license", "licence", "changelog", "copying", "authors", "notice"})
_GLOB_CHARS = set("*?[")


def _is_hidden(name: str) -> bool:
    return name.startswith(".")


def _walk_folder(folder: Path, follow_links: bool = False,
                 outside: list[Path] | None = None) -> list[Path]:
    """The article files under ``folder``, as resolved paths.

    With os.scandir, whose entries know from the directory listing whether they
    are files, folders or symlinks: the folder is resolved once and only
    symlinked files one by one, where resolving every path (a system call per
    folder in it) and checking each was a file took 1.7 s for 30,000 files,
    before a single one was read. Symlinked folders are not followed (a link
    loop cannot hang us); unreadable folders are skipped. A symlinked file that
    leads outside the folder is only taken with ``follow_links`` (an imported
    folder must not pull in /etc/passwd); otherwise it goes to ``outside``."""
    found: list[Path] = []
    top = folder.resolve()
    stack = [top]
    while stack:
        real = stack.pop()
        try:
            with os.scandir(real) as it:
                entries = list(it)  # in no order: expand_sources sorts what it returns
        except OSError:
            continue
        for entry in entries:
            name = entry.name
            if _is_hidden(name):
                continue
            try:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(real / name)
                    continue
                stem, suffix = os.path.splitext(name)
                if suffix.lower() not in ARTICLE_SUFFIXES or stem.lower() in _NOT_ARTICLES:
                    continue
                if entry.is_file():
                    if not entry.is_symlink():
                        found.append(real / name)
                        continue
                    target = Path(entry.path).resolve()
                    if follow_links or target.is_relative_to(top):
                        found.append(target)
                    elif outside is not None:
                        outside.append(real / name)
            except OSError:
                continue
    return found


def expand_sources(sources: list[str], follow_links: bool = False
                   ) -> tuple[list[Path], list[tuple[str, str]]]:
    """Files, folders (recursive, skipping hidden files and folders, taking only
    article extensions) and globs (``*``, ``?``, ``[...]``, ``**``) ->
    (sorted unique absolute file paths, [(source, error)] for sources that
    matched nothing or do not exist, or are links out of their folder)."""
    files: set[Path] = set()
    errors: list[tuple[str, str]] = []
    outside: list[Path] = []
    for source in sources:
        expanded = os.path.expanduser(source)
        path = Path(expanded)
        if path.is_file():
            files.add(path.resolve())
            continue
        if path.is_dir():
            found = _walk_folder(path, follow_links, outside)
            if not found:
                errors.append((source, "folder contains no article files"))
            files.update(found)
            continue
        if _GLOB_CHARS & set(expanded):
            matched: list[Path] = []
            for hit in glob.glob(expanded, recursive=True):  # skips dotfiles by default
                hit_path = Path(hit)
                if hit_path.is_file():
                    matched.append(hit_path)
                elif hit_path.is_dir():
                    matched.extend(_walk_folder(hit_path, follow_links, outside))
            if not matched:
                errors.append((source, "no files match this pattern"))
            files.update(p.resolve() for p in matched)
            continue
        if path.exists() or path.is_symlink():
            errors.append((source, "not a regular file or folder" if path.exists() else "broken symbolic link"))
        else:
            errors.append((source, "no such file or folder"))
    errors += [(str(p), "symbolic link leads outside the folder; not followed (--follow-links takes it)")
               for p in sorted(outside)]
    return sorted(files), errors
