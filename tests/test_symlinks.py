"""A symlink inside an imported folder that leads outside it is not followed unless asked."""

from __future__ import annotations

from conftest import newsdesk


def test_links_out_of_the_folder_are_reported_not_imported(tmp_path):
    secret = tmp_path / "private" / "secret.txt"
    secret.parent.mkdir()
    secret.write_text("Private notes about the harbour budget that must not be imported.\n")
    folder = tmp_path / "import"
    folder.mkdir()
    (folder / "story.txt").write_text("Dockers walk out\n\nThe dockers walked out on Monday.\n")
    (folder / "inside.txt").symlink_to(folder / "story.txt")
    (folder / "leak.txt").symlink_to(secret)
    lib = tmp_path / "lib"
    out = newsdesk(lib, "add", "--no-entities", str(folder))
    said = (out.stderr + out.stdout).replace("\n", "")  # Rich wraps long paths
    assert "leak.txt" in said and "outside the folder" in said
    listed = newsdesk(lib, "search", "budget")
    assert "Private notes" not in listed.stdout
    assert "secret" not in newsdesk(lib, "list").stdout
    again = newsdesk(lib, "add", "--no-entities", "--follow-links", str(folder))
    assert again.returncode == 0, again.stdout + again.stderr
    assert "added 1" in again.stdout
