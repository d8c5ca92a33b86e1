"""Long work says where it is: each stage with its count, rate and time left,
the entity model's loading and the index's final write included."""

from __future__ import annotations

import sys

import main
from articles.library import Library
from articles.model import Draft
from tui.progress import Meter, run_with_progress


def test_meter_gives_count_rate_and_time_left_per_stage():
    now = [100.0]
    meter = Meter(clock=lambda: now[0])
    assert meter.text("importing", 0, 1000) == "importing: 0/1,000"
    now[0] += 2.0
    assert meter.text("importing", 200, 1000) == "importing: 200/1,000 · 100/s · about 8s left"
    now[0] += 8.0
    assert meter.text("importing", 1000, 1000) == "importing: 1,000/1,000 · 100/s"
    # A step without a count says what it is doing.
    assert meter.text("loading the entity model", 0, 1) == "loading the entity model…"
    # Each stage has its own rate.
    assert meter.text("indexing", 0, 600) == "indexing: 0/600"
    now[0] += 600.0 / 7
    assert meter.text("indexing", 300, 600).endswith("· about 1m26s left")


def test_progress_lines_of_a_subprocess_become_status_text(tmp_path):
    script = ("import sys\n"
              "print('progress\\tentities\\t0\\t10', file=sys.stderr, flush=True)\n"
              "print('progress\\tlinking entities\\t0\\t1', file=sys.stderr, flush=True)\n"
              "print('something went wrong', file=sys.stderr)\n"
              "sys.exit(3)\n")
    seen: list[str] = []
    code, other = run_with_progress([sys.executable, "-c", script], str(tmp_path), seen.append)
    assert code == 3
    assert seen == ["entities: 0/10", "linking entities…"]
    assert other == ["something went wrong"]


def _stages(err: str) -> list[str]:
    return [line.split("\t")[1] for line in err.splitlines() if line.startswith("progress\t")]


def test_add_reports_every_stage_including_the_index_write(tmp_path, capsys, monkeypatch):
    folder = tmp_path / "news"
    folder.mkdir()
    for i in range(520):  # past the size where the index's final write gets its own stage
        (folder / f"{i:03d}.txt").write_text(f"Headline number {i}\n\nBody text {i} about harbours.\n")
    lib = tmp_path / "lib"
    assert main.main(["init", str(lib)]) == 0
    monkeypatch.setenv("NEWSDESK_PROGRESS", "lines")
    capsys.readouterr()
    assert main.main(["--library", str(lib), "add", "--no-entities", str(folder)]) == 0
    stages = _stages(capsys.readouterr().err)
    assert "Reading" in stages
    assert "indexing" in stages or "saving the index" in stages


def test_the_entity_stage_reports_loading_the_model_and_linking(tmp_path, capsys, monkeypatch):
    lib = tmp_path / "lib"
    with Library(lib) as library:
        library.add_drafts([Draft(title="Mayor opens bridge", origin="t:1", source="Gazette",
                                  body="Mayor Ada Brook opened the bridge in Carrow Bay on Monday.")])
    monkeypatch.setenv("NEWSDESK_PROGRESS", "lines")
    capsys.readouterr()
    assert main.main(["--library", str(lib), "entities", "--extract"]) == 0
    stages = _stages(capsys.readouterr().err)
    # In this order: the model, the texts, then the tables and the index.
    assert stages.index("loading the entity model") < stages.index("entities") < stages.index("linking entities")
