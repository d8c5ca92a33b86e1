"""The app's actions in one table: its key bindings, its command-palette entries
and the ? screen all come from here, so an action cannot have a key and be
missing from the palette (tests/test_tui_actions.py checks it).

Each row also says where the key bar shows the action: the key bar follows the
focused pane and what can be done now (``r`` only when there is an article to
relate, ``n``/``N`` only when the reader has matches), instead of the same
seven keys everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider

# Panes, as the key bar tells them apart (see focused_pane).
LIST, READER, ENTITIES, SEARCH, FEEDS = "list", "reader", "entities", "search", "feeds"


@dataclass(frozen=True)
class Action:
    id: str  # the binding id (what config.toml's [keymap] remaps)
    keys: str
    action: str  # the Textual action string, also what the palette runs
    description: str  # key bar and ? screen
    palette: str | None  # the palette's name for it; None only for moving between panes
    help: str = ""  # the palette's line under the name
    panes: tuple[str, ...] = ()  # where the key bar shows it
    needs: str | None = None  # what must be there: see POSSIBLE
    priority: bool = False
    short: str = ""  # the key bar's word when the description is too long for 80 columns


ACTIONS: tuple[Action, ...] = (
    # In the order the key bar shows them (what fits at 80 columns first).
    Action("help", "question_mark", "help", "Keys", "Keys", "Show every key binding", (LIST, READER)),
    Action("search", "slash", "search", "Search", "Search the library",
           "Full-text search of every article (results as you type)", (LIST, READER)),
    Action("star", "s", "star", "Star", "Star / unstar article", "Star or unstar the article",
           (LIST, READER), "article"),
    Action("toggle_read", "m", "toggle_read", "Read", "Mark article read / unread",
           "Toggle the article's read mark", (LIST, READER), "article"),
    Action("next_article", "J", "next_article(1)", "Next article", "Next article",
           "Open the article below in the list", (READER,), "rows", short="Next"),
    Action("previous_article", "K", "next_article(-1)", "Prev article", "Previous article",
           "Open the article above in the list", (READER,), "rows", short="Prev"),
    Action("next_unread", "u", "next_unread", "Next unread", "Next unread article",
           "Open the next unread article in the list (wraps around)", (LIST, READER), "unread",
           short="Unread"),
    Action("find", "f", "find", "Find", "Find in article",
           "Find words in the open article (n / N move between matches)", (READER,), "open"),
    Action("next_match", "n", "next_match(1)", "Next match", "Next match",
           "The next search or find match in the article", (READER,), "matches"),
    Action("previous_match", "N", "next_match(-1)", "Previous match", "Previous match",
           "The previous search or find match in the article", (READER,), "matches"),
    Action("related", "r", "related", "Related", "Related articles",
           "The most related articles, with what they share", (LIST, READER), "article"),
    Action("story", "v", "story", "Versions", "Versions of the story",
           "Other versions of the article's story, original or re-report", (LIST, READER), "article"),
    Action("quotes", "w", "quotes", "Quotes", "Quotes",
           "Who said what in the article", (READER,), "article"),
    Action("open_source", "c", "open_source", "Open credited", "Open credited report",
           "Open the report the article credits, when it is in the library", (READER,), "credited"),
    Action("dossier", "d", "dossier", "Dossier", "Dossier of entity",
           "Everything about the highlighted entity", (ENTITIES,), "entity"),
    Action("follow", "", "follow_entity", "Follow", "Follow / unfollow entity",
           "Watch the highlighted entity (its unread articles are counted)", (), "entity"),
    Action("focus_entities", "e", "focus_entities", "Entities", "Entities",
           "Move to the entity sidebar", (LIST, READER), "open"),
    Action("open_url", "o", "open_url", "Open URL", "Open article URL",
           "Open the article's web page in the browser", (READER,), "url"),
    Action("cycle_sort", "S", "cycle_sort", "Sort", "Next sort order",
           "Cycle the list's order: newest, oldest, title, source", (LIST,)),
    Action("feeds", "F", "feeds", "Feeds", "Feeds view",
           "Feeds and tags with unread counts; choose one to filter the list", (LIST,)),
    Action("refresh_feeds", "R", "refresh_feeds", "Refresh feeds", "Refresh feeds",
           "Fetch every subscribed feed and import new articles", (FEEDS,)),
    Action("group_by_story", "ctrl+g", "group_by_story", "Stories", "Group by story",
           "One row per story, other versions beneath it (toggle)", (LIST,)),
    Action("toggle_sidebar", "b", "toggle_sidebar", "Sidebar", "Toggle entity sidebar",
           "Show or hide the entity sidebar", (LIST, READER, ENTITIES)),
    Action("mark_all_read", "A", "mark_all_read", "All read", "Mark all shown read",
           "Mark every article in the list (its filter or story) read; undo from the toast's key",
           (LIST,), "unread"),
    Action("undo_mark_all", "U", "undo_mark_all", "Undo all read", "Undo mark all read",
           "Put back the unread marks the last 'mark all read' cleared", (LIST,), "undo"),
    Action("mark_story_read", "", "mark_story_read", "Story read", "Mark story read",
           "Mark every version of the article's story read; undo from the toast's key", (), "article"),
    Action("clear_filter", "escape", "clear_filter", "Clear filter", "Clear filter",
           "Show every article again", (LIST,), "filter"),
    Action("split_story", "x", "split_story", "Split story", "Split from story",
           "Take the article out of its story (kept apart across regrouping)", (), "article"),
    Action("merge_story", "M", "merge_story", "Merge stories", "Merge stories",
           "Mark this article's story, then merge another story into it (remembered across regrouping)",
           (), "article"),
    Action("reload", "ctrl+r", "reload(True)", "Reload", "Reload library",
           "Read the library again (articles other processes added)", ()),
    Action("quit", "q", "quit", "Quit", "Quit", "Leave Newsdesk", (LIST,)),
    Action("next_pane", "tab", "focus_pane(1)", "Next pane", None, priority=True),
    Action("previous_pane", "shift+tab", "focus_pane(-1)", "Previous pane", None, priority=True),
    Action("command_palette", "ctrl+p", "command_palette", "Commands", None),
)

BY_ID = {a.id: a for a in ACTIONS}


def app_bindings() -> list[Binding]:
    """The app's BINDINGS. ``show`` is left off: the key bar asks ``shown``."""
    return [Binding(a.keys, a.action, a.description, show=False, priority=a.priority, id=a.id)
            for a in ACTIONS if a.keys]


