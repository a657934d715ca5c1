"""The one parser of bodies, hashtags and mentions."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from socialapp.common.errors import ValidationFailed
from socialapp.common.text import clean_body, parse_hashtags, parse_mentions


@pytest.mark.parametrize(
    ("body", "tags"),
    [
        ("#One #two #ONE", ["one", "two"]),
        ("mid#word no, &#38; no, ##double no, #yes", ["yes"]),
        ("#2024 is not a tag, #y2024 is", ["y2024"]),
        ("Unicode #Café #東京 #ÉTÉ", ["café", "東京", "été"]),
        ("punctuation #end.", ["end"]),
        ("Devanagari #हिन्दी and Thai #ภาษาไทย", ["हिन्दी", "ภาษาไทย"]),
        ("#" + "a" * 101 + " is too long, #" + "b" * 100 + " is not", ["b" * 100]),
    ],
)
def test_hashtags(body, tags):
    assert parse_hashtags(body) == tags


@pytest.mark.parametrize(
    ("body", "names"),
    [
        ("@bob and @Alice_1 and @BOB", ["bob", "Alice_1"]),
        ("mail me: bob@example.org", []),
        ("@ab too short, @abc ok", ["abc"]),
        ("@" + "a" * 31 + " too long", []),
        ("(@carol), @dave.", ["carol", "dave"]),
    ],
)
def test_mentions(body, names):
    assert parse_mentions(body) == names


@pytest.mark.parametrize("bad", ["", "  ", "\u200b" * 0 + "\x7f", "\ud800", "\ufffe", "a" * 501])
def test_bad_bodies(bad):
    with pytest.raises(ValidationFailed) as info:
        clean_body(bad)
    assert info.value.errors and "body" in info.value.errors


@given(st.text(max_size=600))
def test_clean_body_either_refuses_or_returns_storable_trimmed_text(raw):
    try:
        body = clean_body(raw)
    except ValidationFailed:
        return
    assert 1 <= len(body) <= 500 and body == body.strip()
    body.encode("utf-8")  # PostgreSQL can store it
    assert clean_body(body) == body  # idempotent
    parse_hashtags(body), parse_mentions(body)
