"""The one HTML-to-text converter (articles.text.html), as feeds and JSON
exports use it: hidden markup contributes no text, and hostile nesting neither
crashes nor loses the words."""

from __future__ import annotations

import json

import pytest

from articles.readers.jsonfmt import record_to_fields
from articles.text.html import html_to_text

HIDDEN = ("<p>The harbour reopened on Monday after the storm.</p>"
          "<script>alert('script text')</script><style>p { color: red }</style>"
          "<noscript>noscript fallback</noscript><iframe>iframe fallback</iframe>"
          "<svg><text>svg label</text></svg>"
          "<p>Ferries ran to the islands again by the afternoon.</p>")
HIDDEN_WORDS = ("script text", "color", "noscript fallback", "iframe fallback", "svg label")


def test_hidden_elements_give_no_text():
    text = html_to_text(HIDDEN)
    assert text.split("\n\n") == ["The harbour reopened on Monday after the storm.",
                                  "Ferries ran to the islands again by the afternoon."]
    for word in HIDDEN_WORDS:
        assert word not in text


def test_json_export_bodies_use_the_same_converter():
    fields = record_to_fields({"title": "Harbour reopens", "body": HIDDEN})
    assert "Ferries ran to the islands" in fields["body"]
    for word in HIDDEN_WORDS:  # the old JSON converter kept noscript/iframe/svg text
        assert word not in fields["body"]


@pytest.mark.parametrize("depth", [300, 5000, 50_000])
def test_deep_nesting_keeps_the_words(depth):
    words = "Dockers voted to end the strike after nine days."
    html = "<div>" * depth + f"<p>{words}</p>" + "</div>" * depth
    assert words in html_to_text(html)


def test_deep_nesting_in_a_json_export():
    words = "Dockers voted to end the strike after nine days."
    body = "<div>" * 5000 + f"<p>{words}</p>" + "</div>" * 5000
    fields = record_to_fields(json.loads(json.dumps({"title": "Strike ends", "body": body})))
    assert words in fields["body"]
