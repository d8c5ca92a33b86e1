"""A damaged store or a full disk gives one clear line and a non-zero exit, never a traceback."""

from __future__ import annotations

import os
import subprocess

import pytest
from conftest import SAMPLES, flip_page_type, newsdesk, root_page



def test_one_flipped_byte_in_the_store_gives_a_clear_line(tmp_path):
    lib = tmp_path / "lib"
    assert newsdesk(lib, "add", "--no-entities", str(SAMPLES)).returncode == 0
    db = lib / "library.db"
    flip_page_type(db, root_page(db, "articles"))
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
