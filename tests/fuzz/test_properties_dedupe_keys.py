"""Dedupe's trap-aware normalisers under fuzzing: placeholders, run-together author strings,
word-wise journal abbreviations."""

from __future__ import annotations

import polars as pl
from fuzzing import FUZZ
from hypothesis import given
from hypothesis import strategies as st

from scoping_review import normalize
from scoping_review.dedupe.scoring import abbreviates

_SURNAME = st.text("abcdefghijklmnoprstuvwz", min_size=2, max_size=10).map(str.capitalize)
_INITIALS = st.lists(st.sampled_from("ABCDEFGHJKLMNPRST"), min_size=1, max_size=2)
_WORD = st.text("abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=12)


@FUZZ
@given(st.lists(st.tuples(_SURNAME, _INITIALS), min_size=1, max_size=8))
def test_run_together_authors_split_into_the_listed_authors(
    authors: list[tuple[str, list[str]]],
) -> None:
    # "Kohashi K.Hiromura M." as exports write it: "Surname I. J." with no separator
    listed = [f"{name} " + " ".join(f"{i}." for i in inits) for name, inits in authors]
    run_together = "".join(listed)
    frame = pl.DataFrame({"a": [[run_together], listed]})
    got = normalize.surnames_frame(frame, "a", 50).to_list()
    assert got[0] == got[1] == [name.lower() for name, _ in authors]


@FUZZ
@given(st.text(max_size=30))
def test_placeholder_is_null_or_the_value_unchanged(value: str) -> None:
    out = normalize.apply_scalar(normalize.placeholder_expr(pl.col("v")), value)
    assert out is None or out == value
    # a value with a digit is never a placeholder (volumes, pages, years)
    if any(ch.isdigit() for ch in value):
        assert out == value


@FUZZ
@given(st.lists(_WORD, min_size=1, max_size=6), st.data())
def test_an_abbreviation_made_of_word_prefixes_matches_and_is_symmetric(
    words: list[str], data: st.DataObject
) -> None:
    cut = [w[: data.draw(st.integers(1, len(w)))] for w in words]
    full, short = " ".join(words), " ".join(cut)
    assert abbreviates(short, full)
    assert abbreviates(full, short)
    assert abbreviates(full, full)
    # a name with another word count is never an abbreviation of it
    assert not abbreviates(short + " x", full)
