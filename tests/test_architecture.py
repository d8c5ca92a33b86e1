"""The domain never imports Textual, and read-only paths never import spaCy."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOMAIN = sorted(
    ".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
    for pkg in ("articles", "index")
    for p in (ROOT / pkg).rglob("*.py")
)


def _loaded_after_import(modules: list[str], probe: str) -> list[str]:
    code = (
        "import importlib, sys\n"
        f"bad = []\n"
        f"for m in {modules!r}:\n"
        "    importlib.import_module(m)\n"
        f"    if {probe!r} in sys.modules: bad.append(m); sys.modules.pop({probe!r})\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return [m for m in out.stdout.strip().split(",") if m]


def test_domain_modules_exist():
    assert "articles.library" in DOMAIN and "index.core" in DOMAIN


def test_domain_never_imports_textual():
    assert _loaded_after_import(DOMAIN, "textual") == []


def test_library_and_tui_do_not_import_spacy():
    mods = ["articles.library", "index.core", "index.query", "main", "tui.app"]
    assert _loaded_after_import(mods, "spacy") == []


def test_first_screen_imports_stay_light():
    """Importing the app (what the first screen needs) loads no search engine,
    no network or feed code and no quote finder: each loads when first used."""
    mods = ["articles.library", "index.core", "index.query", "tui.app"]
    for heavy in ("whoosh", "httpx", "feedparser", "trafilatura", "articles.analysis.quotes"):
        assert _loaded_after_import(mods, heavy) == [], heavy


def test_library_import_skips_importlib_abc():
    """index/_deferred.py's finder is a plain class: importlib.abc would bring
    importlib.resources, tempfile and typing into every command."""
    assert _loaded_after_import(["articles.library", "index"], "importlib.resources") == []


def test_cli_keeps_openblas_to_one_thread_unless_told():
    import os

    code = "import main, os; print(os.environ.get('OPENBLAS_NUM_THREADS'))"
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "1"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env | {"OPENBLAS_NUM_THREADS": "2"},
                         capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "2"
