"""Reliability: kills mid-import, two processes at once, a damaged index, a full
disk and a read-only library. The store is the record of truth; everything
here checks that nothing in it is lost and that the index always catches up."""

import asyncio
import json
import os
import random
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

import main
from articles.library import Library, LibraryError
from articles.model import Draft, body_hash
from conftest import ROOT

PY = sys.executable
CLI = [PY, str(ROOT / "main.py")]
WORDS = ("harbour council budget river storm election museum railway festival courts "
         "vaccine orchestra drought startup satellite glacier tariff stadium novel").split()


def drafts(n: int, tag: str = "a", seed: int = 0) -> list[Draft]:
    rnd = random.Random(f"{tag}{seed}")
    return [Draft(title=f"{tag} story {i} {rnd.choice(WORDS)}",
                  body=" ".join(rnd.choice(WORDS) for _ in range(60)) + f" marker{tag}{i}",
                  origin=f"test:{tag}:{i}", source=f"Outlet {i % 3}", date=f"2024-01-{1 + i % 28:02d}")
            for i in range(n)]


def snapshot(lib: Library) -> dict[str, tuple]:
    """Everything the user has in the store, by id."""
    return {r[0]: tuple(r[1:]) for r in lib.store.conn.execute(
        "SELECT id, origin, title, body, body_hash, read, starred, source, date FROM articles")}


def assert_whole(lib: Library) -> None:
    """No article is half-stored: every row is complete and its hash is of its own body."""
    for aid, origin, title, body, h in lib.store.conn.execute(
            "SELECT id, origin, title, body, body_hash FROM articles"):
        assert title and origin, aid
        assert h == body_hash(body), f"{aid}: body and hash disagree"
    dup = lib.store.conn.execute(
        "SELECT body_hash, count(*) FROM articles GROUP BY body_hash HAVING count(*) > 1").fetchall()
    assert dup == [], "the same text stored twice"


@pytest.fixture()
def filled(tmp_path) -> Path:
    """A library of 300 articles, some read or starred, with a multi-segment index."""
    path = tmp_path / "lib"
    with Library(path) as lib:
        for part in range(3):
            lib.add_drafts(drafts(100, tag=f"p{part}"))
        ids = [r.id for r in lib.rows(sort="title")]
        for aid in ids[:40]:
            lib.set_read(aid)
        for aid in ids[::25]:
            lib.set_starred(aid)
    return path


# -- privacy ------------------------------------------------------------------
def test_library_and_index_folders_are_private(tmp_path):
    with Library(tmp_path / "new" / "lib") as lib:
        lib.add_drafts(drafts(3))
        assert (lib.path.stat().st_mode & 0o777) == 0o700
        assert (lib.index.path.stat().st_mode & 0o777) == 0o700


def test_check_reports_and_repairs_an_open_library_folder(filled):
    os.chmod(filled, 0o755)
    with Library(filled) as lib:
        found = lib.check()
        assert not found.clean and any("open to other users" in p for p in found.problems)
        assert lib.check(repair=True).clean
        assert (filled.stat().st_mode & 0o777) == 0o700


def test_an_index_without_our_token_is_never_opened(filled, tmp_path):
    with Library(filled) as lib:
        marker = json.loads((lib.index.path / "newsdesk-index.json").read_text())
    marker["token"] = "0" * 32
    (filled / "index" / "newsdesk-index.json").write_text(json.dumps(marker))
    with Library(filled) as lib:
        assert "not written by this library" in lib.index_status()
        assert lib.ensure_index().startswith("rebuilt")
        assert lib.search("harbour").total > 0


