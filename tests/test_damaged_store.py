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


def _fill(fs) -> None:
    """Write zeros until the file system refuses: a disk that is really full
    (big blocks first, then small ones for the last partial block)."""
    for name, block in (("filler", 65536), ("filler2", 512)):
        fd = os.open(fs / name, os.O_WRONLY | os.O_CREAT)
        try:
            while True:
                os.write(fd, b"\0" * block)
        except OSError:
            pass
        finally:
            os.close(fd)


def test_on_a_full_disk_reading_works_changes_fail_in_one_line_and_check_is_clean_after(tiny_fs, tmp_path):
    from articles.library import Library
    from articles.model import Draft

    lib = tiny_fs / "lib"
    assert newsdesk(lib, "add", "--no-entities", str(SAMPLES)).returncode == 0
    # Saved but not yet indexed (as a big import cut short by the full disk leaves
    # them): the read commands would bring the index up to date, and cannot.
    with Library(lib) as library:
        with library.store.transaction():
            for i in range(20):
                library.store.upsert(Draft(title=f"Queued report {i}", body=f"harbour strike day {i} " * 40,
                                           origin=f"queued:{i}"))
        aid = library.rows()[0].id
    _fill(tiny_fs)
    for cmd in (["list"], ["search", "dockers"], ["stats"], ["stories", "--grouped"]):
        out = newsdesk(lib, *cmd)
        assert out.returncode == 0, (cmd, out.stderr)
        assert "Traceback" not in out.stderr, (cmd, out.stderr)
        assert out.stdout.strip() or cmd[0] == "stories", cmd  # the samples make no group
    found = newsdesk(lib, "search", "dockers")
    assert "disk is full" in found.stderr and "not searchable yet" in found.stderr
    more = tmp_path / "more"
    more.mkdir()
    for i in range(30):
        (more / f"m{i:02}.md").write_text(f"---\ntitle: More {i}\n---\n\n" + f"quay crane word{i} " * 300)
    for cmd in (["add", "--no-entities", str(more)], ["tag", aid, "full-disk"]):
        out = newsdesk(lib, *cmd)
        assert out.returncode != 0, (cmd, out.stdout)
        assert "Traceback" not in out.stderr, (cmd, out.stderr)
        assert "disk is full" in out.stderr, (cmd, out.stderr)
        assert out.stderr.count("newsdesk:") == 1, (cmd, out.stderr)  # one message (Rich may wrap it)
    (tiny_fs / "filler").unlink()
    (tiny_fs / "filler2").unlink()
    assert newsdesk(lib, "check", "--repair").returncode == 0
    after = newsdesk(lib, "check")
    assert after.returncode == 0 and "consistent" in after.stdout, after.stdout + after.stderr


def test_flipped_bytes_that_break_utf8_give_one_line_and_check_repair_recovers(tmp_path):
    import sqlite3

    lib = tmp_path / "lib"
    assert newsdesk(lib, "add", "--no-entities", str(SAMPLES)).returncode == 0
    db = lib / "library.db"
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        count = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
        # The article the search below finds: ids come from the origin path, so
        # "the lowest id" is another article in another checkout.
        aid, title = conn.execute(
            "SELECT id, title FROM articles WHERE title LIKE '%dockworkers%' ORDER BY id LIMIT 1").fetchone()
    assert list((lib / "backups").glob("*.db")), "an import leaves a backup"
    # Every copy of one title (its row and the title index's entry) made invalid UTF-8.
    data = bytearray(db.read_bytes())
    word = title.encode()[:12]
    at = data.find(word)
    assert at != -1
    while at != -1:
        data[at + 1:at + 3] = b"\xff\xfe"
        at = data.find(word, at + 1)
    db.write_bytes(bytes(data))
    for cmd in (["list"], ["search", "dockers"], ["show", aid]):
        out = newsdesk(lib, *cmd)
        assert out.returncode != 0, cmd
        assert "Traceback" not in out.stderr, (cmd, out.stderr)
        assert "damaged" in out.stderr and "check --repair" in out.stderr, (cmd, out.stderr)
        assert "\ufffd" not in out.stderr and len(out.stderr.strip().splitlines()) <= 2, out.stderr
    repaired = newsdesk(lib, "check", "--repair")
    assert repaired.returncode == 0, repaired.stdout + repaired.stderr
    after = newsdesk(lib, "check")
    assert after.returncode == 0 and "consistent" in after.stdout, after.stdout + after.stderr
    listed = newsdesk(lib, "list", "--json")
    assert listed.returncode == 0
    import json

    assert len(json.loads(listed.stdout)["articles"]) == count
