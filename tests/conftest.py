import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SEEDS = SHARED / "seeds"
BBC = SHARED / "corpora" / "bbc"
SAMPLES = ROOT / "articles" / "samples"
# The five seed articles' file names, in order (0 and 1 are two versions of one story).
S000, S001, S002, S003, S004 = SEED_FILES = (
    "000_c12654dd6b4e9989.txt", "001_0f7ff28299ea1317.txt", "002_fe3e5e0b9db5b811.txt",
    "003_c5ac04b2de6090c8.txt", "004_905271c1fcbdff5c.txt")

# Tests never touch the user's real library, config or index signing key.
os.environ.pop("NEWSDESK_LIBRARY", None)
# One key for the whole run (libraries built by module-scoped fixtures must
# verify in every test); a test wanting another machine's key sets its own.
os.environ["NEWSDESK_KEY_DIR"] = tempfile.mkdtemp(prefix="newsdesk-key-")
atexit.register(shutil.rmtree, os.environ["NEWSDESK_KEY_DIR"], True)


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory, monkeypatch):
    home = tmp_path_factory.mktemp("xdg")
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.delenv("NEWSDESK_LIBRARY", raising=False)


def run_json(capsys, *argv, code: int = 0):
    """Run a ``newsdesk`` command with ``--json``; its exit status must be ``code``
    and its stdout exactly one JSON document, returned parsed."""
    import json

    import main

    assert main.main([str(a) for a in argv] + ["--json"]) == code
    return json.loads(capsys.readouterr().out)


def seed_names(library: Path) -> dict[str, str]:
    """Article id -> the file name it was imported from, in a library of the seeds."""
    from articles.library import Library

    with Library(library) as lib:
        return {a.id: os.path.basename(a.path) for a in lib.store.iter_articles()}


def need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"shared material not found at {path} (expected ../shared beside the project)")
    return path


def seed_drafts() -> list:
    """The seeds as drafts under stable origins (``seed:FILE``), so their ids,
    and the snapshots that show them, are the same on every run."""
    from articles.readers import read_path

    drafts = []
    for p in sorted(need(SEEDS).glob("*.txt")):
        for d in read_path(p):
            d.origin, d.path = f"seed:{p.name}", None
            drafts.append(d)
    return drafts
