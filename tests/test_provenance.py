"""Credit detection: which report an article credits (outlet, author, title).

The samples are written here (invented outlets and people); the seeds are read
in place from ../shared and only checked for the outlets they credit."""

import pytest

from articles.analysis.outlets import is_outlet, is_own_outlet, outlet_key, outlets_match
from articles.analysis.provenance import find_credits
from conftest import SEEDS, need


def one(text, **kw):
    got = find_credits(text, **kw)
    assert len(got) == 1, [(c.outlet, c.author, c.title, c.kind) for c in got]
    return got[0]


def outlets(text, **kw):
    return [c.outlet for c in find_credits(text, **kw)]


# -- forms journalists use ------------------------------------------------------------------
def test_report_from_an_author_writing_at_an_outlet():
    text = ("According to a report from Jane Ortiz, writing at the Harbour Times, the council "
            "will close the ferry.")
    c = one(text)
    assert (c.outlet, c.author, c.title) == ("Harbour Times", "Jane Ortiz", None)
    assert text[c.start:c.end].startswith("a report from Jane Ortiz")
    assert text[c.start:c.end].endswith("Harbour Times")


def test_possessive_article_with_an_unquoted_headline():
    text = "The mill is doomed, according to Valley Post's article Last shift at the old paper mill.\nNext."
    c = one(text)
    assert c.outlet == "Valley Post"
    assert c.title == "Last shift at the old paper mill"


def test_report_titled_with_a_quoted_headline():
    c = one("Coast Wire's report titled “Ferry fares to double” says the rise is certain.")
    assert (c.outlet, c.title) == ("Coast Wire", "Ferry fares to double")


def test_a_report_credited_through_another_outlet():
    text = ("According to Coast Wire, the Valley Herald report suggests the mill will close. "
            "“It is over,” the Valley Herald report reads.")
    got = {c.outlet: c for c in find_credits(text)}
    assert set(got) == {"Coast Wire", "Valley Herald"}
    assert got["Valley Herald"].via == "Coast Wire"
    assert got["Coast Wire"].via is None
    assert len(got["Valley Herald"].spans) == 2  # both mentions, one record


@pytest.mark.parametrize("text, outlet", [
    ("As reported by Northern News, the bridge will shut for a year.", "Northern News"),
    ("The strike was first reported by the Evening Gazette on Monday.", "Evening Gazette"),
    ("“We are not leaving,” a spokesman told Reuters on Friday.", "Reuters"),
    ("The Harbour Post reported on Tuesday that the dock would be sold.", "The Harbour Post"),
    ("On Monday Reuters reported that talks had stalled.", "Reuters"),
    ("The mayor resigned on Sunday (via The Lakeside Chronicle).", "The Lakeside Chronicle"),
    ("She said in an interview with the Valley Herald that she would run again.", "Valley Herald"),
    ("Speaking to the BBC, the minister denied the claim.", "BBC"),
    ("Per Northern News, the ferry will not run on Sunday.", "Northern News"),
    ("A Valley Herald report said the mill had been sold.", "Valley Herald"),
    ("A source told the Sunday Courier Mr Brandt would resign.", "Sunday Courier"),
    ("Writing in the Valley Herald, Mr Brown said the mill must stay.", "Valley Herald"),
    ("LISBON, May 3 (AP) — Ferries stopped running on Friday.", "AP"),
    ("The plan was first revealed in The Sunday Courier last month.", "The Sunday Courier"),
    ("Figures published by thedailyview.com (via thedailyview.com) show a rise.", "thedailyview.com"),
])
def test_single_credit_forms(text, outlet):
    # The name as written, less a lower-case "the" ("told the BBC": "BBC").
    assert outlets(text) == [outlet]


def test_citing_credits_both_outlets_in_a_chain():
    got = {c.outlet: c for c in find_credits("Yonhap, citing the Harbour Times, said the port would reopen.")}
    assert set(got) == {"Harbour Times", "Yonhap"} or set(got) == {"Harbour Times"}
    assert got["Harbour Times"].via == "Yonhap"


def test_an_author_writing_for_an_outlet():
    c = one("The mill must stay open, Ada Brandt, writing for the Valley Herald, argued.")
    assert (c.outlet, c.author) == ("Valley Herald", "Ada Brandt")


def test_a_reporter_of_an_outlet_and_two_outlets_in_one_phrase():
    c = one("According to Ada Brandt of Coastal Trade Magazine, rates will rise.")
    assert (c.outlet, c.author) == ("Coastal Trade Magazine", "Ada Brandt")
    assert outlets("He denied the reports in the Sunday Courier and Evening Gazette.") == \
        ["Sunday Courier", "Evening Gazette"]


