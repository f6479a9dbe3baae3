"""The matching normalisers: one test per normalisation, plus properties (hypothesis)."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from scoping_review.normalize import (
    apply_scalar,
    doi_expr,
    fold_expr,
    initials_expr,
    journal_expr,
    markup_expr,
    match_doi_expr,
    match_title_expr,
    notice_kind_expr,
    pages_expr,
    start_page_expr,
    strip_notice_expr,
    surnames_expr,
)

V = pl.col("v")
S = pl.String()


def one(expr: pl.Expr, value: object, dtype: pl.DataType = S) -> object:
    return apply_scalar(expr, value, dtype)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("<i>In vivo</i> effects", "In vivo effects"),
        ("Smith &amp; Jones &lt;2020&gt;", "Smith & Jones <2020>"),
        ('{\\"u}ber and \\"{o}l', "uber and ol"),
        ("\\textit{Plasmodium} vivax", "Plasmodium vivax"),
        ("H$_2$O and $\\alpha$-synuclein", "H_2O and alpha-synuclein"),
        ("Caf&#233; culture", "Caf culture"),
    ],
)
def test_markup_is_removed(raw: str, expected: str) -> None:
    assert one(markup_expr(V), raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Alliance RUPTURES: a Review.", "alliance ruptures a review"),
        ("Müller–Lyer illusion", "muller lyer illusion"),
        ("[Efficacy of batroxobin in stroke].", "efficacy of batroxobin in stroke"),
        ("Efficacy observation of batroxobin. [Chinese]", "efficacy observation of batroxobin"),
        ("Outcomes in adults (Review)", "outcomes in adults"),
        ("Cats & dogs", "cats and dogs"),
        ("<b>Bold</b> claims", "bold claims"),
    ],
)
def test_match_title_folds_case_punctuation_diacritics_brackets(raw: str, expected: str) -> None:
    assert one(match_title_expr(V), raw) == expected


def test_short_bracketed_title_is_kept() -> None:
    # a bracketed tail is only a tag when a real title precedes it
    assert one(match_title_expr(V), "Stroke (II)") == "stroke ii"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://doi.org/10.1002/JCLP.23116", "10.1002/jclp.23116"),
        ("http://dx.doi.org/10.1002/jclp.23116.", "10.1002/jclp.23116"),
        ("doi: 10.1002/jclp.23116", "10.1002/jclp.23116"),
        ("not a doi", None),
    ],
)
def test_doi_forms(raw: str, expected: str | None) -> None:
    assert one(doi_expr("v"), raw) == expected


@pytest.mark.parametrize(
    ("raw", "full", "start"),
    [
        ("123-9", "123-129", "123"),
        ("1297-306", "1297-1306", "1297"),
        ("pp. 548–555", "548-555", "548"),
        ("9848--9853", "9848-9853", "9848"),
        ("e1234", "e1234", "e1234"),
        ("S12-S14", "s12-s14", "s12"),
        ("0123-9", "0123-0129", "123"),
        ("532,534-536", "532", "532"),
        ("", None, None),
    ],
)
def test_page_ranges(raw: str, full: str | None, start: str | None) -> None:
    assert one(pages_expr(V), raw) == full
    assert one(start_page_expr(V), raw) == start


@given(st.integers(1, 99_999), st.integers(0, 999))
def test_abbreviated_page_range_expands_to_the_full_range(first: int, length: int) -> None:
    last = first + length
    a, b = str(first), str(last)
    common = 0
    while common < len(a) - 1 and len(a) == len(b) and a[common] == b[common]:
        common += 1
    short = f"{a}-{b[common:]}"
    assert one(pages_expr(V), short) == f"{a}-{b}"


@pytest.mark.parametrize(
    ("authors", "expected"),
    [
        (["Zuber, J.", "Zuber J", "J. Zuber", "Zuber JC"], ["zuber"] * 4),
        (["Le Quintrec, M", "Sberro-Soussan R"], ["le quintrec", "sberro soussan"]),
        (["O'Donnell, C. P.", "Müller, K."], ["odonnell", "muller"]),
        (["B. Abrahao", "K. S. Cook"], ["abrahao", "cook"]),
        (["Tan A.Schulze A.O'Donnell C. P."], ["tan schulze odonnell"]),
        (["", "  "], []),
    ],
)
def test_surnames_from_author_formats(authors: list[str], expected: list[str]) -> None:
    result = one(surnames_expr(V), authors, pl.List(pl.String()))
    assert isinstance(result, pl.Series)
    assert result.to_list() == expected


_SURNAME = st.text("abcdefghijklmnopqrstuvwxyz", min_size=2, max_size=12).map(str.capitalize)


@given(_SURNAME, st.text("ABCDEFGHJKLMNPRST", min_size=1, max_size=2))
def test_surname_is_the_same_in_every_author_format(surname: str, initials: str) -> None:
    dotted = " ".join(f"{c}." for c in initials)
    forms = [f"{surname}, {dotted}", f"{surname} {initials}", f"{dotted} {surname}"]
    result = one(surnames_expr(V), forms, pl.List(pl.String()))
    assert isinstance(result, pl.Series)
    assert result.to_list() == [surname.lower()] * 3


@pytest.mark.parametrize(
    ("abbrev", "full"),
    [
        ("Nat Rev Nephrol", "Nature Reviews Nephrology"),
        ("J Clin Psychol", "Journal of Clinical Psychology"),
        ("Semin Thromb Hemost", "Seminars in Thrombosis & Hemostasis"),
    ],
)
def test_journal_abbreviation_has_the_initials_of_the_full_title(abbrev: str, full: str) -> None:
    a, f = one(journal_expr(V), abbrev), one(journal_expr(V), full)
    assert one(initials_expr(V), a) == one(initials_expr(V), f)


def test_journal_drops_place_and_subtitle() -> None:
    assert one(journal_expr(V), "Lancet (London, England)") == "lancet"
    assert one(journal_expr(V), "Blood: Journal of the ASH") == "blood"


@pytest.mark.parametrize(
    ("title", "kind", "core"),
    [
        ("Erratum to: Big study of things", "erratum", "big study of things"),
        ("Correction: Big study of things", "erratum", "big study of things"),
        ("Retraction note to: A thing", "retraction", "a thing"),
        ("Notice of retraction: A thing", "retraction", "a thing"),
        ("Expression of concern: A thing", "expression_of_concern", "a thing"),
        ("RETRACTED: A thing", None, "a thing"),  # the retracted article itself
        ("Correctional facilities and health", None, "correctional facilities and health"),
    ],
)
def test_notice_kind_and_core_title(title: str, kind: str | None, core: str) -> None:
    folded = one(match_title_expr(V), title)
    assert one(notice_kind_expr(V), folded) == kind
    assert one(strip_notice_expr(V), folded) == core


@given(st.text(max_size=60))
def test_folding_is_idempotent(text: str) -> None:
    once = one(fold_expr(V), text)
    assert one(fold_expr(V), once) == once


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # cut at "<" (PsycINFO): names the journal issue, so it is no evidence either way
        ("10.1002/(SICI)1097-4679(200002)56:2", None),
        (
            "https://doi.org/10.1002/(SICI)1097-4679(200002)56:2<175::AID-JCLP4>3.0.CO;2-5",
            "10.1002/(sici)1097-4679(200002)56:2<175::aid-jclp4>3.0.co;2-5",
        ),
        ("10.1650/0010-5422(2007)109[97:N]2.0.CO;2", "10.1650/0010-5422(2007)109[97:n]2.0.co;2"),
        ("10.1080/10503307.2014.1", "10.1080/10503307.2014.1"),
        # a Cochrane CENTRAL record's DOI names the CENTRAL record, not the article
        ("10.1002/central/CN-01783882/full", None),
        ("https://doi.org/10.1002/central/cn-00677540", None),
        ("10.1002/14651858.CD012345.pub2", "10.1002/14651858.cd012345.pub2"),  # a review's DOI
    ],
)
def test_truncated_sici_dois_do_not_count_for_matching(raw: str, expected: str | None) -> None:
    assert one(match_doi_expr(V), one(doi_expr("v"), raw)) == expected
    assert one(match_doi_expr("v"), raw) == expected
