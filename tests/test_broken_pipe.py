"""A reader that leaves a pipe early (`newsdesk stats | head -1`) is not a failure."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_stats_into_head_exits_0_without_a_traceback(tmp_path):
    lib = tmp_path / "lib"
    note = tmp_path / "note.md"
    note.write_text("# Harbour works begin\n\nThe harbour works began on Monday in the town.\n")
    cli = f"{shlex.quote(sys.executable)} {shlex.quote(str(ROOT / 'main.py'))} --library {shlex.quote(str(lib))}"
    subprocess.run(f"{cli} add --no-entities {shlex.quote(str(note))}", shell=True, check=True,
                   capture_output=True, cwd=ROOT)
    out = subprocess.run(f"set -o pipefail; {cli} stats | head -1", shell=True, executable="/bin/bash",
                         capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr
