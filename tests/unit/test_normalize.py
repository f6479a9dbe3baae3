from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from scoping_review.normalize import (
    doi_expr,
    file_stem,
    find_year,
    normalize_doi,
    normalize_title,
    slug,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("10.1002/jclp.23115", "10.1002/jclp.23115"),
        ("https://doi.org/10.1002/JCLP.23115", "10.1002/jclp.23115"),
        ("http://dx.doi.org/10.1037/a0036815.", "10.1037/a0036815"),
        ("doi: 10.1080/10503307.2016.1246765", "10.1080/10503307.2016.1246765"),
        ("10.1002/\\(sici\\)1097-4679", "10.1002/(sici)1097-4679"),
        ("not a doi", None),
        ("", None),
        (None, None),
    ],
)
def test_normalize_doi(raw: str | None, expected: str | None) -> None:
    assert normalize_doi(raw) == expected


def test_normalize_title_folds_case_punctuation_and_diacritics() -> None:
    assert normalize_title("A Comparison of Pre-Dropout — and Temporary Rupture Sessions!") == (
        "a comparison of pre dropout and temporary rupture sessions"
    )
    assert normalize_title("Gülüm’s “ruptures”") == "gulum s ruptures"
    assert normalize_title(" -- ") is None


def test_slug_matches_ledger_ids() -> None:
    assert slug("(Perceived) disinterest therapist") == "perceived_disinterest_therapist"
    assert (
        slug("Attending to rupture – metacommunication") == "attending_to_rupture_metacommunication"
    )
    assert slug("United States of America") == "united_states_of_america"


@given(st.text())
def test_file_stem_is_a_safe_nonempty_file_name(name: str) -> None:
    stem = file_stem(name)
    assert stem and not stem.startswith(".") and "/" not in stem and "\\" not in stem
    assert all(ch.isalnum() or ch in "._-" for ch in stem)
    assert file_stem(stem) == stem


def test_file_stem_keeps_a_readable_name() -> None:
    assert file_stem("Dr. A. Smith") == "Dr._A._Smith"
    assert file_stem("../../etc/passwd") == "etc_passwd"
    assert file_stem("...") == "reviewer"


def test_find_year() -> None:
    assert find_year("Bartholomew, Gundel, & Scheel (2016)") == 2016
    assert find_year("2021 Feb 15") == 2021
    assert find_year("vol 12345") is None
    assert find_year(None) is None


@given(st.text())
def test_title_normalisation_is_idempotent(text: str) -> None:
    once = normalize_title(text)
    assert normalize_title(once) == once


@given(
    st.from_regex(r"(https://doi\.org/|doi: )?10\.\d{4,6}/[A-Za-z0-9.()-]{1,20}", fullmatch=True)
)
def test_doi_expression_agrees_with_scalar(doi: str) -> None:
    frame = pl.DataFrame({"d": [doi]}).select(doi_expr("d"))
    assert frame.item() == normalize_doi(doi)
    assert normalize_doi(normalize_doi(doi)) == normalize_doi(doi)