def test_a_report_by_an_outlets_reporter():
    c = one("A report by Coast Wire's Jane Ortiz found the ferry was never insured.")
    assert (c.outlet, c.author) == ("Coast Wire", "Jane Ortiz")


def test_entity_spans_tell_people_from_outlets():
    text = "According to Morgan Press, the harvest failed."
    assert outlets(text) == ["Morgan Press"]  # a newspaper-style name alone
    people = [(13, 25, "PERSON")]  # an NER pass says it is a person
    assert find_credits(text, entities=people) == []


# -- quoted sources are not credited reports -------------------------------------------------
@pytest.mark.parametrize("text", [
    "The road was closed, according to the police.",
    "According to John Smith, a farmer, the rain came too late.",
    "According to Mayor Ellen Park, the budget is balanced.",
    "According to the Harbour Authority, ships will wait.",
    "according to figures from the National Statistics Office, prices rose.",
    "According to its first report, accidents fell.",
    "According to North Korea, the talks failed.",
    "It was reported in March that the mine would close.",
    "The company reported profits of £3m, above the £2.4bn reported last year.",
    "Smith told reporters the fight was not over, then told the court he was innocent.",
    "He told Ellen Park he would stay.",
    "The meeting was held via Zoom (via Getty Images).",
    "The sanctions were reported by North Korea's state media.",
    "A report by the International Energy Agency says demand will peak.",
    "The film is a feature by Ada Brandt, competing for the prize.",
    "Harbour TV's coverage will start at noon.",
    "Sky reported a 10% rise in profits, and Channel 4 reported record revenue.",
    "Broadband lags, according to a report by Harbour Research.",
    "The report notes that the Times Square crowd was smaller.",
    "Prices rose 3 per cent. Per Ellen Park, the rise will not last.",
    "Analysts told the Harbour Times Shipping Conference that trade would fall.",
    "Shares closed at $20.15. Press reports suggest a merger.",
    "Prices may triple, according to the Harbour Times Research Unit's chief economist.",
])
def test_quoted_sources_and_lookalikes_are_not_credits(text):
    assert find_credits(text) == []


def test_the_articles_own_outlet_is_not_a_credit():
    text = "Vance told the Gazette: “We wrote in January.” She later told Reuters the same."
    assert outlets(text, exclude_outlets=["Sample Gazette"]) == ["Reuters"]
    assert outlets("He told BBC Radio 4 he was leaving.", exclude_outlets=["BBC News"]) == []


def test_outlet_names_and_hosts_compare():
    assert outlet_key("The Daily Beast") == outlet_key("thedailybeast.com") == "dailybeast"
    assert outlets_match("Market Watch", "https://www.marketwatch.com/story/x")
    assert outlets_match("BBC", "BBC News") and not outlets_match("BBC", "CBC")
    assert outlets_match("AP", "Associated Press")
    assert is_own_outlet("BBC Radio", "BBC News") and not is_own_outlet("Reuters", "BBC News")
    assert is_outlet("The Baltimore Sun") and is_outlet("the Post") and not is_outlet("the police")
    assert not is_outlet("Post") and not is_outlet("International Energy Agency")


# -- the seeds (read in place) -------------------------------------------------------------
def _seed(prefix):
    need(SEEDS)
    path = next(SEEDS.glob(f"{prefix}_*.txt"), None)
    if path is None:
        pytest.skip(f"seed {prefix} not found in {SEEDS}")
    return path.read_text(encoding="utf-8")


def test_seed_000_credits_the_author_writing_at_the_outlet():
    text = _seed("000")
    got = find_credits(text)
    beast = [c for c in got if outlets_match(c.outlet, "thedailybeast.com")]
    assert len(beast) == 1, got
    assert beast[0].author == "Gordon Chang"
    assert "writing at" in text[beast[0].start:beast[0].end]


def test_seed_001_credits_raw_story_the_beast_through_it_and_global_news():
    got = {outlet_key(c.outlet): c for c in find_credits(_seed("001"))}
    assert {"rawstory", "dailybeast", "globalnews", "nbcnews"} <= set(got)
    assert outlet_key(got["dailybeast"].via) == "rawstory"


def test_seed_004_credits_the_article_and_its_title():
    got = [c for c in find_credits(_seed("004")) if outlet_key(c.outlet) == "marketwatch"]
    assert len(got) == 1
    assert got[0].title and got[0].title.startswith("North Korea")
    assert got[0].title.endswith("Trump")


def test_seed_003_credits_nothing():
    assert find_credits(_seed("003")) == []
