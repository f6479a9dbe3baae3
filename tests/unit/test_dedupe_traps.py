"""Labelled trap cases for deduplication, one test per pattern, built from real records of the
labelled sets in ../shared/fixtures/dedup/ (read by path, changed only as the pattern says).

Each pattern is one a large export contains and that a matcher can turn into a false merge
(recurring titles, a DOI on many items, many abstracts on one supplement page) or a missed
duplicate (placeholder values, online-first years, run-together authors, abbreviations).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from helpers import require_shared
from scoping_review import dedupe, normalize, storage
from scoping_review.dedupe.keys import match_keys
from scoping_review.dedupe.scoring import abbreviates
from support.dedupe_layout import records_from_layout

COLREV = ("fixtures", "dedup", "bib-dedupe_colrev")


def _set_rows(name: str, ids: list[str]) -> list[dict[str, Any]]:
    path = require_shared(*COLREV, name, "records_pre_merged.csv")
    frame = storage.read_sheet(path).filter(pl.col("ID").is_in(ids))
    rows = {r["ID"]: r for r in frame.iter_rows(named=True)}
    assert set(rows) == set(ids), f"{path}: records {sorted(set(ids) - set(rows))} not found"
    return [rows[i] for i in ids]


def _case(case_id: str) -> tuple[dict[str, Any], dict[str, Any], bool]:
    path = require_shared(*COLREV, "test_cases.json")
    case = next(c for c in json.loads(Path(path).read_text())["cases"] if c["id"] == case_id)
    side = [
        {k: str(v) for k, v in case[s].items() if v is not None} for s in ("record_a", "record_b")
    ]
    return side[0], side[1], bool(case["expected_duplicate"])


def _run(rows: list[dict[str, Any]]) -> dedupe.DedupeResult:
    frame = pl.DataFrame(
        [{k: (None if v is None else str(v)) for k, v in r.items()} for r in rows],
        infer_schema_length=None,
    )
    return dedupe.run(records_from_layout(frame, "x", "traps.csv"))


def _same(result: dedupe.DedupeResult, a: str, b: str) -> bool:
    study = dict(zip(result.clusters["record_id"], result.clusters["study_id"], strict=True))
    return study[f"x:{a}"] == study[f"x:{b}"]


def _queued(result: dedupe.DedupeResult, a: str, b: str) -> pl.DataFrame:
    q = result.review_queue
    ids = {f"x:{a}", f"x:{b}"}
    return q.filter(pl.col("record_id_a").is_in(ids) & pl.col("record_id_b").is_in(ids))


# --- recurring titles ----------------------------------------------------------------------------


def test_recurring_title_in_another_issue_is_not_merged() -> None:
    # Stroke set: "Review of Memory rehabilitation: Integrating theory and practice" is the title
    # of reviews of one book in five journals. Trap: the same reviewer's column in the same
    # journal, year and volume, another issue, pages missing on both - another item.
    ids = ["id_0000477", "id_0000534", "id_0000537", "id_0000817", "id_0001018"]
    rows = _set_rows("stroke", ids)
    other = dict(rows[0], ID="trap_other_issue", number="4", pages=None)
    rows[0] = dict(rows[0], pages=None)
    result = _run([*rows, other])
    assert not _same(result, "id_0000477", "trap_other_issue")
    queued = _queued(result, "id_0000477", "trap_other_issue")
    assert queued.height == 1 and "generic title" in queued["evidence"].item()


def test_generic_title_needs_support_beyond_title_author_journal_year_volume() -> None:
    # "Book review" in EJIS 4(2) 1995 (bib-dedupe's hand-made case): two book reviews of one
    # issue share title, journal, year, volume and issue; nothing says they are one item.
    a, _b, _expected = _case("ejis_1995_book_review_unknown_vs_specific_book_review")
    a = dict(a, author="Cornford, Tony")
    second = dict(a, ID="trap_second_review")
    result = _run([a, second])
    assert not _same(result, a["ID"], "trap_second_review")
    assert _queued(result, a["ID"], "trap_second_review").height == 1
    # the same records with one DOI (or the same pages) are one item
    with_doi = _run([dict(a, doi="10.1057/ejis.1995.13"), dict(second, doi="10.1057/ejis.1995.13")])
    assert _same(with_doi, a["ID"], "trap_second_review")
    with_pages = _run([dict(a, pages="121-122"), dict(second, pages="121-2")])
    assert _same(with_pages, a["ID"], "trap_second_review")


def test_generic_title_lexicon_and_recurrence() -> None:
    titles = pl.DataFrame(
        {"t": ["Editor's Comments", "Remarks from the Editor", "Introduction", "Erratum",
               "Reply", "Book review", "In Reply:", "Alliance ruptures in psychotherapy"]}
    )  # fmt: skip
    flags = titles.select(normalize.generic_title_expr(normalize.fold_expr("t")))["t"]
    assert flags.to_list() == [True] * 7 + [False]


# --- a DOI shared by many items ------------------------------------------------------------------


def test_doi_shared_by_records_with_other_titles_is_no_evidence_and_is_reported() -> None:
    a, b, expected = _case("attili_2018_vs_annabi_mcgann_2019_same_doi_but_different_papers")
    assert expected is False
    result = _run([a, b])
    assert not _same(result, a["ID"], b["ID"])
    rel = result.relations
    assert rel["relation"].to_list() == ["shared_doi"]
    assert "DOI shared" in rel["evidence"].item()


def test_supplement_doi_on_every_abstract_does_not_merge_them() -> None:
    # Haematology: four abstracts of the IPNA 2010 congress (Pediatric Nephrology 25(9)); the
    # trap gives all of them the abstract book's DOI. A second copy of one abstract (another
    # database) still joins it on its title, year and authors.
    ids = ["id_0000292", "id_0000296", "id_0001306"]
    book = "10.1007/s00467-010-1591-0"
    rows = [dict(r, doi=book) for r in _set_rows("haematology", ids)]
    copy = dict(rows[0], ID="trap_copy")
    result = _run([*rows, copy])
    assert result.studies.height == 3
    assert _same(result, "id_0000292", "trap_copy")
    assert set(result.relations["relation"]) == {"shared_doi"}
    keys = match_keys(
        records_from_layout(pl.DataFrame([*rows, copy], infer_schema_length=None), "x", "t")
    )
    assert keys["doi_shared"].all()


# --- conference abstracts on one supplement page -------------------------------------------------


def test_abstracts_on_one_supplement_page_are_not_merged() -> None:
    # Haematology: two abstracts of the ASFA 2009 meeting (J Clin Apher 24(2)) printed on page
    # 86. Trap: the same group wrote both (one author list): same journal, volume, issue, page,
    # year and authors; the titles differ, so they are two abstracts.
    rows = _set_rows("haematology", ["id_0000284", "id_0000303"])
    rows[1] = dict(rows[1], author=rows[0]["author"], pages="86")
    result = _run(rows)
    assert not _same(result, "id_0000284", "id_0000303")
    # the same two records as journal articles with a page range: volume + pages are evidence
    journal = [
        dict(r, journal="Journal of Clinical Apheresis", pages="86-90", number="2") for r in rows
    ]
    keys = match_keys(records_from_layout(pl.DataFrame(journal), "x", "t"))
    assert not keys["conference"].any()


# --- placeholders, online first ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "placeholder"),
    [
        ("pages", "No-Specified"),
        ("pages", "n/a"),
        ("volume", "In press"),
        ("volume", "Article in Press"),
        ("pages", "[Epub ahead of print]"),
        ("number", "No-Specified"),
    ],
)
def test_placeholder_values_are_missing_data_not_a_conflict(field: str, placeholder: str) -> None:
    # li_2019 (bib-dedupe's case: same DOI, same record twice); the second export writes a
    # placeholder where the first has a value, and loses the DOI
    a, b, expected = _case("li_2019_same_doi_abstract_formatting_differs")
    assert expected is True
    b = dict(b, doi="")
    b[field] = placeholder
    assert _same(_run([a, b]), a["ID"], b["ID"])
    keys = match_keys(records_from_layout(pl.DataFrame([a, b]), "x", "t"))
    col = {"pages": "pg", "volume": "vol", "number": "iss"}[field]
    assert keys[col].null_count() == 1


def test_scopus_colon_page_is_the_page() -> None:
    a, b, _ = _case("li_2019_same_doi_abstract_formatting_differs")
    keys = match_keys(records_from_layout(pl.DataFrame([a, dict(b, pages=":913")]), "x", "t"))
    assert keys["sp"].to_list() == ["913", "913"]


def test_online_first_and_print_a_year_apart_with_same_doi_and_title_are_merged() -> None:
    # pare_wagner (bib-dedupe's case): the online-first record (2023, pages 1-17, no volume)
    # and the print record (2024, 33(4) 566-582). As PsycINFO exports it: the DOI on both,
    # the literal page value "No-Specified".
    a, b, expected = _case("pare_wagner_prester_jds_2024_vs_2023_online_first")
    assert expected is True
    b = dict(b, doi=a["doi"])
    result = _run([a, b])
    assert _same(result, a["ID"], b["ID"])
    assert result.clusters.filter(pl.col("link_rule").is_not_null())[
        "link_rule"
    ].unique().to_list() == ["doi"]
    assert _same(_run([a, dict(b, pages="No-Specified")]), a["ID"], b["ID"])
    # two years apart is not that pattern
    assert not _same(_run([a, dict(b, year="2022")]), a["ID"], b["ID"])


# --- recall: authors, titles, journals -----------------------------------------------------------


def test_run_together_author_string_matches_the_author_list() -> None:
    # tan_2004 (bib-dedupe's case): "Tan A.Schulze A.O'Donnell C. P.Davis P. G." is one string
    a, _b, _ = _case("tan_2004_2005_pub2_vs_pub3")
    listed = dict(
        a, ID="listed", author="Tan, A. and Schulze, A. and O'Donnell, C. P. and Davis, P. G."
    )
    keys = match_keys(records_from_layout(pl.DataFrame([a, listed]), "x", "t"))
    assert keys["au"].to_list() == ["tan schulze odonnell davis"] * 2
    assert keys["au1"].to_list() == ["tan", "tan"]
    # a short title needs the first author: the run-together string now gives it
    short = [
        dict(a, title="Air versus oxygen", doi=""),
        dict(listed, title="Air versus oxygen", doi="", number=""),
    ]
    assert _same(_run(short), a["ID"], "listed")


def test_author_order_and_initials_do_not_matter() -> None:
    # haematology id_0000128/id_0000129 carry the same authors in another order and form
    rows = _set_rows("haematology", ["id_0000128", "id_0000129"])
    keys = match_keys(records_from_layout(pl.DataFrame(rows), "x", "t"))
    a, b = (set(s.split()) for s in keys["au"].to_list())
    assert {"koehl", "boyer", "kossorotoff"} <= a & b


def test_translated_or_bracketed_title_part_is_dropped() -> None:
    # haematology id_0000229 / id_0000230: "... donations. [Spanish]" and "... donations"
    rows = _set_rows("haematology", ["id_0000229", "id_0000230"])
    keys = match_keys(records_from_layout(pl.DataFrame(rows), "x", "t"))
    assert keys["t"][0] == keys["t"][1]
    out = normalize.apply_scalar(
        normalize.match_title_expr(pl.col("v")),
        "Treatment of atypical HUS [Behandlung des atypischen hamolytisch-uramischen Syndroms]",
    )
    assert out == "treatment of atypical hus"


@pytest.mark.parametrize(
    ("short", "full", "same"),
    [
        ("New Engl J Med", "New England Journal of Medicine", True),
        ("Proc Natl Acad Sci U S A",
         "Proceedings of the National Academy of Sciences of the United States of America", True),
        ("Am J Transplant", "American Journal of Transplantation", True),
        ("J Clin Psychol", "Journal of Clinical Psychiatry", False),
        ("Pediatr Nephrol", "Pediatric Transplantation", False),
    ],
)  # fmt: skip
def test_journal_abbreviations_match_word_by_word(short: str, full: str, same: bool) -> None:
    a, b = (normalize.apply_scalar(normalize.journal_expr(pl.col("v")), x) for x in (short, full))
    assert isinstance(a, str) and isinstance(b, str)
    assert abbreviates(a, b) is same
