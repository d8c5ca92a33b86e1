"""Text cut for display is cut at word or sentence boundaries: quotes in story
versions, dossier lines, titles made from the lead sentence."""

from __future__ import annotations

from articles.text.cleaning import derive_title
from articles.library import Library
from articles.model import Draft
from articles.analysis.sentences import sentence_spans
from articles.text.cut import cut_words, widen_to_quotes
from conftest import run_json
from conftest import SIZE, run, settle
from tui.app import NewsdeskApp
from tui.config import load_config


def test_cut_words_never_cuts_inside_a_word():
    quote = "The sanctions have forced the North Korean economy to open up to the world"
    cut = cut_words(quote, 40)
    assert cut == "The sanctions have forced the North…"
    assert len(cut) <= 40
    assert cut_words("short enough", 40) == "short enough"
    assert cut_words("x" * 50, 10) == "x" * 9 + "…"  # one word longer than the room: no boundary to use


def _widened(body: str, word: str) -> str:
    spans = sentence_spans(body)
    s, e = next(sp for sp in spans if word in body[sp[0]:sp[1]])
    return body[slice(*widen_to_quotes(body, s, e, spans))]


def test_a_sentence_inside_a_quotation_starts_at_its_opening_mark():
    curly = "The strike went on. “We will not back down. Ada Brook will lead us,” said Tom Reed. Later."
    assert _widened(curly, "Ada") == "“We will not back down. Ada Brook will lead us,” said Tom Reed."
    straight = 'The strike went on. "We will not back down. Ada Brook will lead us," said Tom Reed. Later.'
    assert _widened(straight, "Ada") == '"We will not back down. Ada Brook will lead us," said Tom Reed.'
    # A sentence outside any quotation, or one opening its own, stays as it is.
    plain = 'Ada Brook spoke first. She said: "We will win." Then she left.'
    assert _widened(plain, "Ada") == "Ada Brook spoke first."
    assert _widened(plain, "win") == 'She said: "We will win."'


def test_a_long_lead_sentence_is_the_title_whole():
    lead = ("According to a report from a correspondent writing for the Harbour Gazette, the port "
            "authority of Carrow Bay has quietly shelved its plan for a second container terminal "
            "after a year of talks.")
    assert 150 < len(lead) < 200
    assert derive_title(lead + "\n\nMore text follows here.") == lead.rstrip(".")
    # Past a headline's length it is cut, at a word.
    title = derive_title("word " * 60 + "end.")
    assert title.endswith("…") and not title[:-1].endswith(" ") and len(title) <= 91


def test_the_reader_shows_a_title_made_from_the_first_paragraph_once(tmp_path):
    lead = "Ada Brook, the harbour master of Carrow Bay, said on Monday that the port would reopen next week."
    with Library(tmp_path / "lib") as lib:
        lib.add_drafts([Draft(title=lead.rstrip("."), origin="t:lead", source="Gazette",
                              body=lead + "\n\nShips waited outside the breakwater.")])

    async def flow():
        app = NewsdeskApp(Library(tmp_path / "lib"), load_config(None), run_entity_stage=False)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("enter")
            await settle(pilot)
            return app.reader._plain, str(app.reader.query_one("#reader-title").render())

    shown, title = run(flow())
    assert title.startswith("Ada Brook, the harbour master")
    assert shown == "Ships waited outside the breakwater."


def test_dossier_line_does_not_start_inside_a_quote(tmp_path, capsys):
    body = ("The dock strike entered its third day. “We will not back down. Ada Brook will see us "
            "through,” said Tom Reed, the union's spokesman. Talks resume on Friday.")
    with Library(tmp_path / "lib") as lib:
        lib.add_drafts([Draft(title="Dockers dig in", origin="t:dock", source="Gazette", body=body)])
    doc = run_json(capsys, "--library", tmp_path / "lib", "dossier", "Ada Brook")
    sentence = doc["articles"][0]["sentence"]
    assert sentence.startswith("“We will not back down.")
    assert sentence.endswith("the union's spokesman.")
