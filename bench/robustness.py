"""`uv run python -m bench.robustness`: the kill, fuzz and damage figures, reproducibly.

- kills: SIGKILL `newsdesk add`, `reindex` and `refresh` (a feed on 127.0.0.1) at
  seeded random moments; then run the command again and `check --repair`: did the
  library end with the right article count, every one indexed, and check clean?
- fuzz: hostile files (random bytes, escapes, NULs, huge lines, deep nesting,
  entity bombs in UTF-8/16/32, over-long numbers): each file read with a time
  bound; a crash is any exception other than the readers' clear ReadError, a hang
  is a file still being read after the bound, an escape is a control character in
  what was read.
- damage: random bytes flipped in a copy of a real library's store or index;
  was it detected (by `check`, or by the index's signatures) and did
  `check --repair` leave a consistent library with the articles (or name the loss)?

Seeded, modest (about two to four minutes on a loaded two-core machine)."""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLI = [sys.executable, str(ROOT / "main.py")]
SEED = 20261203
ARTICLES = 300
UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\x9b]")


def _words(rnd: random.Random, n: int) -> str:
    vocab = ("harbour board pier storm ferry council budget strike rail port minister vote "
             "school river bridge market coast weather union court hospital").split()
    return " ".join(rnd.choice(vocab) for _ in range(n))


def _articles(folder: Path, n: int, rnd: random.Random) -> Path:
    folder.mkdir(parents=True)
    for i in range(n):
        (folder / f"a{i:04}.md").write_text(
            f"---\ntitle: Report {i} {_words(rnd, 4)}\ndate: 2024-01-{i % 28 + 1:02}\n---\n\n"
            + "\n\n".join(_words(rnd, 60) + f" item{i}." for _ in range(4)), encoding="utf-8")
    return folder