# -- damaged index --------------------------------------------------------------
def _damage(index: Path, target: str, how: str) -> str:
    files = sorted(os.listdir(index))
    if target == "toc":
        name = next(f for f in files if f.startswith("_MAIN_") and f.endswith(".toc"))
    else:
        segs = [f for f in files if f.startswith("MAIN_") and f.endswith(".seg")]
        assert segs, files
        name = max(segs, key=lambda f: (index / f).stat().st_size)
    path = index / name
    if how == "deleted":
        path.unlink()
    elif how == "truncated":
        os.truncate(path, path.stat().st_size // 2)
    else:  # garbage in the middle, size unchanged: only a full read would notice
        data = bytearray(path.read_bytes())
        rnd = random.Random(7)
        start = len(data) // 3
        for i in range(start, min(start + 48, len(data))):
            data[i] = rnd.randrange(256)
        path.write_bytes(bytes(data))
    return name


@pytest.mark.parametrize("target", ["segment", "toc"])
@pytest.mark.parametrize("how", ["deleted", "truncated", "garbage"])
def test_damaged_index_is_detected_at_open_and_rebuilt(filled, target, how):
    with Library(filled) as lib:
        before = snapshot(lib)
        expected = lib.search("harbour", limit=500).total
    _damage(filled / "index", target, how)

    with Library(filled) as lib:
        status = lib.index_status()  # detected when opening, before any search
        assert "damaged" in status, status
        notices = []
        done = lib.ensure_index(notice=notices.append)
        assert done.startswith("rebuilt") and notices and "rebuilding" in notices[0]
        assert snapshot(lib) == before  # read/star state and every article kept
        assert lib.search("harbour", limit=500).total == expected
        report = lib.check()
        assert report.clean and report.indexed == len(before), report.to_json()


def test_search_cli_rebuilds_a_damaged_index_with_a_message(filled, capsys):
    _damage(filled / "index", "segment", "garbage")
    code = main.main(["search", "--library", str(filled), "--json", "harbour"])
    cap = capsys.readouterr()
    assert code == 0 and json.loads(cap.out)["total"] > 0
    assert "rebuilding it from the store" in cap.err and "Traceback" not in cap.err


def test_check_finds_and_repairs_missing_extra_and_doubled_entries(filled, capsys):
    with Library(filled) as lib:
        ids = sorted(lib.store.all_ids())
        ghost = lib.store.get(ids[0])
        # Damage the agreement behind the outbox's back.
        lib.index.apply((), deletes=ids[1:4])
        w = lib.index.writer()
        ghost_doc = {"id": "feedfacecafe", "title": "ghost", "body": "ghost"}
        w.add_document(**ghost_doc)
        w.add_document(id=ghost.id, title=ghost.title, body=ghost.body)
        w.commit()
        lib.index.seal()

    code = main.main(["check", "--library", str(filled), "--json"])
    found = json.loads(capsys.readouterr().out)
    assert code == 1 and not found["clean"]
    assert (found["missing"], found["extra"], found["duplicated"]) == (3, 1, 1)

    code = main.main(["check", "--library", str(filled), "--repair", "--json"])
    fixed = json.loads(capsys.readouterr().out)
    assert code == 0 and fixed["clean"] and fixed["repaired"], fixed
    with Library(filled) as lib:
        again = lib.check()
        assert again.clean and not again.problems and again.indexed == 300
        assert Counter(lib.index.id_counts()).most_common(1)[0][1] == 1


def test_ensure_index_notices_a_short_index(filled):
    with Library(filled) as lib:
        lib.index.apply((), deletes=sorted(lib.store.all_ids())[:5])
        lib.index.seal()
    with Library(filled) as lib:
        assert lib.ensure_index().startswith("repaired")
        assert lib.index.doc_count() == 300 and lib.check().clean


# -- two processes -------------------------------------------------------------
def _write_texts(folder: Path, tag: str, n: int) -> Path:
    folder.mkdir(parents=True)
    for d in drafts(n, tag=tag):
        (folder / f"{tag}-{d.origin.rsplit(':', 1)[1]}.txt").write_text(f"{d.title}\n\n{d.body}\n")
    return folder


def test_two_imports_at_once_both_complete(tmp_path):
    lib_dir = tmp_path / "lib"
    with Library(lib_dir) as lib:
        lib.add_drafts(drafts(20, tag="seed"))
    a = _write_texts(tmp_path / "a", "ta", 150)
    b = _write_texts(tmp_path / "b", "tb", 150)
    procs = [subprocess.Popen(CLI + ["add", "--library", str(lib_dir), "--no-entities", "--json", str(f)],
                              cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for f in (a, b)]
    outs = [p.communicate(timeout=180) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, err
        assert json.loads(out)["added"] == 150
        assert "busy" not in err and "locked" not in err and "Traceback" not in err
    with Library(lib_dir) as lib:
        assert lib.count() == 320
        lib.ensure_index()  # whatever a skipped sync left in the outbox
        assert lib.check().clean and lib.index.doc_count() == 320
        assert lib.search("markerta149").total == 1 and lib.search("markertb0").total == 1


def test_tui_open_while_another_process_imports(tmp_path):
    pytest.importorskip("textual")
    from tui.app import NewsdeskApp

    lib_dir = tmp_path / "lib"
    with Library(lib_dir) as lib:
        lib.add_drafts(drafts(30, tag="old"))
    folder = _write_texts(tmp_path / "in", "new", 200)

    async def scenario():
        lib = Library(lib_dir)
        app = NewsdeskApp(lib)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            proc = subprocess.Popen(CLI + ["add", "--library", str(lib_dir), "--no-entities", str(folder)],
                                    cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            starred = 0
            while proc.poll() is None:  # the user keeps working meanwhile
                await pilot.press("s")
                starred += 1
                await pilot.press("down")
                await asyncio.sleep(0.2)
            out, err = proc.communicate()
            await pilot.pause()
            errors = [s for s in app.screen_stack if type(s).__name__ == "ErrorDialog"]
            assert not errors, [getattr(s, "message", s) for s in errors]
            assert proc.returncode == 0, err
            assert "busy" not in err and "locked" not in err
            assert app.library.count() == 230  # the open app sees the new articles
            for _ in range(40):  # ...and its list picks them up by itself
                if app.article_list.total == 230:
                    break
                await asyncio.sleep(0.25)
            assert app.article_list.total == 230
            assert app.library.store.count("starred=1") > 0
        lib.close()

    asyncio.run(scenario())
    with Library(lib_dir) as lib:
        lib.ensure_index()
        assert lib.check().clean and lib.index.doc_count() == 230


# -- full disk and read-only library ----------------------------------------------
def _mount_tmpfs(where: Path, size: str) -> None:
    where.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(where)],
                       capture_output=True, text=True)
    if r.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.strip()}")


@pytest.fixture()
def small_fs(tmp_path):
    where = tmp_path / "fs"
    _mount_tmpfs(where, "12m")
    yield where
    subprocess.run(["umount", "-l", str(where)], capture_output=True)


def _fill(fs: Path) -> Path:
    filler = fs / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError:
        pass
    finally:
        os.close(fd)
    return filler


def test_full_disk_gives_a_clear_message_and_loses_nothing(small_fs, tmp_path, capsys):
    lib_dir = small_fs / "lib"
    with Library(lib_dir) as lib:
        lib.add_drafts(drafts(80, tag="kept"))
        lib.set_starred(lib.rows()[0].id)
        before = snapshot(lib)
        # Stored but not yet indexed, to make the index write hit the full disk too.
        with lib.store.transaction():
            for d in drafts(150, tag="queued", seed=3):
                lib.store.upsert(d)
        before_q = snapshot(lib)

    with Library(lib_dir) as lib:  # open (say in the TUI) when the disk fills up
        lib.index.open()
        filler = _fill(small_fs)
        with pytest.raises(LibraryError, match="disk is full"):
            lib.sync_index()
        big = [Draft(title=f"big {i}", body=" ".join(random.Random(i).choice(WORDS) + str(j)
                                                     for j in range(3000)), origin=f"big:{i}")
               for i in range(200)]
        with pytest.raises(LibraryError, match="disk is full"):
            lib.add_drafts(big)
        assert snapshot(lib) == before_q

    texts = _write_texts(tmp_path / "more", "more", 300)
    code = main.main(["add", "--library", str(lib_dir), "--no-entities", str(texts)])
    err = capsys.readouterr().err
    assert code == 1 and "disk is full" in err and "Traceback" not in err
    assert err.count("newsdesk:") == 1, err  # one message (Rich may wrap it)
    code = main.main(["mark", "--library", str(lib_dir), next(iter(before)), "--read"])
    err = capsys.readouterr().err
    assert code == 1 and "disk is full" in err and "Traceback" not in err

    filler.unlink()
    with Library(lib_dir) as lib:
        now = snapshot(lib)
        assert all(now.get(k) == v for k, v in before_q.items())
        assert set(before) <= set(now)
        assert lib.check(repair=True).clean
        assert lib.index.doc_count() == lib.count()


def test_read_only_library_reads_and_refuses_changes_clearly(small_fs, capsys):
    lib_dir = small_fs / "lib"
    with Library(lib_dir) as lib:
        lib.add_drafts(drafts(40, tag="ro"))
        aid = lib.rows()[0].id
        lib.set_starred(aid)
        before = snapshot(lib)
    r = subprocess.run(["mount", "-o", "remount,ro", str(small_fs)], capture_output=True, text=True)
    if r.returncode:
        pytest.skip(f"cannot remount read-only: {r.stderr.strip()}")
    try:
        with Library(lib_dir) as lib:
            assert snapshot(lib) == before
            assert lib.search("harbour").total >= 0
            with pytest.raises(LibraryError, match="read-only"):
                lib.set_read(aid)
            with pytest.raises(LibraryError, match="read-only"):
                lib.add_drafts(drafts(2, tag="nope"))
        code = main.main(["mark", "--library", str(lib_dir), aid, "--read"])
        err = capsys.readouterr().err
        assert code == 1 and "read-only" in err and "Traceback" not in err
        code = main.main(["list", "--library", str(lib_dir), "--json"])
        assert code == 0 and len(json.loads(capsys.readouterr().out)["articles"]) == 40
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(small_fs)], capture_output=True)
    with Library(lib_dir) as lib:
        assert snapshot(lib) == before and lib.check().clean


