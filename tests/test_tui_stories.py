"""The article list grouped by story, driven with Pilot on the shipped samples."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from articles.library import Library
from tui.app import NewsdeskApp
from tui.widgets.article_list import ArticleList

SIZE = (120, 36)

# The samples: a dockworkers' walk-out reported by three outlets, a strike-ends pair.
WALKOUT = ["01-sample-wire-dockers-walk-out.md", "02-gazette-dockers-walk-out.md",
           "03-courier-dockers-walk-out.md"]
STRIKE_ENDS = ["05-gazette-strike-ends.md", "06-morning-post-strike-ends.md"]


@pytest.fixture()
def sample_lib(tmp_path) -> Path:
    path = tmp_path / "lib"
    with Library(path) as lib:
        lib.add_samples()
    return path


def ids_by_file(path: Path) -> dict[str, str]:
    with Library(path) as lib:
        return {origin.removeprefix("sample:"): aid for aid, origin in
                lib.store.conn.execute("SELECT id, origin FROM articles")}


def rows_text(lst: ArticleList) -> list[str]:
    """Each list row as the terminal shows it (header line skipped)."""
    lst.scroll_to(y=0, animate=False, immediate=True)
    return [lst.render_line(y).text for y in range(1, lst.total + 1)]


async def settle(pilot) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def grouped(pilot) -> ArticleList:
    """The list focused and grouped by story (ctrl+g), the samples' 12 articles as 9 stories."""
    await settle(pilot)
    lst = pilot.app.article_list
    lst.focus()
    assert lst.total == 12
    await pilot.press("ctrl+g")
    await settle(pilot)
    assert lst.total == 9
    return lst


async def expand_to(pilot, lst: ArticleList, story: set[str], target: str) -> None:
    """Expand the story holding ``target`` and put the cursor on it."""
    lst.cursor = next(i for i in range(lst.total) if lst.row(i).id in story)
    await pilot.press("space")
    await pilot.pause()
    lst.cursor = lst.index_of(target)
    assert lst.current_row.id == target


def test_group_by_story_collapses_expands_opens_and_persists(sample_lib):
    ids = ids_by_file(sample_lib)
    walkout = {ids[f] for f in WALKOUT}
    with Library(sample_lib) as lib:
        dates = {r.id: r.date for r in lib.rows()}
        titles = {r.id: r.title for r in lib.rows()}
    newest = max(walkout, key=lambda a: (dates[a], a))

    async def first_run():
        with Library(sample_lib) as lib:
            app = NewsdeskApp(lib, run_entity_stage=False)
            async with app.run_test(size=SIZE) as pilot:
                # 12 articles, 9 stories: three walk-out versions and two strike-ends are one row each.
                lst = await grouped(pilot)
                shown = [lst.row(i).id for i in range(lst.total)]
                assert len(walkout & set(shown)) == 1 and newest in shown
                assert len({ids[f] for f in STRIKE_ENDS} & set(shown)) == 1
                lines = rows_text(lst)
                story_line = lines[shown.index(newest)]
                assert "+2" in story_line and titles[newest][:20] in story_line
                assert sum("+1" in ln for ln in lines) == 1
                assert sum("+" in ln for ln in lines) == 2  # singletons are plain rows
                assert "by story" in str(app.query_one("#status").render())

                # Expand: the three versions appear indented beneath the story row.
                lst.cursor = shown.index(newest)
                await pilot.press("space")
                await pilot.pause()
                assert lst.total == 12
                at = shown.index(newest)
                members = [lst.row(i).id for i in range(at + 1, at + 4)]
                assert set(members) == walkout
                lines = rows_text(lst)
                assert all(titles[m][:15] in lines[at + 1 + k] for k, m in enumerate(members))
                assert all(lines[at + 1 + k].index(titles[m][:15]) > lines[at].index(titles[newest][:15])
                           for k, m in enumerate(members))

                # Open an older version from its member row.
                older = next(m for m in members if m != newest)
                lst.cursor = at + 1 + members.index(older)
                await pilot.press("enter")
                await pilot.pause()
                assert app.reader.article.id == older

                # Collapse from a member row: back to one row, cursor on the story.
                await pilot.press("space")
                await pilot.pause()
                assert lst.total == 9 and lst.cursor == at
                # Enter on the story row opens its newest article.
                await pilot.press("enter")
                await pilot.pause()
                assert app.reader.article.id == newest

    async def second_run():
        with Library(sample_lib) as lib:
            assert lib.state_get("group_by_story") == "1"
            app = NewsdeskApp(lib, run_entity_stage=False)
            async with app.run_test(size=SIZE) as pilot:
                await settle(pilot)
                lst = app.article_list
                assert lst.total == 9  # grouping came back on its own
                lst.focus()
                await pilot.press("ctrl+g")
                await settle(pilot)
                assert lst.total == 12 and lst.source.groups is None
                assert not any("+2" in ln for ln in rows_text(lst))
            assert lib.state_get("group_by_story") is None

    asyncio.run(first_run())
    asyncio.run(second_run())


