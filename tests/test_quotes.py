"""Who said what: quotations, their speakers and exact offsets, on the seeds and on made-up text."""

import json
import os

import pytest

import main
from articles.library import Library
from articles.analysis.quote_match import quotes_overlap
from articles.analysis.quotes import extract_quotes
from conftest import S000, S001, S002, S003, S004, SEEDS, need



@pytest.fixture(scope="module")
def seeds(tmp_path_factory):
    lib = tmp_path_factory.mktemp("quotes") / "lib"
    assert main.main(["add", str(need(SEEDS)), "--library", str(lib), "--json"]) == 0
    with Library(lib) as library:
        names = {a.id: os.path.basename(a.path) for a in library.store.iter_articles()}
        bodies = {a.id: a.body for a in library.store.iter_articles()}
    return lib, names, bodies


def quotes_json(capsys, *argv):
    code = main.main([str(a) for a in argv] + ["--json"])
    assert code == 0
    return json.loads(capsys.readouterr().out)["quotes"]


def by_seed(capsys, seeds):
    lib, names, _ = seeds
    out = {}
    for q in quotes_json(capsys, "quotes", "--library", lib):
        out.setdefault(names[q["article"]], []).append(q)
    return out


def find(quotes, start):
    hits = [q for q in quotes if q["text"].startswith(start)]
    assert len(hits) == 1, (start, [q["text"][:40] for q in quotes])
    return hits[0]


def test_offsets_are_exact_for_every_quote(seeds, capsys):
    _, _, bodies = seeds
    quotes = quotes_json(capsys, "quotes", "--library", seeds[0])
    assert len(quotes) >= 25
    for q in quotes:
        assert bodies[q["article"]][q["start"]:q["end"]] == q["text"]
        assert set(q) >= {"article", "speaker", "text", "start", "end"}


@pytest.mark.parametrize("seed, start, speaker, style", [
    # “…,” Chang wrote  (surname resolved to the full name)
    (S000, "The foreign minister’s statement denigrating", "Gordon Chang", "postfix"),
    # “…,” Chang adds, “…  (attribution between two quotes covers the second too)
    (S000, "… sanctions relief is particularly important", "Gordon Chang", "prefix"),
    # According to X, “…
    (S000, "The major failure for Kim Jong Un is that sanctions have not been lifted", "David Maxwell",
     "according_to"),
    # “…,” he wrote  (pronoun: the speaker quoted just before)
    (S000, "Kim can continue to try to intimidate Trump", "Gordon Chang", "postfix+pronoun"),
    # “…,” The Daily Beast report reads  (a publication as speaker)
    (S001, "Kim probably thinks that Trump, running for re-election", "Daily Beast", "postfix"),
    # “…,” said Bennet  (verb first; surname -> Bruce Bennet)
    (S002, "Kim was furious and many of his people", "Bruce Bennet", "postfix"),
    # “…,” Jeremy Chan, a senior analyst ..., told B-17.
    (S002, "Trump comes into his second term with a weaker hand", "Jeremy Chan", "postfix"),
    # a quote-only paragraph continuing the previous speaker
    (S002, "I think it is unlikely that Kim Jong-un will meet with Trump", "Bruce Bennet", "continued"),
    # curly opening, straight closing; “Kim said” -> the canonical Kim Jong Un
    (S003, "We can never sell our dignity", "Kim Jong Un", "postfix"),
    # As Trump himself contends, “…
    (S004, "I am the only one that matters.", "Donald Trump", "prefix"),
])
def test_speakers_in_different_attribution_styles(seeds, capsys, seed, start, speaker, style):
    q = find(by_seed(capsys, seeds)[seed], start)
    assert q["speaker"].removeprefix("The ") == speaker
    assert q["attribution"] == style


