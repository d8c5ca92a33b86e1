"""Plain-text cleaning, checked on the real messy seed articles and on small cases."""

from __future__ import annotations

import pytest

from articles.text.cleaning import clean_text, derive_title, is_headline, parse_date, split_paragraphs

from conftest import SEEDS

FURNITURE = [
    "Subscribe to",
    "Newsletters",
    "Enter a valid email",
    "Thank you for subscribing",
    "Post your comment",
    "Leave a Reply",
    "Similar Posts",
    "Catch all the",
    "Download The",
    "More Less",
    "Recommended For You",
    "Trending Stocks",
    "Get alerts on WhatsApp",
    "Set Preferences",
    "Logout",
    "You can read more here",
    "Home / News",
]


def seed(prefix: str) -> str:
    if not SEEDS.is_dir():
        pytest.skip(f"shared seeds not found at {SEEDS}")
    (path,) = SEEDS.glob(prefix + "_*.txt")
    return path.read_text(encoding="utf-8")


EXPECTED = {
    "000": ("According to a report from Gordon Chang, writing at the Daily Beast", "2020-06-14"),
    "001": ("Kim Jong Un Is Ignoring Donald Trump’s ‘Pen-Pal Diplomacy’ In A Bid For Concessions, Report Says", None),
    "002": ("Trump faces a far more emboldened Kim Jong Un this time around", None),
    "003": ("Kim Jong-un gives up on Trump, bolsters efforts to endure US economic sanctions", None),
    "004": ("Kim Jong Un continues to outmaneuver Donald Trump", None),
}
LAST_WORDS = {
    "000": "Getting one undermines the possibility of obtaining the other.”",
    "001": "recently threatened military action against the country’s southern neighbor.",
    "002": "“We have to see how North Korea’s relationship with Russia evolves.”",
    "003": "to a more advanced form of intercontinental ballistic missile.",
    "004": "This was first published on Project Syndicate — “How Kim Has Played Trump”.",
}


@pytest.mark.parametrize("prefix", sorted(EXPECTED))
def test_seed_title_date_and_no_furniture(prefix):
    result = clean_text(seed(prefix))
    title, date = EXPECTED[prefix]
    assert result.title.startswith(title)
    assert result.date == date
    for phrase in FURNITURE:
        assert phrase not in result.body, phrase
        assert phrase not in result.title, phrase
    paragraphs = result.body.split("\n\n")
    assert paragraphs[-1].endswith(LAST_WORDS[prefix])
    # Headline is not repeated as the first paragraph, and paragraphs are single-spaced.
    assert paragraphs[0].casefold() != result.title.casefold()
    assert "\n\n\n" not in result.body and all(p.strip() == p and p for p in paragraphs)


def test_seed_000_metadata_on_body_line_and_derived_title():
    result = clean_text(seed("000"))
    assert "date" not in result.body.split("\n", 1)[0].split()[:2]
    assert result.body.startswith("According to a report from Gordon Chang")
    assert "2020-06-14" not in result.body and "2020-06-14" not in result.title
    assert result.title_derived
    # The lead sentence (196 characters) is the title whole, not cut mid-sentence.
    assert result.title.startswith("According to a report from Gordon Chang")
    assert result.title.endswith("out of North Korea on Friday") and "…" not in result.title


def test_seed_002_subheads_and_captions_stay():
    paragraphs = clean_text(seed("002")).body.split("\n\n")
    for subhead in ("A relationship gone sour", "Trump’s gambit", "The nuclear option", "Kim breaks North Korea’s isolation"):
        assert subhead in paragraphs
    assert "Donald Trump and Kim Jong Un at the 2019 Hanoi summit." in paragraphs


def test_seed_003_breadcrumb_headline_becomes_title():
    result = clean_text(seed("003"))
    assert not result.body.startswith("Kim Jong-un gives up on Trump")
    assert "Home / News / World" in result.removed


def test_seed_004_repeated_headline_kept_once():
    result = clean_text(seed("004"))
    paragraphs = result.body.split("\n\n")
    assert "Kim Jong Un continues to outmaneuver Donald Trump" not in paragraphs
    assert result.removed == ["Kim Jong Un continues to outmaneuver Donald Trump"]
    assert result.body.startswith("North Korean leader Kim Jong Un is eager")


def test_curly_quotes_are_not_rewritten():
    body = clean_text(seed("002")).body
    assert "“Trump comes into his second term" in body and "North Korea’s" in body
    assert '"Trump comes' not in body


def test_metadata_lines_at_top():
    raw = "Author: Jane Roe\nSource: The Example Times\nurl: https://example.org/x\nHeadline here\nPublished: 3 March 2021\n\nBody text starts here. It goes on.\n"
    r = clean_text(raw)
    assert (r.title, r.author, r.source, r.url, r.date) == (
        "Headline here", "Jane Roe", "The Example Times", "https://example.org/x", "2021-03-03")
    assert r.body == "Body text starts here. It goes on."


def test_byline_and_prose_starting_with_by_are_told_apart():
    r = clean_text("Storm hits coast\nBy Ana Lima\n\nBy contrast, the inland towns were dry.\n")
    assert r.author == "Ana Lima"
    assert r.body == "By contrast, the inland towns were dry."


