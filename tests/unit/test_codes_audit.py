"""Consistency audit: charting, coded segments and included studies cross-checked."""

from __future__ import annotations

import polars as pl

from scoping_review import quality


def test_label_names() -> None:
    assert quality.label_names("Chen, Atzil-Slonim, & Refaeli (2016)") == [
        "Chen",
        "Atzil-Slonim",
        "Refaeli",
    ]
    assert quality.label_names("Mcleod (2015)") == ["Mcleod"]
    # a year without parentheses (a coded document's name) is no part of a name
    assert quality.label_names("Chen 2020") == ["Chen"]
    assert quality.label_names("Chen & Rivera, 2021b") == ["Chen", "Rivera"]
    assert quality.label_names("Muran et al. (2022)") == ["Muran"]
    assert quality.label_names("Dimmick, Watkins Jr., Callahan (2023)")[1] == "Watkins Jr"


def test_name_mismatches_kinds() -> None:
    studies = pl.DataFrame(
        {"study_id": ["S-1", "S-2", "S-3", "S-4"],
         "authors": [["McLeod, J."], ["Gerostathos, A", "de Roten, Y"], ["Smith, A"],
                     ["Gülüm, I V", "Safran, J D"]]}
    )  # fmt: skip
    labels = pl.DataFrame(
        {"study_id": ["S-1", "S-2", "S-3", "S-4"],
         "label": ["Mcleod (2015)", "Gerostathos, Roten, & Berney (2014)", "Jones (2001)",
                   "Gülüm & Safran (2016)"],
         "where": ["c.csv, row 2", "c.csv, row 3", "c.csv, row 4", "c.csv, row 5"]}
    )  # fmt: skip
    found = quality.name_mismatches(labels, studies, "charting label")
    messages = [str(f["message"]) for f in found]
    assert len(found) == 3  # Berney has no record counterpart; Gülüm & Safran agree
    assert "'Mcleod'" in messages[0] and "differs only in case or accents" in messages[0]
    assert "'Roten'" in messages[1] and "particle or suffix" in messages[1]
    assert "is a different name" in messages[2]
    assert found[2]["ids"] == ["S-3"] and found[2]["where"] == "c.csv, row 4"


def test_name_mismatches_read_given_name_first_authors_and_skip_ids() -> None:
    """IEEE writes "N. P. Jouppi": its surname is not the whole string (which warned of a
    particle for "Jouppi"); Scopus "Liu F." and MEDLINE "Smith JA" put the initials after; a
    corporate author is compared whole; a study ID as a document's name ("S-2d1deaf6c3", the
    generic coding format) is no author name."""
    assert quality.surname("N. P. Jouppi") == "Jouppi"
    assert quality.surname("Liu F.") == "Liu" and quality.surname("Smith JA") == "Smith"
    assert quality.surname("van der Berg J") == "van der Berg"
    assert quality.surname("World Health Organization") == "World Health Organization"
    assert quality.surname("de Roten, Y") == "de Roten" and quality.surname("Plato") == "Plato"
    studies = pl.DataFrame(
        {"study_id": ["S-1", "S-2", "S-2d1deaf6c3", "S-4"],
         "authors": [["N. P. Jouppi", "K. Kalbe"], ["Liu F.", "Smith JA"], ["Cohen, J."],
                     ["World Health Organization"]]}
    )  # fmt: skip
    labels = pl.DataFrame(
        {"study_id": ["S-1", "S-2", "S-2d1deaf6c3", "S-4"],
         "label": ["Jouppi & Kalbe (2009)", "Liu & Smyth (2001)", "S-2d1deaf6c3",
                   "World Health Organization (2020)"],
         "where": ["c.csv, row 2", "c.csv, row 3", "c.csv, row 4", "c.csv, row 5"]}
    )  # fmt: skip
    found = quality.name_mismatches(labels, studies, "coded document")
    assert [str(f["message"]) for f in found] == [
        "coded document 'Liu & Smyth (2001)' writes the author 'Smyth', the bibliographic "
        "record 'Smith' (is a different name)"
    ]


def segments(rows: list[tuple[str | None, str, str, str]]) -> pl.DataFrame:
    return pl.DataFrame(
        {"study_id": [r[0] for r in rows], "document": [r[1] for r in rows],
         "code": [r[2] for r in rows], "status": [r[3] for r in rows]}
    )  # fmt: skip


def test_included_but_never_coded() -> None:
    segs = segments([("S-1", "A", "Empathy", "ok"), ("S-2", "B", "Humour", "unknown_code")])
    found = quality.uncoded_findings(["S-1", "S-2", "S-3"], segs)
    assert [f["ids"] for f in found] == [["S-2"], ["S-3"]]
    assert {f["check"] for f in found} == {"included_not_coded"}


def test_tool_counts_against_segments() -> None:
    segs = segments([("S-1", "A", "Empathy", "ok"), ("S-2", "B", "Empathy", "ok")])
    book = pl.DataFrame(
        {"code": ["Empathy", "Steps"], "n_segments_reported": [3, None],
         "n_documents_reported": [2, None]}
    )  # fmt: skip
    found = quality.codebook_count_findings(book, segs)
    assert [str(f["message"]) for f in found] == [
        "the codebook export states 3 highlights for 'Empathy'; the coded segments read have 2"
    ]


def test_charted_dash_but_coded_under_the_theme() -> None:
    charting = pl.DataFrame(
        {"study_id": ["S-1", "S-2"], "study_label": ["A (2000)", "B (2001)"],
         "repair": ["-", "Empathy helps"], "sheet": ["c.csv"] * 2, "row": [2, 3]}
    )  # fmt: skip
    segs = segments([("S-1", "A", "Empathy", "ok"), ("S-2", "B", "Empathy", "ok")])
    prev = pl.DataFrame({"code": ["Empathy"], "overarching_theme": ["Repair"]})
    checks = [{"field": "repair", "overarching_theme": "Repair"}]
    found = quality.field_theme_findings(charting, segs, prev, checks)
    assert len(found) == 1 and found[0]["ids"] == ["S-1"]
    assert "coded under 'Repair': Empathy" in str(found[0]["message"])
    assert found[0]["where"] == "c.csv, row 2"


def test_an_unknown_code_names_the_closest_codebook_code() -> None:
    segs = segments([("S-1", "A", "stigma", "unknown_code"), ("S-2", "B", "Zzz", "unknown_code")])
    segs = segs.with_columns(row=pl.Series([2, 3]), source=pl.lit("h.csv"))
    found = quality.segment_findings(segs, ["Stigma", "Empathy", "Metacommunication"])
    messages = [str(f["message"]) for f in found]
    assert messages[0] == (
        "code 'stigma' on 'A' is not in the codebook (did you mean 'Stigma'?); "
        "1 segment(s) not counted"
    )
    assert "did you mean" not in messages[1]
    assert quality.did_you_mean("meta communication", ["Metacommunication"]) == (
        " (did you mean 'Metacommunication'?)"
    )