def test_a_library_open_when_the_disk_fills_still_searches_and_groups_stories(small_fs):
    # The disk fills while the library is open (the TUI, say): the index cannot
    # take the changes that wait, nor the stories their regrouping; reading
    # goes on with what is there, and says what is not searchable yet.
    lib_dir = small_fs / "lib"
    with Library(lib_dir) as lib:
        lib.add_drafts(drafts(40, tag="kept"))
    with Library(lib_dir) as lib:
        with lib.store.transaction():
            for d in drafts(60, tag="queued", seed=3):
                lib.store.upsert(d)
        lib.index.open()
        _fill(small_fs)
        heard = []
        assert lib.ensure_index(notice=heard.append) == "stale (disk full)"
        assert len(heard) == 1 and "disk is full" in heard[0] and "60 change(s)" in heard[0], heard
        assert lib.search("kept").total == 40
        assert sum(len(s.articles) for s in lib.stories()) == 100


def test_stories_grouped_on_a_read_only_remount(small_fs, capsys):
    # Stories are derived and cached in the store: articles added since they were
    # last worked out need a regrouping, which a read-only file system cannot
    # keep; it is done in a private copy instead.
    lib_dir = small_fs / "lib"
    body = " ".join(random.Random(7).choice(WORDS) + str(j) for j in range(400))
    with Library(lib_dir) as lib:
        lib.add_drafts(drafts(30, tag="ro"))
        lib.add_drafts([Draft(title="Harbour strike: the wire copy", body=body, origin="wire:1"),
                        Draft(title="Harbour strike, as the paper ran it", body=body + " Updated.",
                              origin="paper:1")])
    r = subprocess.run(["mount", "-o", "remount,ro", str(small_fs)], capture_output=True, text=True)
    if r.returncode:
        pytest.skip(f"cannot remount read-only: {r.stderr.strip()}")
    try:
        code = main.main(["stories", "--library", str(lib_dir), "--grouped", "--json"])
        cap = capsys.readouterr()
        assert code == 0 and "Traceback" not in cap.err, cap.err
        grouped = json.loads(cap.out)["stories"]
        assert any(s["copies"] and len(s["articles"]) == 2 for s in grouped), grouped  # the copy and its original
        code = main.main(["stories", "--library", str(lib_dir), "--json"])
        assert code == 0 and sum(len(s["articles"]) for s in json.loads(capsys.readouterr().out)["stories"]) == 32
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(small_fs)], capture_output=True)
