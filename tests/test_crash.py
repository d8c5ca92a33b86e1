"""Crash safety: SIGKILL a real `newsdesk add` of the BBC corpus again and again.

In its own file so it runs beside the other reliability tests (it is the slow one)."""

import json
import os
import random
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

from articles.library import Library
from conftest import BBC, ROOT, need
from test_reliability import CLI, assert_whole

# -- crashes ------------------------------------------------------------------
KILLS = 20
KILL_SEED = 20261123


def _stored(lib_dir: Path) -> int:
    import sqlite3

    try:
        con = sqlite3.connect(f"file:{lib_dir / 'library.db'}?mode=ro", uri=True, timeout=1)
        try:
            return con.execute("SELECT count(*) FROM articles").fetchone()[0]
        finally:
            con.close()
    except sqlite3.Error:
        return 0


def _indexing(pid: int) -> bool:
    """The process has the index write-lock file open: it is writing the index."""
    try:
        return any(os.readlink(f"/proc/{pid}/fd/{fd}").endswith("MAIN_WRITELOCK")
                   for fd in os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return False


def _kill_when(proc, lib_dir: Path, trigger: str, rnd: random.Random) -> None:
    """SIGKILL at a seeded random moment of the chosen kind: any time early on,
    part-way through storing a batch, or part-way through an index commit."""
    if trigger == "time":
        time.sleep(rnd.uniform(0.3, 3.0))
    else:
        start = _stored(lib_dir)
        target = start + rnd.randint(1, 250)
        extra = rnd.uniform(0.0, 1.5)
        deadline = time.monotonic() + 15
        while proc.poll() is None and time.monotonic() < deadline:
            if trigger == "storing" and _stored(lib_dir) >= target:
                break
            if trigger == "indexing" and _indexing(proc.pid):
                time.sleep(extra)
                break
            time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()


def test_killed_bbc_import_loses_nothing_and_resumes(tmp_path):
    """SIGKILL a real `newsdesk add` of the BBC corpus at 20 seeded random moments
    (one library, killed again and again) and check the library after each."""
    corpus = need(BBC)
    lib_dir = tmp_path / "lib"
    rnd = random.Random(KILL_SEED)
    cmd = CLI + ["add", "--library", str(lib_dir), "--no-entities", "--json", str(corpus)]
    seen: dict[str, str] = {}  # id -> body hash: what is stored stays stored
    phases: list[tuple[int, int, str]] = []  # (stored, queued, index) after each kill
    triggers = Counter()
    flagged: set[str] = set()  # starred and read by the user: must stay so
    for i in range(KILLS):
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        trigger = rnd.choice(["time", "storing", "indexing"])
        _kill_when(proc, lib_dir, trigger, rnd)
        if proc.returncode == -signal.SIGKILL:
            triggers[trigger] += 1
        if not lib_dir.exists():
            continue
        with Library(lib_dir) as lib:  # opens after every kill
            assert_whole(lib)
            now = dict(lib.store.conn.execute("SELECT id, body_hash FROM articles"))
            phases.append((len(now), lib.store.queue_len(), lib.index_status()[:20]))
            assert all(now.get(aid) == h for aid, h in seen.items()), f"kill {i}: articles lost"
            seen = now
            # Whatever the index lacks or has extra is still in the outbox, so the
            # next start repairs it; only a damaged index may need more (a rebuild).
            report = lib.check()
            # (check says so: changes still queued are reported, not called consistent.)
            assert report.clean or all("damaged" in p or "missing or not" in p
                                       or "not yet in the search index" in p
                                       for p in report.problems), (i, report.to_json())
            # Give the next run work in every phase: forget a random slice (it is
            # stored and indexed again), and change the state of a few others.
            ids = sorted(now)
            if ids and lib.index_status() in ("ok", "stale"):
                # (leaving at least five to flag: a kill can come before the
                # second batch of 250 is stored)
                gone = set(rnd.sample(ids, min(250, max(0, len(ids) - 5))))
                with lib.store.transaction():
                    lib.store.delete(gone)
                for aid in rnd.sample(sorted(set(ids) - gone), 5):
                    lib.set_starred(aid)
                    lib.set_read(aid)
                    flagged.add(aid)
                flagged -= gone
                seen = {k: v for k, v in seen.items() if k not in gone}
            assert lib.store.count("starred=1 AND read=1") >= len(flagged)
            assert all(lib.get(aid).starred for aid in flagged)

    print(f"\nkills by moment: {dict(triggers)}; after each (stored, queued, index): {phases}")
    assert sum(triggers.values()) >= KILLS - 2  # (a run may finish before its moment comes)
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert "Traceback" not in done.stderr, done.stderr
    final = json.loads(done.stdout)
    with Library(lib_dir) as lib:
        assert_whole(lib)
        report = lib.check(repair=True)
        assert report.clean and not report.problems, report.to_json()
        assert report.indexed == lib.count() and lib.store.queue_len() == 0
        assert all(now.get(aid) == h for aid, h in seen.items())
        assert all(lib.get(aid).starred and lib.get(aid).read for aid in flagged)
        stored = {Path(p).resolve() for (p,) in lib.store.conn.execute("SELECT path FROM articles")}
        assert lib.count() == len(stored)  # one article per file, none twice
    # The import is complete: every corpus file is stored, or is a duplicate of
    # a stored text, or failed with a reason.
    accounted = stored | {Path(d["source"]).resolve() for d in final["duplicate_of"]} \
        | {Path(f["source"]).resolve() for f in final["failed"]}
    assert {p.resolve() for p in corpus.rglob("*.txt")} <= accounted
    assert final["added"] + final["updated"] + final["unchanged"] == len(stored)
