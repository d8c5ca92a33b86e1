"""The CLI's big-import path (index fed while files are read) and the merge policy."""

import json
import os
import subprocess
import sys

from articles.library import Library
from articles.services.importing import PARALLEL_READ_MIN
from conftest import BBC, ROOT, need
from index.core import SearchIndex
from test_reliability import CLI, assert_whole


def _add(lib_dir, *sources):
    cmd = CLI + ["add", "--library", str(lib_dir), "--no-entities", "--json", *map(str, sources)]
    # A timeout: helpers left waiting for work once kept the process from exiting.
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    return json.loads(done.stdout)


def test_cli_import_indexes_while_reading_and_leaves_nothing_queued(tmp_path):
    corpus = need(BBC)
    sources = [corpus / "sport", corpus / "tech"]
    assert sum(len(list(s.glob("*.txt"))) for s in sources) >= PARALLEL_READ_MIN
    lib_dir = tmp_path / "lib"
    first = _add(lib_dir, *sources)
    with Library(lib_dir) as lib:
        assert_whole(lib)
        assert first["added"] == lib.count() > 0
        assert lib.store.queue_len() == 0
        assert lib.index.id_counts() == {aid: 1 for aid in lib.store.all_ids()}
        hits = lib.search("broadband").total
    again = _add(lib_dir, *sources)  # nothing new to index: the writer must still let go
    assert again["added"] == 0 and again["unchanged"] == first["added"]
    more = _add(lib_dir, corpus / "business")  # into an existing index
    with Library(lib_dir) as lib:
        assert lib.store.queue_len() == 0 and lib.check().clean
        assert lib.index.doc_count() == lib.count() == first["added"] + more["added"]
        assert lib.search("broadband").total >= hits


def test_merge_policy_keeps_segment_count_bounded(tmp_path):
    index = SearchIndex(tmp_path / "ix", "token")
    index.create()
    for commit in range(25):
        docs = [{"id": f"{commit}-{i}", "title": f"title {commit}", "body": f"body word{i}"}
                for i in range(4)]
        index.apply(docs)
        index.seal()
        # Ten small segments become one: never more than ten of one size.
        assert len(index.open()._segments()) <= 10
        index.close()
    assert index.doc_count() == 100
    assert sum(index.id_counts().values()) == 100
    index.close()
    SearchIndex(tmp_path / "ix", "token").open()  # sums and files still agree


def test_bulk_commit_leaves_no_thread_behind_so_the_next_chunk_forks_helpers(tmp_path):
    """Library.add forks each chunk's index helpers only from a single-threaded
    process. The multi-process writer's job queue left its feeder thread
    running after the commit, so the next chunk sometimes saw two threads and
    was indexed afterwards in this process alone, several times slower."""
    script = f"""
import json, os, threading
from index.core import SearchIndex
index = SearchIndex({str(tmp_path / 'ix')!r}, "token")
index.create()
session = index.session(bulk=True, fresh=True)
helpers = len(getattr(session.writer, "tasks", ()))
session.write({{"id": f"a{{i}}", "title": "t", "body": f"body word{{i}}"}} for i in range(300))
session.commit()
print(json.dumps({{"helpers": helpers, "threads": [t.name for t in threading.enumerate()],
                  "docs": index.doc_count()}}))
"""
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["docs"] == 300
    if (os.cpu_count() or 1) > 1:
        assert out["helpers"] > 0  # the multi-process writer really ran
    assert out["threads"] == ["MainThread"]


def test_import_adds_new_articles_without_lookup_but_replaces_a_queued_old_copy(tmp_path):
    """The import skips the per-segment id lookup for articles new to the store,
    except those with index work still queued: an article deleted from the
    store (its removal from the index not yet done) and imported again must
    replace its old index copy, not sit beside it."""
    corpus = need(BBC)
    sources = [corpus / "sport", corpus / "tech"]
    lib_dir = tmp_path / "lib"
    first = _add(lib_dir, *sources)
    with Library(lib_dir) as lib:
        gone = sorted(lib.store.all_ids())[:5]
        with lib.store.transaction():
            assert lib.store.delete(gone) == 5  # queued; the index still has them
        assert all(lib.index.id_counts().get(aid) == 1 for aid in gone)
    again = _add(lib_dir, *sources)
    assert again["added"] == 5 and again["unchanged"] == first["added"] - 5
    with Library(lib_dir) as lib:
        assert lib.store.queue_len() == 0
        assert lib.index.id_counts() == {aid: 1 for aid in lib.store.all_ids()}
        assert lib.check().clean


def test_upsert_says_when_the_index_cannot_hold_an_added_article(tmp_path):
    from articles.model import Draft
    from articles.store import Store

    store = Store(tmp_path / "library.db")
    draft = Draft(title="T", body="A body of text.", origin="file:/a.md")
    with store.transaction():
        first = store.upsert(draft)
    assert first.status == "added" and first.unindexed
    with store.transaction():
        store.delete([first.id])
        again = store.upsert(draft)  # its removal from the index is still queued
    assert again.status == "added" and not again.unindexed
    store.dequeue(store.tickets([first.id]))
    with store.transaction():
        store.delete([first.id])
    store.dequeue(store.tickets([first.id]))
    with store.transaction():
        third = store.upsert(draft)
    assert third.status == "added" and third.unindexed


def test_bulk_writes_let_the_log_grow_and_restore_sqlites_default(tmp_path):
    from articles.store import Store

    store = Store(tmp_path / "library.db")

    def pages():
        return store.conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0]

    assert pages() == 1000
    with store.bulk_writes():
        assert pages() > 1000
    assert pages() == 1000
    try:
        with store.bulk_writes():
            raise RuntimeError("import failed")
    except RuntimeError:
        pass
    assert pages() == 1000