def test_middle_furniture_removed_but_short_subheads_kept():
    raw = "Title line\n\nFirst paragraph of text.\n\nShare this article\n\nWhat happens next\n\nSecond paragraph, the end.\n"
    r = clean_text(raw)
    assert r.body.split("\n\n") == ["First paragraph of text.", "What happens next", "Second paragraph, the end."]


def test_trailing_lists_without_call_to_action_are_kept():
    raw = "Cup draw\n\nThe draw was made on Monday.\n\nChelsea v Birmingham\n\nOldham v Bolton\n"
    assert clean_text(raw).body.endswith("Oldham v Bolton")


def test_headline_with_subscription_word_is_not_furniture():
    r = clean_text("Streaming service subscribers fall sharply\n\nThe company lost users, it said.\n")
    assert r.title == "Streaming service subscribers fall sharply"


def test_very_short_text_is_never_emptied():
    r = clean_text("Just a note")
    assert r.body == "Just a note" and r.title == "Just a note"


def test_hard_wrapped_prose_is_joined():
    line = "word " * 14
    raw = "Title\n\n" + "\n".join([line.strip()] * 4) + "\nend."
    (para,) = clean_text(raw).body.split("\n\n")
    assert para.endswith("word end.")


def test_parse_date_formats():
    assert parse_date("2020-06-14T10:00:00Z") == "2020-06-14"
    assert parse_date("14 June 2020") == "2020-06-14"
    assert parse_date("Sunday, June 14, 2020 10:32 AM") == "2020-06-14"
    assert parse_date("2020/6/4") == "2020-06-04"
    assert parse_date("2020-02-30") is None
    assert parse_date("soon") is None


def test_is_headline_and_derive_title():
    assert is_headline("Rivals of the £400 Apple...")
    assert is_headline("Could rivalry overshadow election?")
    assert not is_headline("He said it was fine. Then it was not.")
    assert derive_title("Short first sentence. Second one.") == "Short first sentence"
    long = "A " + "verylongword " * 20 + "end. Next."
    title = derive_title(long)
    assert title.endswith("…") and len(title) <= 91


def test_sanitize_applies_to_title_and_body():
    r = clean_text("Head\x1b]0;owned\x07line\n\nBody \x1b[2Jtext.\n")
    assert r.title == "Headline" and r.body == "Body text."


@pytest.mark.parametrize(
    "line",
    [
        "a" * 5_000_000,
        "word " * 1_000_000,
        "date " + "/ " * 2_000_000,
        "Home / " * 700_000,
        "“" * 1_000_000 + "x",
        " " * 100 + "x" + "\t" * 3_000_000 + "y",
    ],
    ids=["letters", "words", "date-slashes", "crumbs", "quotes", "spaces"],
)
def test_pathological_single_line_completes(line):
    # No timing assertion: a catastrophic regex would make this test hang, which
    # the suite's overall time budget exposes.
    r = clean_text(line)
    assert r.body and r.title


def test_split_paragraphs_normalises_blank_lines_and_nbsp():
    assert split_paragraphs("a\u00a0 b\n\n\n\n c \n") == ["a b", "c"]


def test_many_identical_short_lines_stay_linear_and_keep_text():
    # Title dedupe and metadata skipping are bounded: this used to pop(0) per line.
    r = clean_text("short line\n" * 100_000)
    assert r.title == "short line" and r.body.count("short line") > 99_000


# -- furniture rules never remove ordinary prose (issue 14) ---------------------------
_LAKE_TOWN = """A Town Known For Its Lakes

Lakeford is a small town in the north of the country, famous for its boat races.

The town council said on Tuesday that visitor numbers had doubled since the new railway opened.

Lakeford is well known for its karst hills and clear rivers, and is one of the region's most popular holiday destinations."""


@pytest.mark.parametrize("sentence", [
    "Lakeford is well known for its karst hills and clear rivers, and is one of the region's most popular holiday destinations.",
    "Shoppers will be able to sign up for the scheme from May, the company said in a statement.",
    "The museum's most viewed painting was moved to a new room after the flooding last winter.",
    "Analysts said the latest news from the central bank had calmed markets across the region.",
])
def test_prose_that_uses_furniture_words_is_kept(sentence):
    body = _LAKE_TOWN.rsplit("\n\n", 1)[0] + "\n\n" + sentence
    # at the end (the trailing block, where the rules are loosest) and in the middle
    assert sentence in clean_text(body).body
    middle = _LAKE_TOWN.replace("The town council", sentence + "\n\nThe town council")
    assert sentence in clean_text(middle).body


def test_furniture_is_still_removed_after_the_prose_guard():
    text = _LAKE_TOWN + ("\n\nSubscribe to our newsletter to get the latest stories delivered to your inbox."
                         "\n\nDownload the Lakeford Post app to get breaking news alerts on your phone."
                         "\n\nMost popular")
    result = clean_text(text)
    assert "most popular holiday destinations" in result.body
    for gone in ("Subscribe to our", "Download the Lakeford", "Most popular\n"):
        assert gone not in result.body + "\n", gone
