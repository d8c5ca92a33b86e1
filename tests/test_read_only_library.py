"""Reading never needs to write: a library folder we may not write to can be read.

The library is a real one on disk with its write permission taken away
(chmod -R a-w). Root ignores permission bits, so when the tests run as root the
commands run without the capabilities that let root write anyway
(CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH), which makes the bits bind as for
any user; if that cannot be done here the tests skip and say why."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from articles.library import Library
from conftest import seed_drafts

ROOT = Path(__file__).resolve().parent.parent
_DROP = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", "--"]


def _prefix() -> list[str]:
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("running as root, where permissions do not bind, and setpriv is not here to drop "
                    "the capabilities that override them")
    return _DROP


@pytest.fixture
def unprivileged(tmp_path):
    """The command prefix under which permission bits bind (checked, else skip)."""
    prefix = _prefix()
    probe = tmp_path / "probe"
    probe.mkdir()
    probe.chmod(0o555)
    r = subprocess.run(prefix + ["sh", "-c", f"touch {probe}/x"], capture_output=True)
    probe.chmod(0o755)
    if r.returncode == 0:
        pytest.skip("cannot run a command for which permission bits bind (it wrote into a 555 folder)")
    return prefix


def _lock_down(folder: Path) -> None:
    for p in [folder, *folder.rglob("*")]:
        mode = p.stat().st_mode
        p.chmod(stat.S_IMODE(mode) & ~0o222)


def _unlock(folder: Path) -> None:
    for p in [folder, *folder.rglob("*")]:
        p.chmod(stat.S_IMODE(p.stat().st_mode) | 0o200)


def _fingerprint(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _run(prefix, lib: Path, *args: str):
    return subprocess.run(prefix + [sys.executable, str(ROOT / "main.py"), "--library", str(lib), *args],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)


@pytest.fixture
def seeded(tmp_path):
    lib_dir = tmp_path / "lib"
    with Library(lib_dir) as lib:
        lib.add_drafts(seed_drafts())
        ids = [r.id for r in lib.rows()]
    yield lib_dir, ids
    _unlock(lib_dir)


def test_a_library_folder_without_write_permission_can_be_read(unprivileged, seeded):
    lib_dir, ids = seeded
    _lock_down(lib_dir)
    before = _fingerprint(lib_dir)
    for args in (["list"], ["search", "Kim"], ["show", ids[0]], ["stats"], ["stories", "--grouped"],
                 ["stories"]):
        out = _run(unprivileged, lib_dir, *args)
        assert out.returncode == 0, (args, out.stderr)
        assert "Traceback" not in out.stderr and "read-only" not in out.stderr, (args, out.stderr)
    listed = json.loads(_run(unprivileged, lib_dir, "list", "--json").stdout)
    assert sorted(a["id"] for a in listed["articles"]) == sorted(ids)
    # The two versions of one story among the seeds are grouped, worked out without
    # writing: nothing in the library changed.
    grouped = _run(unprivileged, lib_dir, "stories", "--grouped").stdout
    assert "also reported by" in grouped
    assert _fingerprint(lib_dir) == before


def test_a_change_to_a_locked_library_is_refused_in_one_line(unprivileged, seeded):
    lib_dir, ids = seeded
    _lock_down(lib_dir)
    out = _run(unprivileged, lib_dir, "mark", ids[0], "--read")
    assert out.returncode != 0 and "read-only" in out.stderr and "Traceback" not in out.stderr


def test_a_locked_library_left_by_a_killed_writer_shows_its_last_commits(unprivileged, tmp_path):
    # A writer killed after committing leaves its commits in the write-ahead log;
    # reading the locked library must still see them.
    lib_dir = tmp_path / "lib"
    drafts = seed_drafts()
    with Library(lib_dir) as lib:
        lib.add_drafts(drafts[:4])
    code = ("import os, sys; sys.path.insert(0, 'tests'); from conftest import seed_drafts; "
            "from articles.library import Library; lib = Library(sys.argv[1]); "
            "lib.add_drafts(seed_drafts()[4:]); os._exit(0)")
    subprocess.run([sys.executable, "-c", code, str(lib_dir)], check=True, cwd=ROOT, timeout=120)
    assert (lib_dir / "library.db-wal").stat().st_size > 0
    _lock_down(lib_dir)
    try:
        out = _run(unprivileged, lib_dir, "list", "--json")
        assert out.returncode == 0, out.stderr
        assert {a["title"] for a in json.loads(out.stdout)["articles"]} == {d.title for d in drafts}
    finally:
        _unlock(lib_dir)