def _cli(lib: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(CLI + ["--library", str(lib), *args], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT)


def _check(lib: Path) -> tuple[bool, int, int | None]:
    out = _cli(lib, "check", "--json")
    try:
        doc = json.loads(out.stdout)
    except ValueError:
        return False, -1, None
    return bool(doc.get("clean")), doc.get("articles", -1), doc.get("indexed")


# -- kills -------------------------------------------------------------------------------
class _Feed(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        body = self.server.body  # type: ignore[attr-defined]
        if self.path.startswith("/page/"):
            body = (b"<html><head><title>Page</title></head><body><article>"
                    + b"<p>The harbour board met again on Tuesday to discuss the northern pier.</p>" * 8
                    + b"</article></body></html>")
        self.send_response(200)
        self.send_header("Content-Type", "text/html" if self.path.startswith("/page/") else "application/rss+xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def kills(work: Path, rnd: random.Random, per_command: int) -> dict:
    src = _articles(work / "src", ARTICLES, rnd)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Feed)
    httpd.daemon_threads = True
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    items = "".join(f"<item><title>Feed item {i}</title><link>{base}/page/{i}</link><guid>g{i}</guid>"
                    f"<description>Teaser {i}.</description></item>" for i in range(60))
    httpd.body = (f'<?xml version="1.0"?><rss version="2.0"><channel><title>Local</title>'  # type: ignore[attr-defined]
                  f"<link>{base}/</link>{items}</channel></rss>").encode()
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    out: dict[str, dict] = {}
    try:
        for command in ("add", "reindex", "refresh"):
            ok = 0
            for k in range(per_command):
                lib = work / f"kill-{command}-{k}"
                if command != "add":
                    assert _cli(lib, "add", "--no-entities", str(src)).returncode == 0
                if command == "refresh":
                    assert _cli(lib, "feeds", "add", base + "/feed.xml").returncode == 0
                args = {"add": ["add", "--no-entities", str(src)], "reindex": ["reindex"],
                        "refresh": ["refresh", "--no-entities"]}[command]
                proc = subprocess.Popen(CLI + ["--library", str(lib), *args], cwd=ROOT,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                time.sleep(rnd.uniform(0.8, 4.0))  # from start-up to the end of the work
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                again = _cli(lib, *args)  # the user runs it again
                repaired = _cli(lib, "check", "--repair")
                clean, n, indexed = _check(lib)
                want = ARTICLES + (60 if command == "refresh" else 0)
                if again.returncode == 0 and repaired.returncode == 0 and clean and n == want and indexed == want:
                    ok += 1
                shutil.rmtree(lib, ignore_errors=True)
            out[command] = {"kills": per_command, "recovered": ok}
    finally:
        httpd.shutdown()
        httpd.server_close()
    return out


# -- fuzz --------------------------------------------------------------------------------
def _hostile(rnd: random.Random, n: int) -> list[tuple[str, bytes]]:
    bomb = ('<?xml version="1.0" encoding="{e}"?><!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa">'
            + "".join(f'<!ENTITY {c} "{("&" + p + ";") * 10}">' for p, c in zip("abcdefgh", "bcdefghi"))
            + ']><rss version="2.0"><channel><title>&i;</title><item><title>&i;</title></item></channel></rss>')
    fixed = [
        ("bomb.xml", bomb.format(e="UTF-8").encode()),
        ("bomb16.xml", bomb.format(e="UTF-16").encode("utf-16")),
        ("bomb32.xml", bomb.format(e="UTF-32").encode("utf-32")),
        ("deep.json", b"[" * 10_000 + b"]" * 10_000),
        ("deep.html", b"<div>" * 20_000 + b"deep" + b"</div>" * 20_000),
        ("bignum.jsonl", b'{"title": "ok", "body": "fine text here"}\n{"n": ' + b"9" * 5000 + b"}\n"),
        ("nul.txt", b"Title\n\n" + b"\0" * 1000 + b"text"),
        ("escapes.md", b"---\ntitle: \x1b]52;c;AAAA\x07 \x1b[2J clip\nurl: javascript:alert(1)\n---\n\n\x9b31m body"),
        ("huge-line.txt", b"T\n\n" + b"x" * 3_000_000),
        ("bidi.html", "<title>\u202egnp.exe</title><p>\u202e body \u2066</p>".encode()),
    ]
    out = list(fixed)
    suffixes = [".txt", ".md", ".html", ".json", ".jsonl", ".xml", ""]
    while len(out) < n:
        kind = rnd.randrange(3)
        if kind == 0:
            data = rnd.randbytes(rnd.randint(1, 20_000))
        elif kind == 1:
            data = bytes(rnd.choice(b"<>{}[]\"'&;:\x1b\x9b\0\n\r\t-abc=/") for _ in range(rnd.randint(1, 5000)))
        else:
            data = (rnd.choice([b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b""])
                    + "".join(chr(rnd.randint(0, 0x10FFFF)) for _ in range(rnd.randint(1, 400)))
                    .encode("utf-8", "surrogatepass"))
        out.append((f"f{len(out):03}{rnd.choice(suffixes)}", data))
    return out


class _Hung(Exception):
    pass


def fuzz(work: Path, rnd: random.Random, n: int, bound: float = 20.0) -> dict:
    from articles.readers import ReadError, read_path
    from articles.web.feedparse import parse_feed
    from articles.errors import FeedError

    folder = work / "hostile"
    folder.mkdir()
    crashes, hangs, escapes, read_ok, refused = [], [], [], 0, 0

    def alarm(*_):
        raise _Hung()

    old = signal.signal(signal.SIGALRM, alarm)
    try:
        for name, data in _hostile(rnd, n):
            p = folder / name
            p.write_bytes(data)
            for what in ("file", "feed"):
                signal.setitimer(signal.ITIMER_REAL, bound)
                try:
                    if what == "file":
                        drafts = list(read_path(p))
                        texts = [t for d in drafts for t in (d.title, d.body, d.source or "", d.author or "")]
                    else:
                        feed = parse_feed(data, "http://127.0.0.1/feed")
                        texts = [t for e in feed.entries for t in (e.title, e.body)] + [feed.title or ""]
                    read_ok += 1
                    if any(UNSAFE.search(t or "") for t in texts):
                        escapes.append(f"{what}:{name}")
                except (ReadError, FeedError):
                    refused += 1
                except _Hung:
                    hangs.append(f"{what}:{name}")
                except Exception as exc:  # noqa: BLE001 - that is what is counted
                    crashes.append(f"{what}:{name}: {type(exc).__name__}")
                finally:
                    signal.setitimer(signal.ITIMER_REAL, 0)
    finally:
        signal.signal(signal.SIGALRM, old)
    # And the whole folder through the real command: no traceback, library sound.
    lib = work / "fuzz-lib"
    cmd = _cli(lib, "add", "--no-entities", str(folder))
    clean, _, _ = _check(lib)
    return {"files": n, "reads": 2 * n, "read": read_ok, "refused_clearly": refused,
            "crashes": crashes, "hangs": hangs, "escapes": escapes,
            "add_traceback": "Traceback" in cmd.stderr, "library_clean_after": clean}


# -- damage ------------------------------------------------------------------------------
def _contents(lib: Path) -> set[tuple]:
    try:
        con = sqlite3.connect(f"file:{lib / 'library.db'}?mode=ro", uri=True)
        try:
            return set(con.execute("SELECT id, title, body FROM articles"))
        finally:
            con.close()
    except sqlite3.Error:
        return set()


def damage(work: Path, rnd: random.Random, trials: int, flips: int) -> dict:
    src = _articles(work / "dsrc", 120, rnd)
    base = work / "dbase"
    assert _cli(base, "add", "--no-entities", str(src)).returncode == 0
    original = _contents(base)
    out = {}
    for target in ("store", "index"):
        detected = repaired = silent = altered = 0
        failures = []
        for k in range(trials):
            lib = work / f"dmg-{target}-{k}"
            shutil.copytree(base, lib)
            if target == "store":
                files = [lib / "library.db"]
            else:
                files = sorted(p for p in (lib / "index").iterdir()
                               if p.suffix in (".seg", ".toc") or p.name.endswith(".json"))
            for _ in range(flips):
                f = rnd.choice(files)
                data = bytearray(f.read_bytes())
                data[rnd.randrange(len(data))] ^= 1 << rnd.randrange(8)
                f.write_bytes(bytes(data))
            first = _cli(lib, "check")
            found = first.returncode != 0
            if not found and target == "index":
                # Searching verifies every file it reads: damage shows up as a rebuild.
                found = "rebuil" in _cli(lib, "search", "harbour").stderr
            detected += found
            fix = _cli(lib, "check", "--repair")
            clean, n, indexed = _check(lib)
            lost = re.search(r"lost (\d+) article", fix.stdout)
            if clean and indexed == n and (n == 120 or lost):
                repaired += 1
            else:
                failures.append({"copy": k, "clean": clean, "articles": n, "indexed": indexed,
                                 "repair_said": fix.stdout.strip().splitlines()[-4:]})
            if not found:
                silent += 1
                # SQLite keeps no checksums of row contents: a flip inside a text
                # is invisible to it. Counted apart from harmless flips (free space).
                altered += _contents(lib) != original
            shutil.rmtree(lib, ignore_errors=True)
        out[target] = {"trials": trials, "flips_each": flips, "detected": detected,
                       "consistent_after_repair": repaired, "not_detected": silent,
                       "not_detected_but_text_changed": altered, "failures": failures}
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.robustness", description=__doc__)
    ap.add_argument("--kills", type=int, default=5, help="SIGKILLs per command (add, reindex, refresh)")
    ap.add_argument("--files", type=int, default=80, help="hostile files")
    ap.add_argument("--damage", type=int, default=8, help="damaged copies per target (store, index)")
    ap.add_argument("--flips", type=int, default=12, help="bytes flipped per damaged copy")
    ap.add_argument("--seed", type=int, default=SEED)
    args = ap.parse_args(argv)
    rnd = random.Random(args.seed)
    os.environ.setdefault("NEWSDESK_KEY_DIR", tempfile.mkdtemp(prefix="newsdesk-bench-key-"))
    report = {}
    with tempfile.TemporaryDirectory(prefix="newsdesk-robust-") as tmp:
        work = Path(tmp)
        t0 = time.monotonic()
        report["kills"] = kills(work, rnd, args.kills)
        report["fuzz"] = fuzz(work, rnd, args.files)
        report["damage"] = damage(work, rnd, args.damage, args.flips)
        report["seconds"] = round(time.monotonic() - t0)
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
