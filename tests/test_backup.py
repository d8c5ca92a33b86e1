"""Rolling backups of the store: taken after an import, consistent, a few generations."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from articles.store.backup import backups, maybe_backup

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "articles" / "samples"


def test_an_import_leaves_a_backup_that_holds_the_articles(tmp_path):
    lib = tmp_path / "lib"
    out = subprocess.run([sys.executable, str(ROOT / "main.py"), "--library", str(lib), "add",
                          "--no-entities", str(SAMPLES)], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    [b] = backups(lib)
    con = sqlite3.connect(b)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert con.execute("SELECT count(*) FROM articles").fetchone()[0] == len(list(SAMPLES.glob("*.md")))
    finally:
        con.close()


def test_backups_keep_a_few_generations_and_wait_an_interval(tmp_path):
    db = tmp_path / "library.db"
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE t(x)")
    con.commit()
    first = maybe_backup(con, tmp_path, now=1_000_000.0)
    assert first is not None
    # The newest backup is fresh (its file was just written): none is due yet.
    assert maybe_backup(con, tmp_path) is None
    for i in range(5):
        con.execute("INSERT INTO t VALUES (?)", (i,))
        con.commit()
        assert maybe_backup(con, tmp_path, interval=0, keep=3, now=2_000_000.0 + i) is not None
    kept = backups(tmp_path)
    assert len(kept) == 3
    newest = sqlite3.connect(kept[-1])
    assert newest.execute("SELECT count(*) FROM t").fetchone()[0] == 5
    newest.close()
    con.close()