def test_exact_text_boundaries(seeds, capsys):
    quotes = by_seed(capsys, seeds)
    assert find(quotes[S000], "The major failure")["text"] == \
        "The major failure for Kim Jong Un is that sanctions have not been lifted"  # comma dropped
    assert find(quotes[S003], "We can never")["text"] == (
        "We can never sell our dignity, which we have so far defended as something as valuable as "
        "our own lives, in the hope of a brilliant transformation")
    assert find(quotes[S003], "tighten our belts")["speaker"] == "Kim Jong Un"  # short, but attributed


def test_quote_without_a_speaker_is_kept_with_null(seeds, capsys):
    q = find(by_seed(capsys, seeds)[S004], "The only summit meeting that can succeed")
    assert q["speaker"] is None and q["attribution"] is None


def test_scare_quotes_are_not_quotes(seeds, capsys):
    texts = {q["text"] for qs in by_seed(capsys, seeds).values() for q in qs}
    for phrase in ("up the pressure", "almost certainly", "Byungjin Line", "shock", "freeze",
                   "chemistry.", "denuclearization", "How Kim Has Played Trump", "new strategic weapon"):
        assert not any(t.rstrip(",.") == phrase.rstrip(",.") for t in texts), phrase


def test_same_words_different_speakers_are_flagged(seeds, capsys):
    quotes = by_seed(capsys, seeds)
    chang = find(quotes[S000], "The foreign minister’s statement")
    beast = find(quotes[S001], "Kim probably thinks that Trump")
    assert chang["conflict"] and beast["conflict"]
    assert any(o["speaker"].endswith("Daily Beast") for o in chang["also_attributed_to"])
    assert any(o["speaker"] == "Gordon Chang" for o in beast["also_attributed_to"])
    # Maxwell's words in both versions, attributed to him both times: no conflict.
    maxwell = find(quotes[S001], "unconventional, experimental")
    assert maxwell["speaker"] == "David Maxwell" and not maxwell["conflict"]


def test_speaker_filter_and_one_article(seeds, capsys):
    lib, names, _ = seeds
    chang = quotes_json(capsys, "quotes", "--speaker", "Chang", "--library", lib)
    assert len(chang) >= 5 and {q["speaker"] for q in chang} == {"Gordon Chang"}
    assert {names[q["article"]] for q in chang} == {S000}
    one = next(i for i, n in names.items() if n == S001)
    only = quotes_json(capsys, "quotes", one[:8], "--library", lib)
    assert only and {q["article"] for q in only} == {one}
    assert any(q["conflict"] for q in only)  # still checked against the other outlet


def test_text_only_resolution_without_entities():
    body = ("Gordon Chang, writing at the Daily Beast, weighed in.\n\n"
            "“Kim probably thinks that Trump will have to give him what he wants,” Chang wrote.\n\n"
            "Others disagree. “It is a very long shot at best,” said analyst Bruce Bennet.")
    qs = extract_quotes(body, "x")
    assert [(q.speaker, q.text) for q in qs] == [
        ("Gordon Chang", "Kim probably thinks that Trump will have to give him what he wants"),
        ("Bruce Bennet", "It is a very long shot at best")]


def test_quote_running_across_paragraphs():
    body = ("The minister spoke for an hour.\n\n"
            "“We will not give in to pressure from anyone at all,\" Jane Doe said. “Our economy is strong.\n\n"
            "“Our people are united, and they will remain united whatever happens next.”\n\n"
            "Nobody else commented.")
    qs = extract_quotes(body, "x")
    assert [q.speaker for q in qs] == ["Jane Doe", "Jane Doe"]
    long = qs[1]
    assert body[long.start:long.end] == long.text
    assert long.text.startswith("Our economy is strong.") and long.text.endswith("whatever happens next.")
    assert len(long.parts) == 2
    assert [body[s:e] for s, e in long.parts] == [
        "Our economy is strong.", "Our people are united, and they will remain united whatever happens next."]


