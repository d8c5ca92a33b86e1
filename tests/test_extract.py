"""Entity extraction in worker processes gives exactly what one process gives,
in the same order, and leaves no process behind."""

from __future__ import annotations

import multiprocessing
import threading

import pytest

from articles.analysis.entities import extract

from conftest import BBC, SEEDS, need


@pytest.fixture(scope="module")
def texts() -> list[tuple[str, str]]:
    """The five seeds and a dozen BBC articles, read in place, plus an empty text."""
    paths = sorted(need(SEEDS).glob("[0-9]*.txt"))
    for topic in ("business", "politics", "sport", "tech"):
        paths += sorted((need(BBC) / topic).glob("*.txt"))[:3]
    items = [(f"{p.parent.name}/{p.name}", p.read_text(encoding="utf-8", errors="replace")) for p in paths]
    items.insert(3, ("empty", ""))
    return items


@pytest.fixture(scope="module")
def serial(texts):
    return list(extract.extract(iter(texts), n_process=1))


@pytest.fixture
def small_tasks(monkeypatch):
    # Several tasks per worker, so both workers get some and results arrive out of order.
    monkeypatch.setattr(extract, "TASK_TEXTS", 2)


def _no_workers_left():
    return [p for p in multiprocessing.active_children() if p.name == "newsdesk-entities"] == []


def test_serial_spans_are_plausible(serial, texts):
    assert [k for k, _ in serial] == [k for k, _ in texts]
    bodies = dict(texts)
    assert sum(len(spans) for _, spans in serial) > 100
    for k, spans in serial:
        for start, end, label, text in spans:
            assert bodies[k][start:end] == text and label in extract.LABEL_TYPES


def test_two_processes_give_the_same_spans_in_the_same_order(texts, serial, small_tasks):
    if extract._cores() < 2:
        pytest.skip("one core: extract() stays in-process")
    assert list(extract.extract(iter(texts), n_process=2)) == serial
    assert _no_workers_left()


def test_spawned_workers_when_threads_run(texts, serial, small_tasks):
    """A process with other threads must not fork: its workers load the model themselves."""
    if extract._cores() < 2:
        pytest.skip("one core: extract() stays in-process")
    stop = threading.Event()
    t = threading.Thread(target=stop.wait)
    t.start()
    try:
        assert not extract._can_fork()
        got = list(extract.extract(iter(texts[:6]), n_process=2))
    finally:
        stop.set()
        t.join()
    assert got == serial[:6]
    assert _no_workers_left()


def test_stopping_early_stops_the_workers(texts, small_tasks):
    if extract._cores() < 2:
        pytest.skip("one core: extract() stays in-process")
    gen = extract.extract(iter(texts), n_process=2)
    first = next(gen)
    assert first[0] == texts[0][0]
    gen.close()
    assert _no_workers_left()


def test_model_name_without_loading_matches_the_loaded_model():
    meta = extract._package_meta()
    assert meta is not None
    nlp = extract.load()
    assert (meta["lang"], meta["name"], meta["version"]) == \
        (nlp.meta["lang"], nlp.meta["name"], nlp.meta["version"])
    assert "tok2vec" not in nlp.pipe_names and "ner" in nlp.pipe_names
