"""The entity sidebar's side of the app: the open article's (or the library's)
entities, filtering the list by one, its dossier, following it, and keeping
the sidebar current while the entity stage runs.

A base of ``NewsdeskApp``, like reading.py (actions must be the app's, for its
bindings and palette). Handlers go by name: Textual collects ``@on`` handlers
only from message-pump classes, and this one is not.
"""

from __future__ import annotations

from articles.library import LibraryError
from articles.text import sanitize_line

from . import workers
from .messages import EntitiesLoaded, EntityChosen, EntityHighlighted, EntityStage
from .widgets.article_list import ListSource
from .widgets.entity_sidebar import EntityOptions

OPEN_ONE = "Open an article to see its entities"


class EntityActions:
    _entities_running = False  # the entity stage (a subprocess) is at work

    def _article_entities(self, article_id: str):
        try:
            return list(self.library.article_entities(article_id))
        except Exception as exc:  # said, not swallowed: the article still shows
            self.notify(f"Could not load entities: {exc}", severity="warning", markup=False)
            return []

    def _no_entities_note(self) -> str:
        return self.entities_note()

    def entities_note(self) -> str:
        """What the sidebar says when the open article shows no entities."""
        if self._entities_running:
            return "Finding entities…"
        art = self.reader.article
        if art is not None and not self.library.entities_read(art.id):
            return "Entities not found yet (the entity stage has not read this article)"
        return "No entities found in this article"

    # -- the sidebar's messages -----------------------------------------------------
    def on_entity_sidebar_highlighted(self, event: EntityHighlighted) -> None:
        self.reader.highlight_entity(event.entity.entity_id)

    def on_entity_sidebar_chosen(self, event: EntityChosen) -> None:
        self.filter_by_entity(event.entity)

    def on_entity_sidebar_scope_toggled(self) -> None:
        self.set_entity_scope("library" if self.sidebar.scope == "article" else "article")

    def filter_by_entity(self, entity) -> None:
        ids = list(self.library.entity_articles(entity.entity_id))
        self.filter_entity = entity
        label = f"{getattr(entity, 'type', 'entity')} {sanitize_line(str(entity.name))}"
        if self.has_class("-narrow") and self.sidebar.display:
            self.sidebar_pref = False  # give the column back to the filtered list
            self._apply_sidebar()
            self.article_list.focus()
        self.show_left("list")
        current = self.reader.article.id if self.reader.article else None
        self.article_list.load(ListSource(self.sort, ids=tuple(ids), label=label), keep_id=current)
        self._update_status()

    # -- scope: the article's entities or the library's --------------------------------
    def set_entity_scope(self, scope: str) -> None:
        if scope == "article":
            art = self.reader.article
            ents = self._article_entities(art.id) if art else []
            self.sidebar.set_entities(ents, "article", note=self.entities_note() if art else OPEN_ONE)
        else:
            self.sidebar.set_entities([], "library", note="Loading…")
            workers.start(self, workers.library_entities, self.library, self.post_message,
                          group="entities", name="Loading library entities")

    def on_entities_loaded(self, message: EntitiesLoaded) -> None:
        if self.sidebar.scope == "library":
            self.sidebar.set_entities(message.entities, "library", note=message.note)

    def refresh_sidebar(self, reopen: bool = True) -> None:
        """Show the sidebar's scope as the library now is (after an import, the
        entity stage, a refresh), without the user toggling it twice."""
        if self.sidebar.scope == "library":
            self.set_entity_scope("library")
            return
        art = self.reader.article
        ents = self._article_entities(art.id) if art else []
        self.sidebar.set_entities(ents, "article", note=self.entities_note() if art else OPEN_ONE)
        if reopen and art is not None and ents:
            # The reader's chips follow the entities found.
            self.open_article(art.id, terms=self.search_terms, mark_read=False)

    def on_entity_stage(self, message: EntityStage) -> None:
        self._entities_running = message.running
        if message.running:
            self.refresh_sidebar(False)  # "finding entities…" instead of "none found"

    # -- acting on the highlighted entity ------------------------------------------------
    def action_focus_entities(self) -> None:
        if not self.sidebar.display:
            self.sidebar_pref = True
            self._apply_sidebar()
        self.query_one(EntityOptions).focus()

    def _highlighted_entity(self):
        """The entity the sidebar highlights, else the list's entity filter, else the sidebar's first."""
        entity = self.filter_entity
        opts = self.sidebar.query_one(EntityOptions)
        if opts.highlighted is not None:
            entity = self.sidebar.items.get(opts.get_option_at_index(opts.highlighted).id or "", entity)
        elif entity is None:
            entity = next((self.sidebar.items[o.id] for o in opts.options if o.id in self.sidebar.items), None)
        return entity

    def _entity_to_act_on(self):
        """The highlighted entity, or None after telling the user to highlight one."""
        entity = self._highlighted_entity()
        if entity is None:
            self.notify("Highlight an entity in the sidebar first (e).", severity="warning")
        return entity

    def action_dossier(self) -> None:
        """The dossier of the entity highlighted in the sidebar (else the list's filter,
        else the sidebar's first entity)."""
        from .screens.desk import DossierScreen

        entity = self._entity_to_act_on()
        if entity is None:
            return
        self.push_screen(DossierScreen(self.library, str(entity.name)), self._open_chosen)

    def action_follow_entity(self) -> None:
        entity = self._entity_to_act_on()
        if entity is None:
            return
        name = str(entity.name)
        watched = {f["name"].casefold() for f in self.library.follows()}
        try:
            if name.casefold() in watched:
                self.library.unfollow(name)
                self.notify(f"No longer following {sanitize_line(name)}.", timeout=3, markup=False)
            else:
                row = self.library.follow(name)
                self.notify(f"Following {sanitize_line(row['name'])}: {row['unread']} unread of "
                            f"{row['articles']} articles.", timeout=4, markup=False)
        except LibraryError as exc:
            self.notify(str(exc), severity="warning", markup=False)
