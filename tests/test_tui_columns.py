"""Titles and sources with zero-width joiners, combining accents, emoji sequences
and wide CJK characters keep the article list's columns aligned.

What a terminal shows is measured independently of Rich: a format or combining
character takes no cell, an East Asian wide or full-width one two, anything else
one. Every list line must fill exactly the list's width that way, so the next
column starts where it does on every other line."""

from __future__ import annotations

import unicodedata

from articles.library import Library
from articles.model import Draft
from articles.text import for_columns
from conftest import SIZE, run, screen_text, settle
from tui.snapshot_app import build_app
from tui.widgets.article_list import ArticleList

TRICKY = [
    ("Port\u200dworkers strike over pay", "Harbour\u200dTimes"),
    ("Scientists \U0001F469\u200d\U0001F52C map the reef", "Reef \U0001F44D\U0001F3FD Weekly"),
    ("Cafe\u0301 owners protest the new levy", "Le Monde\u0301"),
    ("\u6771\u4eac\u306e\u6e2f\u304c\u62e1\u5f35\u3055\u308c\u308b", "\u65e5\u672c\u7d4c\u6e08\u65b0\u805e"),
    ("Soft\u00adhyphen and \u2764\ufe0f heart", "Plain Source"),
    ("An ordinary headline for comparison", "Plain Source"),
]


def terminal_cells(text: str) -> int:
    n = 0
    for ch in text:
        if unicodedata.category(ch) in ("Cf", "Mn", "Me") or "\ufe00" <= ch <= "\ufe0f":
            continue
        n += 2 if unicodedata.east_asian_width(ch) in "WF" else 1
    return n


def test_for_columns_drops_what_would_be_mismeasured():
    assert for_columns("Port\u200dworkers") == "Portworkers"
    assert for_columns("Cafe\u0301") == "Caf\u00e9"
    assert for_columns("\u2764\ufe0f \U0001F44D\U0001F3FD") == "\u2764 \U0001F44D"


def test_tricky_characters_do_not_misalign_the_list_columns(tmp_path):
    path = tmp_path / "lib"
    with Library(path) as lib:
        lib.add_drafts([Draft(title=t, body=f"Body of {t}. The harbour board met on Tuesday.",
                              origin=f"test:cols{i}", source=s, date=f"2020-01-0{i + 1}")
                        for i, (t, s) in enumerate(TRICKY)])
        lib.run_entity_stage()

    async def flow():
        app = build_app(path)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            lst = app.query_one(ArticleList)
            text, _ = screen_text(lst)
            return text, lst.region.width

    text, width = run(flow())
    lines = [ln for ln in text.splitlines() if ln.strip()]
    assert len(lines) >= len(TRICKY) + 1
    for ln in lines:
        assert terminal_cells(ln) == width, (ln, terminal_cells(ln), width)
    assert "\u200d" not in text