def test_straight_quotes_and_unattributed_short_phrases():
    body = ('The plan, which critics call "a disaster", was approved. "This is the best deal we could '
            'possibly have reached," the minister told reporters. He called it "historic".')
    qs = extract_quotes(body, "x")
    assert [q.text for q in qs] == ["This is the best deal we could possibly have reached"]


def test_overlap_matching_is_about_wording():
    assert quotes_overlap("Kim probably realizes he’s in a fix. He needs foreign cash.",
                          "kim probably realizes he's in a fix")
    assert not quotes_overlap("Kim probably realizes he is in a fix", "Trump will meet Kim again soon")


# -- the shipped samples ------------------------------------------------------------------
@pytest.fixture(scope="module")
def samples(tmp_path_factory):
    with Library(tmp_path_factory.mktemp("samples") / "lib") as lib:
        lib.add_samples()
        lib.run_entity_stage()
        names = {a.id: a.origin.removeprefix("sample:") for a in lib.store.iter_articles()}
        quotes = {}
        for q in lib.quotes():
            quotes.setdefault(names[q.article], []).append(q)
        bodies = {names[a.id]: a.body for a in lib.store.iter_articles()}
        groups = {frozenset(names[i] for i in s.articles) for s in lib.stories()}
    return quotes, bodies, groups


def sample_quote(samples, name, start):
    hits = [q for q in samples[0][name] if q.text.startswith(start)]
    assert len(hits) == 1, (name, start, [q.text[:40] for q in samples[0][name]])
    return hits[0]


@pytest.mark.parametrize("name, start, speaker, style", [
    ("01-sample-wire-dockers-walk-out.md", "Ships were already on their way in", "Emil Haraldsen", "prefix"),
    ("06-morning-post-strike-ends.md", "We asked for sleep, and we got sleep.", "Teodora Vance", "prefix"),
    ("06-morning-post-strike-ends.md", "We are pleased the port is open again", "Meridane Lines", "postfix"),
    ("04-sample-wire-talks-begin.md", "Shipping lines have long memories", "Joaquim Restrepo-Hale",
     "postfix+pronoun"),
    ("12-courier-seagrass.md", "Seagrass is slow to start", "Carrow Bay Marine Institute", "postfix"),
    ("04-sample-wire-talks-begin.md", "Every option has a price", "Emil Haraldsen", "postfix"),
])
def test_sample_speakers(samples, name, start, speaker, style):
    q = sample_quote(samples, name, start)
    assert (q.speaker, q.attribution) == (speaker, style)
    assert samples[1][name][q.start:q.end] == q.text


def test_sample_quote_across_paragraphs(samples):
    name = "04-sample-wire-talks-begin.md"
    q = sample_quote(samples, name, "If we go back to the old rota")
    body = samples[1][name]
    assert q.speaker == "Emil Haraldsen" and len(q.parts) == 2
    assert body[q.parts[1][0]:q.parts[1][1]].startswith("What I can promise is that we will not walk away")
    assert q.text.endswith("while ships sit outside the breakwater.")


def test_sample_quotes_without_a_speaker(samples):
    assert sample_quote(samples, "02-gazette-dockers-walk-out.md",
                        "Half my lunchtime trade is dockers").speaker is None  # an unnamed café owner
    assert sample_quote(samples, "05-gazette-strike-ends.md",
                        "We are going back with our heads up.").speaker is None
    texts = {q.text for qs in samples[0].values() for q in qs}
    assert "Rested crews, safe quays." not in texts and "Tides and Tallies" not in texts


def test_sample_stories(samples):
    groups = samples[2]
    assert frozenset({"01-sample-wire-dockers-walk-out.md", "02-gazette-dockers-walk-out.md",
                      "03-courier-dockers-walk-out.md"}) in groups
    assert frozenset({"05-gazette-strike-ends.md", "06-morning-post-strike-ends.md"}) in groups
    assert sum(len(g) for g in groups) == 12 and max(len(g) for g in groups) == 3
    assert frozenset({"04-sample-wire-talks-begin.md"}) in groups  # a later event, not the walkout
