"""The CLI's big-import path (index fed while files are read) and the merge policy."""

import json
import os
import subprocess
import sys

from articles.library import PARALLEL_READ_MIN, Library
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
