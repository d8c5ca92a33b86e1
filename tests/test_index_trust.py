"""Index files hold pickles: none is read unless Newsdesk signed it on this machine.

A library folder may come from someone else. These tests plant a crafted newer
table of contents (whose pickle would create a marker file) in a real library,
and open a library indexed under another key (a copied library): the pickle
never runs, every command still answers (after a rebuild from the store), and
`check` does not call the library consistent before repairing it."""

import asyncio
import json
import os
import pickle
import stat
from pathlib import Path

import pytest

import main
from articles.library import Library
from index.keys import KEY_FILE

from test_reliability import drafts

N = 60


class _Payload:
    """Unpickles by running a command, then returns the real schema, as the
    attack did: an index that opens as if nothing happened."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        code = (f"__import__('pathlib').Path({self.marker!r}).touch() or "
                "__import__('index.schema', fromlist=['make_schema']).make_schema()")
        return eval, (code,)


def plant_toc(index_dir, marker) -> str:
    """Write `_MAIN_<newest+1>.toc` with the payload as its schema and the real segments."""
    from whoosh.filedb.filestore import FileStorage
    from whoosh.index import _CURRENT_TOC_VERSION, _FLOAT_SIZE, _INT_SIZE, _LONG_SIZE, TOC
    from whoosh import __version__

    storage = FileStorage(str(index_dir))
    gen = TOC._latest_generation(storage, "MAIN")
    segments = TOC.read(storage, "MAIN", gen).segments  # the genuine one, test side
    name = TOC._filename("MAIN", gen + 1)
    f = storage.create_file(name)
    for size in (_INT_SIZE, _LONG_SIZE, _FLOAT_SIZE):
        f.write_varint(size)
    f.write_int(-12345)
    f.write_int(_CURRENT_TOC_VERSION)
    for num in __version__[:3]:
        f.write_varint(num)
    f.write_string(pickle.dumps(_Payload(marker), 2))
    f.write_int(gen + 1)
    f.write_int(0)
    f.write_pickle(segments)
    f.close()
    # The payload really runs when Whoosh reads this file unguarded.
    assert TOC.read(storage, "MAIN", gen + 1).generation == gen + 1 and marker.exists()
    marker.unlink()
    return name


@pytest.fixture()
def planted(tmp_path):
    lib_dir = tmp_path / "lib"
    with Library(lib_dir) as lib:
        lib.add_drafts(drafts(N, tag="t"))
        expected = lib.search("harbour", limit=500).total
        assert expected > 0
    marker = tmp_path / "pwned"
    plant_toc(lib_dir / "index", marker)
    return lib_dir, marker, expected


def _run(capsys, *argv):
    code = main.main(list(argv))
    cap = capsys.readouterr()
    assert "Traceback" not in cap.err
    return code, cap


def test_search_rebuilds_instead_of_reading_a_planted_toc(planted, capsys):
    lib_dir, marker, expected = planted
    code, cap = _run(capsys, "search", "--library", str(lib_dir), "--json", "--limit", "500", "harbour")
    assert not marker.exists()
    assert code == 0 and json.loads(cap.out)["total"] == expected
    err = " ".join(cap.err.split())  # Rich wraps at the console width
    assert "unverified" in err and "rebuilding it from the store" in err
    assert not marker.exists()


def test_stats_rebuilds_instead_of_reading_a_planted_toc(planted, capsys):
    lib_dir, marker, _ = planted
    code, cap = _run(capsys, "stats", "--library", str(lib_dir), "--json")
    assert not marker.exists()
    stats = json.loads(cap.out)
    assert code == 0 and stats["articles"] == N and stats["indexed"] == N


def test_check_reports_a_planted_toc_then_repairs_it(planted, capsys):
    lib_dir, marker, expected = planted
    code, cap = _run(capsys, "check", "--library", str(lib_dir), "--json")
    found = json.loads(cap.out)
    assert not marker.exists()
    assert code == 1 and not found["clean"]
    assert any("unverified" in p for p in found["problems"]), found

    code, cap = _run(capsys, "check", "--library", str(lib_dir))
    assert code == 1 and "library is consistent" not in cap.out

    code, cap = _run(capsys, "check", "--library", str(lib_dir), "--repair", "--json")
    fixed = json.loads(cap.out)
    assert not marker.exists()
    assert code == 0 and fixed["clean"] and fixed["indexed"] == N
    assert any("rebuilt the index" in r for r in fixed["repaired"]), fixed
    with Library(lib_dir) as lib:
        assert lib.index_status() == "ok" and lib.check().clean
        assert lib.search("harbour", limit=500).total == expected


def test_tui_rebuilds_instead_of_reading_a_planted_toc(planted):
    pytest.importorskip("textual")
    from tui.app import NewsdeskApp

    lib_dir, marker, expected = planted

    async def flow():
        lib = Library(lib_dir)
        app = NewsdeskApp(lib)
        async with app.run_test(size=(120, 36)) as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert not [s for s in app.screen_stack if type(s).__name__ == "ErrorDialog"]
            assert lib.search("harbour", limit=500).total == expected
        lib.close()

    asyncio.run(flow())
    assert not marker.exists()


def test_a_toc_planted_while_the_index_is_open_is_refused(tmp_path):
    """A reader that already trusted the index re-reads the newest TOC on
    every refresh: that read goes through the same verification."""
    lib_dir = tmp_path / "lib"
    marker = tmp_path / "pwned"
    with Library(lib_dir) as lib:
        lib.add_drafts(drafts(N, tag="t"))
        assert lib.search("harbour").total > 0
        plant_toc(lib_dir / "index", marker)
        from articles.library import LibraryError
        with pytest.raises(LibraryError, match="unverified"):
            lib.search("harbour")
        assert not marker.exists()
        assert lib.ensure_index().startswith("rebuilt")
        assert lib.search("harbour").total > 0
    assert not marker.exists()


def test_a_library_indexed_under_another_key_rebuilds(tmp_path, monkeypatch, capsys):
    """A library copied from another machine (another key) is never read: it rebuilds."""
    lib_dir = tmp_path / "lib"
    with Library(lib_dir) as lib:
        lib.add_drafts(drafts(N, tag="t"))
        expected = lib.search("harbour", limit=500).total
    monkeypatch.setenv("NEWSDESK_KEY_DIR", str(tmp_path / "elsewhere"))
    with Library(lib_dir) as lib:
        status = lib.index_status()
        assert "not signed with this machine's key" in status, status
    code, cap = _run(capsys, "search", "--library", str(lib_dir), "--json", "--limit", "500", "harbour")
    assert code == 0 and json.loads(cap.out)["total"] == expected
    assert "rebuilding it from the store" in " ".join(cap.err.split())
    key = tmp_path / "elsewhere" / KEY_FILE
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    with Library(lib_dir) as lib:  # rebuilt once, then trusted
        assert lib.index_status() == "ok" and lib.check().clean


@pytest.mark.parametrize("how", ["sums deleted", "sums rewritten"])
def test_an_index_without_valid_signatures_is_rebuilt(tmp_path, how):
    lib_dir = tmp_path / "lib"
    with Library(lib_dir) as lib:
        lib.add_drafts(drafts(N, tag="t"))
    sums = lib_dir / "index" / "newsdesk-sums.json"
    if how == "sums deleted":
        sums.unlink()
    else:  # anyone can write JSON: without the key the entries do not verify
        data = json.loads(sums.read_text())
        data["files"] = {n: [size, "0" * 64] for n, (size, _mac) in data["files"].items()}
        sums.write_text(json.dumps(data))
    with Library(lib_dir) as lib:
        status = lib.index_status()
        assert "unverified" in status or "signature" in status, status
        assert lib.ensure_index().startswith("rebuilt")
        assert lib.index_status() == "ok" and lib.index.doc_count() == N


def test_no_key_in_the_library_and_commits_are_signed_before_they_show(tmp_path):
    lib_dir = tmp_path / "lib"
    with Library(lib_dir) as lib:
        lib.add_drafts(drafts(N, tag="t"))
        lib.add_drafts(drafts(5, tag="u"))  # a second commit, signed by the storage itself
    key = (Path(os.environ["NEWSDESK_KEY_DIR"]) / KEY_FILE).read_text().strip()
    for p in lib_dir.rglob("*"):
        if p.is_file():
            assert key.encode() not in p.read_bytes(), p
    with Library(lib_dir) as lib:
        assert lib.index_status() == "ok" and lib.index.doc_count() == N + 5



def test_damaged_segments_with_the_sums_file_deleted_are_never_re_signed(tmp_path):
    # Deleting the sums file must not turn damaged segments into trusted ones:
    # a missing sums file means unverified, so the index is rebuilt from the store.
    lib_dir = tmp_path / "lib"
    with Library(lib_dir) as lib:
        lib.add_drafts(drafts(N, tag="t"))
        expected = lib.search("harbour", limit=500).total
    index_dir = lib_dir / "index"
    damaged = {}
    for seg in sorted(index_dir.glob("*.seg")) + sorted(index_dir.glob("*.trm")) + sorted(index_dir.glob("*.pst")):
        data = bytearray(seg.read_bytes())
        for k in range(12):
            data[(k * 7919) % len(data)] ^= 0x5A
        seg.write_bytes(bytes(data))
        damaged[seg.name] = bytes(data)
    assert damaged, sorted(p.name for p in index_dir.iterdir())
    (index_dir / "newsdesk-sums.json").unlink()
    with Library(lib_dir) as lib:
        assert "unverified" in lib.index_status()
        assert lib.ensure_index().startswith("rebuilt")
        assert lib.search("harbour", limit=500).total == expected
    signed = json.loads((index_dir / "newsdesk-sums.json").read_text())["files"]
    for name, data in damaged.items():
        path = index_dir / name
        assert not (name in signed and path.exists() and path.read_bytes() == data), name


def _hashes(monkeypatch) -> list[str]:
    """Names of the index files hashed from now on."""
    import index.core as core

    seen, real = [], core._mac
    monkeypatch.setattr(core, "_mac", lambda key, name, f: seen.append(name) or real(key, name, f))
    return seen


def test_a_verified_stamp_spares_the_next_process_the_hashing_but_not_damage(tmp_path, monkeypatch):
    """Every command is a process: the first to verify the index leaves a signed
    stamp of the files' stat keys, and the next opens without hashing them. A
    file changed since (or a stamp not made with this key) means hashing again."""
    import index.core as core

    lib_dir = tmp_path / "lib"
    with Library(lib_dir) as lib:
        lib.add_drafts(drafts(N, tag="t"))
    with Library(lib_dir) as lib:  # a fresh process: hashes everything, leaves the stamp
        assert lib.index_status() == "ok"
    stamp = lib_dir / "index" / core.STAMP
    assert stamp.exists()
    seen = _hashes(monkeypatch)
    with Library(lib_dir) as lib:
        lib.index._storage_obj = None  # nothing remembered in this process
        assert lib.index_status() == "ok" and lib.search("harbour").total > 0
    assert seen == []

    # A forged stamp (anyone can write JSON, nobody here has the key) is ignored.
    good = stamp.read_text()
    raw = json.loads(good)
    raw["mac"] = "0" * 64
    stamp.write_text(json.dumps(raw))
    with Library(lib_dir) as lib:
        assert lib.index_status() == "ok"
    assert seen, "a forged stamp must not spare the hashing"
    stamp.write_text(good)

    # A segment rewritten in place (same size) no longer matches its stat key.
    seg = max((p for p in (lib_dir / "index").glob("MAIN_*.seg")), key=lambda p: p.stat().st_size)
    data = bytearray(seg.read_bytes())
    data[len(data) // 3] ^= 0xFF
    seg.write_bytes(bytes(data))
    with Library(lib_dir) as lib:
        assert "damaged" in lib.index_status()


def test_check_hashes_every_file_whatever_the_stamp_says(tmp_path, monkeypatch):
    """Even a stamp that vouches for a damaged file (as if its stat key had not
    changed) does not stop `check` from finding the damage."""
    import index.core as core

    lib_dir = tmp_path / "lib"
    with Library(lib_dir) as lib:
        lib.add_drafts(drafts(N, tag="t"))
    seg = max((p for p in (lib_dir / "index").glob("MAIN_*.seg")), key=lambda p: p.stat().st_size)
    data = bytearray(seg.read_bytes())
    data[len(data) // 3] ^= 0xFF
    seg.write_bytes(bytes(data))
    with Library(lib_dir) as lib:  # stamp the damaged generation, with this machine's key
        ix = lib.index
        names = [p.name for p in (lib_dir / "index").iterdir()
                 if p.name.startswith(("MAIN_", "_MAIN_")) and not p.name.endswith("WRITELOCK")]
        from whoosh.index import TOC

        ix._write_stamp(TOC._latest_generation(ix._storage(), "MAIN"), names)
        assert ix._stamp_ok()
    with Library(lib_dir) as lib:
        assert lib.index_status() == "ok"  # trusted on the stamp's word
        report = lib.check()
        assert not report.clean and any("damaged" in p for p in report.problems), report.to_json()
