"""Progress of long work for the status line: count, rate and time left per
stage, from the domain's ``(done, total, message)`` callbacks or from the
entity stage's progress lines (the CLI in a subprocess, NEWSDESK_PROGRESS=lines).
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    return f"{minutes}m{seconds:02d}s" if minutes < 60 else f"{minutes // 60}h{minutes % 60:02d}m"


class Meter:
    """Turns (stage, done, total) into "stage: done/total · rate/s · about T left";
    the rate is measured per stage from its first report."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.starts: dict[str, tuple[float, int]] = {}

    def text(self, stage: str, done: int, total: int) -> str:
        now = self.clock()
        t0, d0 = self.starts.setdefault(stage, (now, done))
        if total <= 1:  # a step with no count (loading the model, linking): what it is
            return f"{stage}…" if done < total else f"{stage}: done"
        parts = [f"{stage}: {done:,}/{total:,}"]
        elapsed = now - t0
        if elapsed >= 0.5 and done > d0:
            rate = (done - d0) / elapsed
            parts.append(f"{rate:,.0f}/s")
            if done < total:
                parts.append(f"about {_duration((total - done) / rate)} left")
        return " · ".join(parts)


def run_with_progress(cmd: list[str], cwd: str, report: Callable[[str], None]) -> tuple[int, list[str]]:
    """Run ``cmd`` (a newsdesk command), passing each of its progress lines to
    ``report`` as status text; returns its exit status and its other stderr lines."""
    env = dict(os.environ, NEWSDESK_PROGRESS="lines")
    meter = Meter()
    other: list[str] = []
    with subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          text=True, errors="replace") as proc:
        for line in proc.stderr:
            fields = line.rstrip("\n").split("\t")
            if len(fields) == 4 and fields[0] == "progress" and fields[2].isdigit() and fields[3].isdigit():
                report(meter.text(fields[1], int(fields[2]), int(fields[3])))
            elif line.strip():
                other.append(line.rstrip("\n"))
    return proc.returncode, other
