"""Who said what: direct quotations in an article body, each with its speaker.

Works on the text alone (speakers as written, surnames expanded to the fullest
earlier form of the name in the same article) and gets better when the
article's entities are known: the speaker becomes the canonical entity whose
mention the attribution points at (``Chang`` -> ``Gordon Chang``).

Rules, chosen so that scare quotes and quoted phrases in running prose are not
reported as somebody's words:

* a quote of one word is never a quote;
* two or three words count only with an attribution right beside the marks
  (``..., "tighten our belts," he said``);
* four or five words need an attribution somewhere in the sentence
  (``Maxwell goes on to note that the regime "no longer appreciates ..."``);
* six words or more are kept even without one, with speaker ``None``.

A speaker is only named when the text names it (or a pronoun right after a
named quote, or a quote-only paragraph continuing one); otherwise it is None.

(One module of ~575 lines on purpose: the attribution patterns and the code
that reads their groups change together, rule by rule. Quotes across articles
are in ``quote_match``, text structure in ``sentences``.)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from .quote_match import normalize_quote
from .sentences import enclosing, paragraph_spans, sentence_spans

__all__ = ["Quote", "extract_quotes", "entity_lookup_from_refs"]

_OPEN_CURLY, _CLOSE_CURLY = "“«„", "”»"
_STRAIGHT = '"'

# Verbs of saying (all forms we meet in news copy).
_VERBS = (
    "said|says|say|saying|wrote|writes|write|writing|added|adds|add|adding|told|tells|tell|"
    "noted|notes|note|noting|explained|explains|claimed|claims|argued|argues|asked|asks|"
    "reads|read|stated|states|declared|declares|warned|warns|insisted|insists|continued|"
    "continues|recalled|recalls|contends|contended|suggested|suggests|replied|replies|"
    "responded|accused|accuses|acknowledged|acknowledges|admitted|admits|announced|"
    "announces|tweeted|posted|commented|remarked|observed|predicted|predicts|concluded|"
    "conceded|concedes|stressed|stresses|emphasised|emphasized|maintained|maintains|"
    "quipped|joked|cautioned|cautions|pointed out|points out|went on|goes on to (?:note|say|add)|"
    "confirmed|confirms|revealed|reveals|agreed|agrees|urged|urges|boasted|complained|"
    "complains|testified|wrote in|told reporters"
)
_DOC_NOUNS = (r"report|article|story|editorial|statement|piece|column|post|tweet|letter|"
              r"memo|analysis|op-ed|release|study|paper|website|account")
_NAME_WORD = r"[A-Z][\w’'.\-]*"
_PARTICLE = r"(?:de|da|del|van|von|der|den|bin|bint|al|el|la|le|di|du|ibn)"
_NAME = rf"{_NAME_WORD}(?:[ \t]+(?:{_PARTICLE}[ \t]+)?{_NAME_WORD}){{0,4}}"
_PRONOUN = r"[Hh]e|[Ss]he|[Tt]hey"
_SUBJECT = (rf"(?P<name>{_NAME}|{_PRONOUN})(?:\s+(?P<doc>{_DOC_NOUNS}))?")
_APPOSITIVE = r"(?:\s*,[^“”\"\n]{1,220}?,)?"
_ADVERB = r"(?:\s+(?:himself|herself|themselves|also|later|then|once|again|previously|recently))?"

# A job description written before a name: "said chief financial officer Peter Gregg".
_ROLE = (r"(?:(?:the|an?)\s+)?"
         r"(?:(?!(?:that|which|who|whom|and|but|as|when|if|while|because|so|then|he|she|they)\b)"
         r"[a-z][\w\-]*\s+){0,4}?")
# “...,” said Bennet / said Shin Bum-chul, who ... / said an FA statement
_POST_VERB_FIRST = re.compile(
    rf"^[\s,]*(?:{_VERBS})\s+{_ROLE}(?P<name>{_NAME})(?:\s+(?P<doc>{_DOC_NOUNS}))?")
# “...,” Chang wrote / Jeremy Chan, a senior analyst ..., told B-17 / The Daily Beast report reads
_POST_NAME_FIRST = re.compile(
    rf"^[\s,]*{_ROLE}{_SUBJECT}{_APPOSITIVE}{_ADVERB}\s+(?:{_VERBS})\b")
# According to David Maxwell of the FDD, “...
_PRE_ACCORDING = re.compile(
    rf"\b[Aa]ccording to\s+(?:the\s+)?{_SUBJECT}(?:\s+(?:of|at|from|with)\s+[^,“”\"\n]+)?"
    rf"{_APPOSITIVE}\s*[,:]\s*$")
# Chang adds, “... / X told Y: “... / As Trump himself contends, “... / he said that “...
_PRE_SUBJECT = re.compile(
    rf"{_SUBJECT}{_APPOSITIVE}{_ADVERB}\s+(?:{_VERBS})"
    rf"\s+(?:the\s+|a\s+|an\s+)?[\w’'.\-]+(?:\s+[\w’'.\-]+){{0,3}}\s*[:,]\s*$")
# Mr Tanguay backed that view on Tuesday, saying: “...
_PRE_SAYING = re.compile(rf"{_SUBJECT}\b[^“”\"\n.]{{0,100}},\s+(?:saying|adding|writing|noting)\s*[:,]?\s*(?:that\s+)?$")
# Said Haraldsen, “...  (verb first, before the quote)
_PRE_VERB_FIRST = re.compile(rf"(?:^|[.;]\s+|\b)(?:[Ss]aid|[Ss]ays|[Aa]dded|[Aa]sked)\s+(?P<name>{_NAME})\s*[,:]\s*$")
# “...,” the institute said: an organisation named in full earlier, now by its last word.
_POST_THE_NOUN = re.compile(
    rf"^[\s,]*the\s+(?P<noun>institute|authority|company|union|council|ministry|department|"
    rf"government|club|museum|group|bank|firm|agency|board|committee|court|police|party|"
    rf"university|school|hospital|charity|foundation|commission|association|federation|league)"
    rf"\s+(?:{_VERBS})\b")
_PRE_SUBJECT_SHORT = re.compile(
    rf"{_SUBJECT}{_APPOSITIVE}{_ADVERB}\s+(?:{_VERBS})\s*[:,]?\s*(?:that\s+)?$")
# Maxwell goes on to note that ... the regime “... : subject of the sentence, a verb of saying.
_IN_SENTENCE = re.compile(
    rf"^(?:[Aa]ccording to [^,“”\"\n]{{1,80}},\s+|[^,“”\"\n]{{1,60}},\s+)?"
    rf"(?:(?:As|But|And|Yet|So|Then|Now|Still|Meanwhile|However),?\s+)?{_SUBJECT}"
    rf"(?:\s+(?:of|at|from|with)\s+[^,“”\"\n]{{1,80}}?)?{_APPOSITIVE}{_ADVERB}"
    rf"\s+(?:{_VERBS})\b")

_LEADING_NOISE = {"As", "But", "And", "Yet", "So", "Then", "Now", "Still", "Meanwhile", "However",
                  "If", "When", "While", "This", "That", "It", "There", "Here", "Since", "With",
                  "On", "In", "At", "Last", "Earlier", "Later", "Monday", "Tuesday", "Wednesday",
                  "Thursday", "Friday", "Saturday", "Sunday", "January", "February", "March", "April",
                  "May", "June", "July", "August", "September", "October", "November", "December"}
_TITLES = {"President", "President-elect", "Prime", "Minister", "Mr", "Mr.", "Mrs", "Mrs.", "Ms",
           "Ms.", "Dr", "Dr.", "Sir", "Dame", "Lord", "Lady", "Secretary", "Senator", "Sen.",
           "Rep.", "Chancellor", "Governor", "Gov.", "General", "Gen.", "Professor", "Prof.",
           "Judge", "Justice", "Chairman", "Chairwoman", "Chief", "Executive", "Supreme", "Leader",
           "Foreign", "Defence", "Defense", "Vice", "King", "Queen", "Prince", "Princess", "Pope",
           "Former", "Mayor", "Director", "Spokesman", "Spokeswoman", "Captain", "Coach", "Manager",
           "Deputy", "Shadow", "MP", "MEP", "Backbencher", "Labour", "Tory", "Conservative",
           "Liberal", "Democrat", "Republican", "Senior", "Boss", "Striker", "Midfielder",
           "Defender", "Actor", "Actress", "Singer", "Analyst", "Economist", "Officer", "Sport"}
_NOT_NAMES = {"I", "We", "You", "It", "This", "That", "There", "Here", "One", "Some", "Many",
              "Others", "Critics", "Officials", "Experts", "Analysts", "Sources", "People",
              "Christmas", "Easter", "Today", "Yesterday", "Tomorrow"}
_WORD = re.compile(r"[\w’'\-]+")


@dataclass
class Quote:
    article: str
    text: str
    start: int  # offsets into the article body: body[start:end] == text
    end: int
    speaker: str | None = None  # canonical when entities are known, else the fullest form in the text
    speaker_as_written: str | None = None
    speaker_entity: str | None = None  # entity id when resolved through the entity store
    attribution: str | None = None  # how the speaker was found: postfix, prefix, according_to, ...
    parts: list[tuple[int, int]] = field(default_factory=list)  # per-paragraph spans of a long quote
    conflict: bool = False
    also_attributed_to: list[dict] = field(default_factory=list)

    @property
    def words(self) -> int:
        return len(_WORD.findall(self.text))

    def to_json(self) -> dict:
        doc = {"article": self.article, "speaker": self.speaker, "text": self.text,
               "start": self.start, "end": self.end, "speaker_as_written": self.speaker_as_written,
               "attribution": self.attribution, "conflict": self.conflict,
               "also_attributed_to": self.also_attributed_to}
        if self.speaker_entity is not None:
            doc["speaker_entity"] = self.speaker_entity
        if len(self.parts) > 1:
            doc["parts"] = [list(p) for p in self.parts]
        return doc



# -- finding quotation marks ------------------------------------------------------
def _marks(body: str, ps: int, pe: int) -> list[tuple[int, str]]:
    """(position, 'open'|'close') for double quotation marks in one paragraph.
    A straight quote opens after a space or bracket and before a non-space."""
    out = []
    for i in range(ps, pe):
        ch = body[i]
        if ch in _OPEN_CURLY:
            out.append((i, "open"))
        elif ch in _CLOSE_CURLY:
            out.append((i, "close"))
        elif ch == _STRAIGHT:
            before = body[i - 1] if i > 0 else " "
            after = body[i + 1] if i + 1 < len(body) else " "
            if (before.isspace() or before in "([{—–-/") and not after.isspace():
                out.append((i, "open"))
            elif not before.isspace():
                out.append((i, "close"))
    return out


@dataclass
class _Raw:
    open_at: int  # position of the opening mark
    close_at: int | None  # position of the closing mark (None: ran to the paragraph end)
    parts: list[tuple[int, int]]  # inner spans, one per paragraph


def _raw_quotes(body: str) -> list[_Raw]:
    paras = paragraph_spans(body)
    found: list[_Raw] = []
    i = 0
    resume_at = None  # inside a paragraph that closed a run-on quote
    while i < len(paras):
        ps, pe = paras[i]
        marks = _marks(body, resume_at if resume_at is not None else ps, pe)
        resume_at = None
        next_i = i + 1
        k = 0
        while k < len(marks):
            pos, kind = marks[k]
            if kind != "open":
                k += 1
                continue
            ci = next((c for c in range(k + 1, len(marks)) if marks[c][1] == "close"), None)
            if ci is not None:
                found.append(_Raw(pos, marks[ci][0], [(pos + 1, marks[ci][0])]))
                k = ci + 1
                continue
            # No closing mark in this paragraph: a quote that runs on is left open
            # and the next paragraph starts with an opening mark.
            parts = [(pos + 1, pe)]
            j = i + 1
            closed_at = None
            while j < len(paras):
                ns, ne = paras[j]
                if body[ns] not in _OPEN_CURLY + _STRAIGHT:
                    break
                nclose = next((m for m in _marks(body, ns + 1, ne) if m[1] == "close"), None)
                if nclose is not None:
                    parts.append((ns + 1, nclose[0]))
                    closed_at = nclose[0]
                    break
                parts.append((ns + 1, ne))
                j += 1
            if len(parts) > 1:
                found.append(_Raw(pos, closed_at, parts))
                if closed_at is not None:
                    next_i, resume_at = j, closed_at + 1
                else:
                    next_i = j
            break
        i = next_i
    return found


def _trim(body: str, s: int, e: int) -> tuple[int, int]:
    """Drop surrounding space and the comma or colon the attribution leaves inside the marks."""
    while s < e and body[s].isspace():
        s += 1
    while e > s and (body[e - 1].isspace() or body[e - 1] in ",;:"):
        e -= 1
    return s, e


# -- speakers ---------------------------------------------------------------------
def _clean_name(name: str) -> str | None:
    words = []
    parts = name.split()
    # "Labour's Paul Flynn": the possessor is not part of the name.
    for i in range(len(parts) - 1, 0, -1):
        if parts[i - 1].endswith(("’s", "'s")):
            parts = parts[i:]
            break
    for w in " ".join(parts).replace("’s", "").replace("'s", "").split():
        # "Blair. Liberal Democrat": a full stop after a word (not an initial or
        # an abbreviation like U.S.) ends the sentence, and the name with it.
        if w.endswith(".") and len(w) > 2 and "." not in w[:-1] and w not in _TITLES:
            words.append(w[:-1])
            break
        words.append(w)
    while len(words) > 1 and (words[0] in _LEADING_NOISE or words[0] in _TITLES
                              or (words[0].isupper() and len(words[0]) > 1)):  # UK, MEP, FC
        words.pop(0)
    if words and (words[0] in _LEADING_NOISE or words[0] in _TITLES):
        words.pop(0)
    while words and words[-1] in _TITLES:
        words.pop()
    if not words or words[0] in _NOT_NAMES:
        return None
    cleaned = " ".join(words).strip(",.;:")
    return cleaned or None


_FULL_NAME = re.compile(rf"{_NAME_WORD}(?:[ \t]+(?:{_PARTICLE}[ \t]+)?{_NAME_WORD})+")


def _fullest_form(body: str, short: str, before: int) -> str:
    """``Chang`` -> ``Gordon Chang`` when the article named him in full earlier.

    Looks for the first earlier run of capitalised words ending with the short
    name (Western order), else starting with it (``Kim`` -> ``Kim Jong-un``).
    Titles, ``The`` and abbreviations such as ``U.S.`` are not part of a name."""
    if " " in short:
        return short

    def namey(w: str) -> bool:
        return w not in _TITLES and w not in _LEADING_NOISE and w != "The" and "." not in w

    ends, starts = [], []
    for m in _FULL_NAME.finditer(body, 0, before):
        words = [w.rstrip(",.;:") for w in m.group().split()]
        words = [w[:-2] if w.endswith(("’s", "'s")) else w for w in words]
        if short in words[1:]:
            i = words.index(short, 1)
            run = [short]
            for w in reversed(words[:i]):
                if not namey(w) or len(run) == 3:
                    break
                run.insert(0, w)
            if len(run) > 1:
                ends.append(" ".join(run))
        if words[0] == short or (short in words and not ends):
            i = words.index(short)
            run = [short]
            for w in words[i + 1:]:
                if not namey(w) or len(run) == 3:
                    break
                run.append(w)
            if len(run) > 1:
                starts.append(" ".join(run))
    pick = ends or starts
    return pick[0] if pick else short


@dataclass
class _Attribution:
    name: str | None  # as written (None for a pronoun)
    span: tuple[int, int] | None  # where the name is in the body
    how: str
    adjacent: bool
    pronoun: bool = False
    publication: bool = False


def _match_to_attr(m: re.Match, offset: int, how: str, adjacent: bool) -> _Attribution | None:
    raw = m.group("name")
    pronoun = re.fullmatch(_PRONOUN, raw) is not None
    if pronoun:
        return _Attribution(None, None, how, adjacent, pronoun=True)
    name = _clean_name(raw)
    if name is None:
        return None
    # Offsets of the cleaned name inside the match (titles dropped from the front).
    s = offset + m.start("name") + raw.find(name.split()[0])
    doc = "doc" in m.groupdict() and m.group("doc")
    return _Attribution(name, (s, s + len(name)), how, adjacent, publication=bool(doc))


def _attribution(body: str, raw: _Raw, sent: tuple[int, int], para: tuple[int, int],
                 prev_close: int) -> _Attribution | None:
    close_end = (raw.close_at + 1) if raw.close_at is not None else raw.parts[-1][1]
    last_para_end = next(e for s, e in paragraph_spans(body) if s <= close_end <= e) \
        if raw.close_at is not None else close_end
    after = body[close_end:last_para_end]
    cut = re.search(r"[“”\"]", after)
    after_clause = after[:cut.start()] if cut else after
    for rx, how in ((_POST_VERB_FIRST, "postfix"), (_POST_NAME_FIRST, "postfix")):
        m = rx.match(after_clause)
        if m:
            a = _match_to_attr(m, close_end, how, True)
            if a:
                return a
    start = max(sent[0], prev_close)
    before = body[start:raw.open_at]
    m = _PRE_ACCORDING.search(before)
    if m:
        a = _match_to_attr(m, start, "according_to", True)
        if a:
            return a
    m = _POST_THE_NOUN.match(after_clause)
    if m:
        # "the company said": the organisation named in full earlier, else the one
        # that spoke earlier in this paragraph ("Meridane Lines said ... “...,” the company said").
        a = _the_noun(body, m, close_end) or _speaking_subject(body, sentence_spans(body), para,
                                                               raw.open_at)
        if a:
            return _Attribution(a.name, a.span, "postfix", True)
    for rx in (_PRE_VERB_FIRST, _PRE_SUBJECT_SHORT, _PRE_SUBJECT, _PRE_SAYING):
        m = rx.search(before)
        if m:
            a = _match_to_attr(m, start, "prefix", True)
            if a:
                return a
    sentence_head = body[sent[0]:raw.open_at]
    m = _IN_SENTENCE.match(sentence_head)
    if m:
        a = _match_to_attr(m, sent[0], "in_sentence", False)
        if a:
            return a
    # "..., according to Raw Story." after the quote, in the same sentence.
    m = re.match(rf"^[\s,]*(?:[^“”\"\n]{{0,80}}?)\baccording to\s+(?:the\s+)?{_SUBJECT}", after_clause)
    if m:
        return _match_to_attr(m, close_end, "according_to", False)
    return None


def _the_noun(body: str, m: re.Match, offset: int) -> _Attribution | None:
    """"the institute said" -> the latest earlier "... Institute" named in full, if any."""
    noun = m.group("noun").capitalize()
    found = None
    for full in _FULL_NAME.finditer(body, 0, offset):
        if full.group().split()[-1] == noun:
            found = full
    if found is None:
        return None
    name = _clean_name(found.group())
    if name is None:
        return None
    s = found.start() + found.group().find(name.split()[0])
    return _Attribution(name, (s, s + len(name)), "postfix", True)


def _speaking_subject(body: str, sents: Sequence[tuple[int, int]], para: tuple[int, int],
                      pos: int) -> _Attribution | None:
    """The latest sentence of this paragraph before ``pos`` whose subject says something
    ("Joaquim Restrepo-Hale, an economist ..., said a strike ...")."""
    found = None
    for s, e in sents:
        if s < para[0] or e > pos:
            continue
        m = _IN_SENTENCE.match(body[s:e])
        if m and not re.fullmatch(_PRONOUN, m.group("name")):
            a = _match_to_attr(m, s, "in_sentence", False)
            if a is not None:
                found = a
    return found


# -- entity lookup (optional) -----------------------------------------------------
EntityLookup = Callable[..., tuple[str, str | None] | None]


def entity_lookup_from_refs(refs: Iterable) -> EntityLookup:
    """Make a lookup from an article's EntityRefs: span -> (canonical name, entity id).

    A mention overlapping the speaker's words wins; otherwise an entity whose
    name or mention text ends with (or starts with) the written name."""
    refs = list(refs)
    spans = []
    for r in refs:
        for mention in getattr(r, "mentions", []) or []:
            s, e = mention[0], mention[1]
            spans.append((s, e, r))

    def lookup(s: int, e: int, written: str, fullest: str | None = None):
        # The fullest form the text gives the name wins over a mention that merely
        # overlaps it (a tagger may have swallowed a neighbouring word: "Said Haraldsen").
        if fullest and fullest != written:
            want = fullest.casefold()
            for r in refs:
                if r.name.casefold() == want:
                    return r.name, r.entity_id
        best = None
        for ms, me, r in spans:
            if ms < e and s < me:
                overlap = min(e, me) - max(s, ms)
                if best is None or overlap > best[0]:
                    best = (overlap, r)
        if best is not None:
            return best[1].name, best[1].entity_id
        low = written.casefold()
        for r in refs:
            names = {r.name.casefold()} | {m[2].casefold() for m in getattr(r, "mentions", []) or []
                                           if len(m) > 2}
            if low in names or any(n.endswith(" " + low) or n.startswith(low + " ") for n in names):
                return r.name, r.entity_id
        return None

    return lookup


def _person_before(refs: Sequence, pos: int, floor: int) -> tuple[str, str | None] | None:
    """The person mentioned last before ``pos`` (not before ``floor``)."""
    best = None
    for r in refs:
        if getattr(r, "type", None) != "person":
            continue
        for mention in getattr(r, "mentions", []) or []:
            if floor <= mention[0] < pos and (best is None or mention[0] > best[0]):
                best = (mention[0], r)
    return (best[1].name, best[1].entity_id) if best else None


_TITLED = re.compile(r"\b(?:Mr|Mrs|Ms|Dr|Sir|Lord|Lady)\.?[ \t]+(?P<name>[A-Z][\w’'\-]+)")


def _someone_else_between(body: str, last: Quote, q: Quote, entities: Sequence | None) -> bool:
    """Was another person named between the last quote and this "he said"? Then
    the pronoun may well be theirs, and the last speaker is not a safe answer."""
    lo, hi = last.end, q.start
    known = set(normalize_quote(" ".join(filter(None, (last.speaker, last.speaker_as_written)))))
    starts = [s for s, _ in sentence_spans(body[:hi]) if s >= lo]

    def subject(pos: int) -> bool:  # the name opens its sentence ("Mr Tanguay backed ...")
        return any(s <= pos and len(body[s:pos].split()) <= 1 for s in starts)

    if entities:
        for r in entities:
            if getattr(r, "type", None) != "person" or r.entity_id == last.speaker_entity:
                continue
            if set(normalize_quote(r.name)) <= known:
                continue
            if any(lo <= m[0] < hi and subject(m[0]) for m in r.mentions):
                return True
        return False
    return any(m.group("name").casefold() not in known and subject(m.start())
               for m in _TITLED.finditer(body, lo, hi))


# -- the extractor ----------------------------------------------------------------
def extract_quotes(body: str, article_id: str = "", entities: Sequence | None = None) -> list[Quote]:
    """Direct quotations in ``body`` with speakers; ``entities`` are the article's
    EntityRefs when the entity stage has run (optional)."""
    if not body:
        return []
    paras = paragraph_spans(body)
    sents = sentence_spans(body)
    lookup = entity_lookup_from_refs(entities) if entities else None
    out: list[Quote] = []
    last: Quote | None = None  # the last quote with a speaker
    last_para_index = -10
    prev_close = 0
    for raw in _raw_quotes(body):
        s, e = _trim(body, raw.parts[0][0], raw.parts[-1][1])
        if e <= s:
            continue
        para_index = next((i for i, (ps, pe) in enumerate(paras) if ps <= raw.open_at < pe), -1)
        para = paras[para_index] if para_index >= 0 else (0, len(body))
        sent = enclosing(sents, raw.open_at) or para
        if prev_close < para[0]:
            prev_close = para[0]
        attr = _attribution(body, raw, sent, para, prev_close)
        prev_close = (raw.close_at + 1) if raw.close_at is not None else raw.parts[-1][1]
        parts = [_trim(body, ps, pe) for ps, pe in raw.parts]
        q = Quote(article_id, body[s:e], s, e, parts=parts)
        n = q.words
        if n < 2:
            continue
        if attr is None:
            close_end = (raw.close_at + 1) if raw.close_at is not None else raw.parts[-1][1]
            whole = (not body[sent[0]:raw.open_at].strip()
                     and not body[close_end:max(sent[1], close_end)].strip(" .,;:!?”\"’"))
            continues = (last is not None and last.speaker is not None and whole
                         and para_index - last_para_index <= 1)
            if continues:
                q.speaker, q.speaker_as_written = last.speaker, last.speaker_as_written
                q.speaker_entity, q.attribution = last.speaker_entity, "continued"
            elif n < 6:
                continue
        else:
            if n < 4 and not attr.adjacent:
                continue
            _resolve(q, attr, body, lookup, entities, last, para_index - last_para_index, paras,
                     para_index)
        out.append(q)
        if q.speaker is not None:
            last, last_para_index = q, para_index
    return out


def _resolve(q: Quote, attr: _Attribution, body: str, lookup: EntityLookup | None,
             entities: Sequence | None, last: Quote | None, para_gap: int,
             paras: Sequence[tuple[int, int]], para_index: int) -> None:
    q.attribution = attr.how
    if attr.pronoun and para_index >= 0:
        subject = _speaking_subject(body, sentence_spans(body), paras[para_index], q.start)
        if subject is not None and (last is None or last.speaker is None or not set(
                normalize_quote(subject.name)) <= set(normalize_quote(last.speaker or ""))):
            attr = _Attribution(subject.name, subject.span, attr.how + "+pronoun", attr.adjacent)
            q.attribution = attr.how
    if attr.pronoun:
        # "he said": the last quoted speaker if quoted just before or named again in
        # this paragraph, else (with entities) the last person mentioned nearby.
        near = para_gap <= 2 or (last is not None and last.speaker_as_written is not None and re.search(
            rf"\b{re.escape(last.speaker_as_written.split()[-1])}\b",
            body[paras[para_index][0]:q.start]) is not None)
        if near and last is not None and _someone_else_between(body, last, q, entities):
            near = False
        if last is not None and last.speaker is not None and near:
            q.speaker, q.speaker_as_written = last.speaker, last.speaker_as_written
            q.speaker_entity = last.speaker_entity
            q.attribution = attr.how + "+pronoun"
            return
        if entities:
            floor = paras[max(0, para_index - 1)][0]
            hit = _person_before(entities, q.start, floor)
            if hit:
                q.speaker, q.speaker_entity = hit
                q.attribution = attr.how + "+pronoun"
        return
    q.speaker_as_written = attr.name
    fullest = _fullest_form(body, attr.name, attr.span[0] if attr.span else q.start)
    if lookup is not None and attr.span is not None:
        hit = lookup(attr.span[0], attr.span[1], attr.name, fullest)
        if hit is not None:
            q.speaker, q.speaker_entity = hit
            return
    q.speaker = fullest