# -- what is possible now --------------------------------------------------------
def _entity(app) -> bool:
    return bool(getattr(app.sidebar, "items", None)) or app.filter_entity is not None


POSSIBLE = {
    "article": lambda app: app._target_id() is not None,
    "open": lambda app: app.reader.article is not None,
    "rows": lambda app: app.article_list.total > 0,
    "unread": lambda app: app.article_list.total > 0,
    "undo": lambda app: bool(getattr(app, "_undo_read", None)),
    "matches": lambda app: bool(app.reader.matches),
    "url": lambda app: app.reader.article is not None and bool(app.reader.article.url),
    "credited": lambda app: app.reader.credited_article() is not None,
    "entity": _entity,
    "filter": lambda app: app.article_list.source.ids is not None,
}


def focused_pane(app) -> str | None:
    """Which pane has the focus, as the key bar tells them apart."""
    if app.screen is not app.screen_stack[0]:
        return None
    focused = app.focused
    if focused is None or not focused.display:
        # Nothing focused (the focused pane was hidden, at 80 columns): keys act
        # on the article on screen, else on the list.
        return READER if app.reader.article is not None else LIST
    for node in (focused, *focused.ancestors):
        name = {"list": LIST, "reader": READER, "sidebar": ENTITIES, "search": SEARCH,
                "feeds": FEEDS}.get(node.id or "")
        if name:
            return name
    return None


def possible(app, action: Action) -> bool:
    check = POSSIBLE.get(action.needs or "")
    try:
        return check is None or bool(check(app))
    except Exception:  # a pane not mounted yet (first frame): nothing to offer
        return False


def shown(app, binding_id: str) -> bool | None:
    """Whether the key bar shows this binding now; None for bindings not in the table."""
    action = BY_ID.get(binding_id)
    if action is None:
        return None
    return focused_pane(app) in action.panes and possible(app, action)


def footer_label(binding_id: str, description: str) -> str:
    action = BY_ID.get(binding_id)
    return action.short if action is not None and action.short else description


def footer_order(binding_id: str) -> int:
    return list(BY_ID).index(binding_id) if binding_id in BY_ID else -1


# -- the command palette -------------------------------------------------------------
def palette_entries(app):
    """(name, help, callback) for every action with a palette name."""
    for a in ACTIONS:
        if a.palette is None:
            continue
        keys = app._keymap.get(a.id, a.keys) if a.keys else ""
        shown_keys = f" ({pretty_keys(keys)})" if keys else ""
        yield a.palette, a.help + shown_keys, _runner(app, a.action)


def _runner(app, action: str):
    async def run() -> None:
        await app.run_action(action)
    return run


_KEY_NAMES = {"question_mark": "?", "slash": "/", "escape": "esc"}


def pretty_keys(keys: str) -> str:
    """A binding's keys as the palette and the ? screen show them ("?", not "question_mark")."""
    return " / ".join(_KEY_NAMES.get(k.strip(), k.strip()) for k in keys.split(","))


def binding_sections(groups, keymap: dict[str, str]) -> list[tuple[str, list[tuple[str, str, str]]]]:
    """(heading, [(keys, description, id)]) for every binding with an id of each
    group's classes, with the keys in force now (``keymap`` remaps by id)."""
    sections = []
    for name, classes in groups:
        rows = []
        for cls in classes:
            for binding in cls.BINDINGS:
                if not isinstance(binding, Binding) or not binding.id:
                    continue
                rows.append((pretty_keys(keymap.get(binding.id, binding.key)), binding.description, binding.id))
        sections.append((name, rows))
    return sections


class ActionCommands(Provider):
    """Every action of the table in the palette, with its key."""

    async def discover(self) -> Hits:
        for name, help_text, callback in palette_entries(self.app):
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, callback in palette_entries(self.app):
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)
