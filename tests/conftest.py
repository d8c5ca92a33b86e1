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


def need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"shared material not found at {path} (expected ../shared beside the project)")
    return path
