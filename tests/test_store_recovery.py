"""`check --repair` gets the user going again after the store (the record of truth)
is damaged: from what can still be read, else from the newest good backup, saying
what was lost; the index is then rebuilt from the recovered store.

Real libraries on disk, damaged the way a disk does it: a flipped byte in a page,
a header overwritten."""

from __future__ import annotations

import json
from pathlib import Path

from articles.store.backup import backups
from conftest import SAMPLES, flip_page_type, newsdesk, root_page



def _titles(lib: Path) -> set[str]:
    out = newsdesk(lib, "list", "--json")
    assert out.returncode == 0, out.stderr
    return {a["title"] for a in json.loads(out.stdout)["articles"]}


def _later_note(tmp_path: Path) -> Path:
    note = tmp_path / "later.md"
    note.write_text("---\ntitle: Ferry timetable changes after the storm\n---\n\n"
                    "The ferry company published a new timetable on Friday after the storm "
                    "damaged the northern pier.\n", encoding="utf-8")
    return note


def _library_with_a_backup_and_one_later_article(tmp_path):
    lib = tmp_path / "lib"
    assert newsdesk(lib, "add", "--no-entities", str(SAMPLES)).returncode == 0
    [backup] = backups(lib)  # taken after the import; the next one is due in an hour
    before = _titles(lib)
    assert newsdesk(lib, "add", "--no-entities", str(_later_note(tmp_path))).returncode == 0
    assert backups(lib) == [backup]
    return lib, backup, before


def test_a_damaged_articles_table_is_restored_from_the_backup_and_the_loss_named(tmp_path):
    lib, backup, before = _library_with_a_backup_and_one_later_article(tmp_path)
    db = lib / "library.db"
    flip_page_type(db, root_page(db, "articles"))

    found = newsdesk(lib, "check")
    assert found.returncode == 1 and "Traceback" not in found.stderr
    assert "store damaged" in found.stdout and "check --repair" in found.stdout

    fixed = newsdesk(lib, "check", "--repair")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert backup.name in fixed.stdout
    # The article saved after the backup is named as lost, by title.
    assert "lost 1 article(s)" in fixed.stdout and "Ferry timetable changes" in fixed.stdout
    assert "damaged" in fixed.stdout  # where the damaged file was kept
    assert list(lib.glob("library.db.damaged-*"))

    assert _titles(lib) == before
    assert newsdesk(lib, "check").returncode == 0
    # The index was rebuilt from the recovered store: search finds what it holds.
    hits = json.loads(newsdesk(lib, "search", "--json", "dockers").stdout)
    assert hits["total"] >= 1


def test_damage_outside_the_tables_is_recovered_from_the_file_itself(tmp_path):
    lib, _backup, before = _library_with_a_backup_and_one_later_article(tmp_path)
    db = lib / "library.db"
    flip_page_type(db, root_page(db, "articles_sort_title"))  # an index of the table, not its rows
    assert newsdesk(lib, "check").returncode == 1
    fixed = newsdesk(lib, "check", "--repair")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "from the damaged file itself" in fixed.stdout and "no article was lost" in fixed.stdout
    assert _titles(lib) == before | {"Ferry timetable changes after the storm"}


def test_a_store_that_is_not_a_database_is_restored_from_the_backup(tmp_path):
    lib, backup, before = _library_with_a_backup_and_one_later_article(tmp_path)
    db = lib / "library.db"
    data = bytearray(db.read_bytes())
    data[:100] = b"\0" * 100  # the header: "file is not a database"
    db.write_bytes(bytes(data))
    stuck = newsdesk(lib, "list")
    assert stuck.returncode != 0 and "check --repair" in stuck.stderr, stuck.stderr

    fixed = newsdesk(lib, "check", "--repair")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert backup.name in fixed.stdout
    assert _titles(lib) == before
    hits = json.loads(newsdesk(lib, "search", "--json", "dockers").stdout)
    assert hits["total"] >= 1


def test_without_a_backup_an_unreadable_store_starts_empty_and_is_kept(tmp_path):
    lib = tmp_path / "lib"
    assert newsdesk(lib, "add", "--no-entities", str(SAMPLES)).returncode == 0
    for b in backups(lib):
        b.unlink()
    db = lib / "library.db"
    damaged = b"\0" * 100 + db.read_bytes()[100:]
    db.write_bytes(damaged)
    fixed = newsdesk(lib, "check", "--repair")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "started an empty store" in fixed.stdout
    [kept] = lib.glob("library.db.damaged-*")
    assert kept.read_bytes() == damaged  # the user's data is never thrown away
    assert _titles(lib) == set()
    assert newsdesk(lib, "add", "--no-entities", str(_later_note(tmp_path))).returncode == 0


def _flip_inside_text(db: Path, needle: bytes) -> None:
    data = bytes(db.read_bytes())
    assert needle in data
    # 'd' -> '`' wherever the word is stored: a valid database, a different text.
    db.write_bytes(data.replace(needle, bytes([needle[0] ^ 0x04]) + needle[1:]))


def test_a_flipped_bit_inside_an_article_text_is_found_and_restored_from_the_backup(tmp_path):
    # SQLite keeps no checksum of row contents; the article's own body hash does.
    lib = tmp_path / "lib"
    assert newsdesk(lib, "add", "--no-entities", str(SAMPLES)).returncode == 0
    assert newsdesk(lib, "check").returncode == 0  # folds the log into library.db
    db = lib / "library.db"
    _flip_inside_text(db, b"dockers")
    found = newsdesk(lib, "check")
    assert found.returncode == 1 and "no longer match their checksum" in found.stdout, found.stdout
    fixed = newsdesk(lib, "check", "--repair")
    assert fixed.returncode == 0 and "article text(s) from the backups" in fixed.stdout, fixed.stdout
    hits = json.loads(newsdesk(lib, "search", "--json", "dockers").stdout)
    assert hits["total"] >= 1
    assert newsdesk(lib, "check").returncode == 0


def test_a_changed_text_no_backup_holds_is_kept_and_named(tmp_path):
    lib = tmp_path / "lib"
    assert newsdesk(lib, "add", "--no-entities", str(SAMPLES)).returncode == 0
    assert newsdesk(lib, "check").returncode == 0
    for b in backups(lib):
        b.unlink()
    _flip_inside_text(lib / "library.db", b"dockers")
    fixed = newsdesk(lib, "check", "--repair")
    assert fixed.returncode == 0 and "changed article text(s) as they now read" in fixed.stdout, fixed.stdout
    assert newsdesk(lib, "check").returncode == 0
