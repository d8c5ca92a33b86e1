"""A damaged store or a full disk gives one clear line and a non-zero exit, never a traceback."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from conftest import SAMPLES, newsdesk

PAGE = 4096


def _articles_root_page(db: Path) -> int:
    import sqlite3

    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT rootpage FROM sqlite_master WHERE name='articles'").fetchone()[0]
    finally:
        con.close()


def test_one_flipped_byte_in_the_store_gives_a_clear_line(tmp_path):
    lib = tmp_path / "lib"
    assert newsdesk(lib, "add", "--no-entities", str(SAMPLES)).returncode == 0
    db = lib / "library.db"
    root = _articles_root_page(db)
    data = bytearray(db.read_bytes())
    data[(root - 1) * PAGE] ^= 0xFF  # the b-tree page type of the articles table
    db.write_bytes(bytes(data))
    for cmd in (["search", "dockers"], ["list"], ["stats"]):
        out = newsdesk(lib, *cmd)
        assert out.returncode != 0, cmd
        assert "Traceback" not in out.stderr, (cmd, out.stderr)
        assert "damaged" in out.stderr, (cmd, out.stderr)
        assert len(out.stderr.strip().splitlines()) <= 2, out.stderr  # one (wrapped) line


@pytest.fixture
def tiny_fs(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("needs root to mount a small tmpfs (a full disk is simulated with it)")
    mnt = tmp_path / "tiny"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mnt)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.strip()}")
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], check=False)


def test_a_full_disk_gives_one_clear_line(tiny_fs, tmp_path):
    lib = tiny_fs / "lib"
    assert newsdesk(lib, "add", "--no-entities", str(SAMPLES / "01-sample-wire-dockers-walk-out.md")
                    ).returncode == 0
    # Far more text than 3 MB holds.
    big = tmp_path / "big"
    big.mkdir()
    para = " ".join(f"word{i}" for i in range(4000))
    for i in range(200):
        (big / f"a{i:03}.md").write_text(f"---\ntitle: Report {i}\n---\n\n{para} {i}\n")
    out = newsdesk(lib, "add", "--no-entities", str(big))
    assert out.returncode != 0
    assert "Traceback" not in out.stderr, out.stderr
    assert "full" in out.stderr.lower(), out.stderr
    # What was saved before is still there and readable.
    listed = newsdesk(lib, "list")
    assert "Traceback" not in listed.stderr
