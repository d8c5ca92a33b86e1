"""`check` after a kill that left saved articles unindexed says so; `--repair` indexes them."""

from __future__ import annotations


from articles.library import Library
from articles.model import Draft
from conftest import newsdesk


def test_check_reports_and_repairs_articles_waiting_for_the_index(tmp_path):
    path = tmp_path / "lib"
    lib = Library(path)
    lib.add_drafts([Draft(title="Harbour opens", body="The harbour opened on Monday.",
                          origin="file:/nowhere/harbour.txt")])
    # What a kill between the store's commit and the index's leaves behind.
    with lib.store.transaction():
        for i in range(3):
            lib.store.upsert(Draft(title=f"Quay report {i}", body=f"The quay reopened after repairs, day {i}.",
                                   origin=f"file:/nowhere/quay-{i}.txt"))
    lib.close()
    out = newsdesk(path, "check")
    assert out.returncode != 0, out.stdout
    assert "3 saved change(s) not yet in the search index" in out.stdout
    assert "library is consistent" not in out.stdout
    fixed = newsdesk(path, "check", "--repair")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "indexed 3 queued changes" in fixed.stdout
    assert "Quay report" in newsdesk(path, "search", "quay").stdout
    assert newsdesk(path, "check").returncode == 0