def test_story_rows_count_their_unread_versions(sample_lib):
    """A story row says how many of its versions are unread (●N), and the count
    follows reading a version from the expanded story."""
    ids = ids_by_file(sample_lib)
    walkout = {ids[f] for f in WALKOUT}
    with Library(sample_lib) as lib:
        lib.set_read(ids[WALKOUT[0]], True)

    async def go():
        with Library(sample_lib) as lib:
            app = NewsdeskApp(lib, run_entity_stage=False)
            async with app.run_test(size=SIZE) as pilot:
                lst = await grouped(pilot)
                at = next(i for i in range(lst.total) if lst.row(i).id in walkout)
                before = rows_text(lst)[at]
                others = [ln for i, ln in enumerate(rows_text(lst)) if i != at]
                # Expand and open an unread version: the story row's count drops.
                unread = next(a for a in walkout if a != ids[WALKOUT[0]] and a != lst.row(at).id)
                await expand_to(pilot, lst, walkout, unread)
                await pilot.press("enter")
                await pilot.pause()
                after = rows_text(lst)[at]
                return before, others, after

    before, others, after = asyncio.run(go())
    assert before.rstrip().endswith("+2 ●2")
    assert any(ln.rstrip().endswith("+1 ●2") for ln in others)  # the strike-ends pair, both unread
    assert after.rstrip().endswith("+2 ●1")


def test_palette_command_groups_by_story(sample_lib):
    async def flow():
        with Library(sample_lib) as lib:
            app = NewsdeskApp(lib, run_entity_stage=False)
            async with app.run_test(size=SIZE) as pilot:
                await settle(pilot)
                await pilot.press("ctrl+p")
                # Type only once the palette is up: on a busy machine the letters
                # reached the app's own keys (r, u, s…) before it opened.
                from textual.command import CommandPalette

                for _ in range(100):
                    if isinstance(app.screen, CommandPalette):
                        break
                    await pilot.pause(0.05)
                await pilot.press(*"Group by story")
                await pilot.pause()
                await pilot.press("enter")
                await settle(pilot)
                assert app.article_list.total == 9
            assert lib.state_get("group_by_story") == "1"

    asyncio.run(flow())


def test_split_key_takes_an_article_out_of_its_story_for_good(sample_lib):
    ids = ids_by_file(sample_lib)
    walkout = {ids[f] for f in WALKOUT}
    target = ids[WALKOUT[1]]

    async def flow():
        with Library(sample_lib) as lib:
            app = NewsdeskApp(lib, run_entity_stage=False)
            async with app.run_test(size=SIZE) as pilot:
                lst = await grouped(pilot)
                await expand_to(pilot, lst, walkout, target)
                await pilot.press("x")
                await settle(pilot)
                # The article is a story of its own now; the other two stay one.
                lines = rows_text(lst)
                assert sum("+2" in ln for ln in lines) == 0 and sum("+1" in ln for ln in lines) == 2
                # Splitting it again says why not, and changes nothing.
                lst.cursor = lst.index_of(target)
                await pilot.press("x")
                await settle(pilot)
                assert rows_text(lst) == lines

    asyncio.run(flow())
    with Library(sample_lib) as lib:
        assert lib.story_of(target).articles == [target]
        rest = lib.story_of(ids[WALKOUT[0]]).articles
        assert set(rest) == walkout - {target}
        lib.regroup_stories()  # the correction outlives a regroup
        assert lib.story_of(target).articles == [target]


def test_merge_key_makes_two_stories_one_for_good(sample_lib):
    ids = ids_by_file(sample_lib)
    walkout = {ids[f] for f in WALKOUT}
    strike = {ids[f] for f in STRIKE_ENDS}
    a, b = ids[WALKOUT[0]], ids[STRIKE_ENDS[0]]

    async def flow():
        with Library(sample_lib) as lib:
            app = NewsdeskApp(lib, run_entity_stage=False)
            async with app.run_test(size=SIZE) as pilot:
                lst = await grouped(pilot)
                await expand_to(pilot, lst, walkout, a)
                await pilot.press("M")  # marks the walk-out story
                await settle(pilot)
                assert lst.total == 12  # nothing merged yet: 9 stories, the walk-out one expanded
                assert not any("+4" in ln for ln in rows_text(lst))
                await pilot.press("space")  # collapse again
                await pilot.pause()
                lst.cursor = next(i for i in range(lst.total) if lst.row(i).id in strike)
                await pilot.press("M")  # ... and merges the strike-ends story into it
                await settle(pilot)
                assert lst.total == 8
                lines = rows_text(lst)
                assert sum("+4" in ln for ln in lines) == 1
                # M twice on one story only marks and forgets: nothing changes.
                await pilot.press("M")
                await pilot.press("M")
                await settle(pilot)
                assert rows_text(lst) == lines

    asyncio.run(flow())
    with Library(sample_lib) as lib:
        assert set(lib.story_of(a).articles) == walkout | strike
        lib.regroup_stories()  # the correction outlives a regroup
        assert set(lib.story_of(b).articles) == walkout | strike


def test_palette_merges_the_marked_story(sample_lib):
    ids = ids_by_file(sample_lib)
    strike = {ids[f] for f in STRIKE_ENDS}
    walkout = {ids[f] for f in WALKOUT}

    async def flow():
        with Library(sample_lib) as lib:
            app = NewsdeskApp(lib, run_entity_stage=False)
            async with app.run_test(size=SIZE) as pilot:
                lst = await grouped(pilot)
                for story in (walkout, strike):
                    lst.cursor = next(i for i in range(lst.total) if lst.row(i).id in story)
                    await pilot.press("ctrl+p")
                    await pilot.pause()
                    await pilot.press(*"Merge stories")
                    await pilot.pause()
                    await pilot.press("enter")
                    await settle(pilot)
                assert lst.total == 8

    asyncio.run(flow())
    with Library(sample_lib) as lib:
        assert set(lib.story_of(ids[WALKOUT[1]]).articles) == walkout | strike
