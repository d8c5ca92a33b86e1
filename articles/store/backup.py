"""Rolling backups of the store, the record of truth.

SQLite's online backup API copies a consistent snapshot while the store stays in
use.  A few generations are kept in the library folder (``backups/``), newest
last by name; one is taken only when the newest is older than an interval, so a
busy import does not copy the store after every file.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

BACKUP_DIR = "backups"
GENERATIONS = 3
INTERVAL = 3600.0  # seconds between two backups


def backups(folder: Path) -> list[Path]:
    """The backups in ``folder``, oldest first."""
    d = Path(folder) / BACKUP_DIR
    return sorted(d.glob("library-*.db")) if d.is_dir() else []


def maybe_backup(conn: sqlite3.Connection, folder: Path, *, interval: float = INTERVAL,
                 keep: int = GENERATIONS, now: float | None = None) -> Path | None:
    """Back the store up when the newest backup is older than ``interval``.

    Returns the new backup's path, or None when none was due or the disk or
    folder would not take one (a backup never fails the work it follows)."""
    now = time.time() if now is None else now
    have = backups(folder)
    # (A newest backup dated in the future, a clock set back, does not block new ones.)
    if have and 0 <= now - have[-1].stat().st_mtime < interval:
        return None
    d = Path(folder) / BACKUP_DIR
    target = d / f"library-{time.strftime('%Y%m%d-%H%M%S', time.gmtime(now))}-{int(now * 1000) % 1000:03}.db"
    part = target.with_suffix(".part")
    try:
        d.mkdir(exist_ok=True)
        dest = sqlite3.connect(str(part))
        try:
            conn.backup(dest)
        finally:
            dest.close()
        part.replace(target)  # a backup is complete or absent, never half-written
    except (OSError, sqlite3.Error):
        part.unlink(missing_ok=True)
        return None
    for old in backups(folder)[:-keep]:
        old.unlink(missing_ok=True)
    return target
