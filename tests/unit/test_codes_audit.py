"""Consistency audit: charting, coded segments and included studies cross-checked."""

from __future__ import annotations

from typing import Any

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from scoping_review import quality, quality_fields


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
    found = quality_fields.field_theme_findings(charting, segs, prev, checks)
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


REPAIR = ["Empathy", "Exploring avoidance", "Attending to rupture – metacommunication",
          "Based on type of rupture – withdrawal/confrontation", "Rupture analysis",
          "Rupture meaning"]  # fmt: skip


def repair_audit(cells: list[object], coded: list[tuple[str, str]], **check: Any) -> list[str]:
    """Findings of a repair-findings check: ``cells`` one per study S-1, S-2, …; ``coded``
    (study, code) segments; codes under 'Repair' are :data:`REPAIR`, 'Because' a reason code."""
    n = len(cells)
    charting = pl.DataFrame(
        {"study_id": [f"S-{i + 1}" for i in range(n)],
         "study_label": [f"Author{i + 1} (2020)" for i in range(n)], "repair": cells,
         "sheet": ["c.csv"] * n, "row": list(range(2, n + 2))},
        schema_overrides={"repair": pl.List(pl.String) if isinstance(cells[0], list) else pl.String},
    )  # fmt: skip
    studies = charting["study_id"].to_list()
    # every study has a segment (a reason code) unless ``never_coded`` names it
    reasons = [(s, "Because") for s in studies if s not in check.pop("never_coded", [])]
    segs = segments(
        [(s, s, c, "ok") for s, c in [*coded, *reasons]] or [("S-0", "X", "Because", "ok")]
    )
    prev = pl.DataFrame(
        {"code": [*REPAIR, "Because"], "overarching_theme": ["Repair"] * len(REPAIR) + ["Reason"]}
    )
    checks = [{"field": "repair", "overarching_theme": "Repair", **check}]
    found = quality_fields.field_theme_findings(charting, segs, prev, checks)
    return [f"{f['check']} {f['ids'][0]} {str(f['subject']).split(' (2020) ')[-1]}" for f in found]


def test_a_charted_finding_that_names_a_code_the_study_is_not_coded_under() -> None:
    """Table 2 charts 'Empathy' as a repair finding of a study the Results text does not cite
    for Empathy: the charting and the coding contradict each other."""
    assert repair_audit(["Empathy", "Empathy"], [("S-2", "Empathy")]) == [
        "charted_not_coded S-1 Empathy"
    ]


def test_an_item_names_a_code_by_its_words_either_way_round() -> None:
    cells = ["metacommunication", "showing EMPATHY", "Exploring the avoidance, validation",
             "repair according to withdrawal and confrontation rupture"]  # fmt: skip
    assert repair_audit(cells, []) == [
        "charted_not_coded S-1 Attending to rupture – metacommunication",
        "charted_not_coded S-2 Empathy",
        "charted_not_coded S-3 Exploring avoidance",
        "charted_not_coded S-4 Based on type of rupture – withdrawal/confrontation",
    ]


def test_an_item_that_names_no_code_or_two_is_no_finding() -> None:
    """'rupture' is a word of four codes; 'validation' and 'Because' (a code of another theme)
    name none of the theme's: no guess is reported."""
    assert repair_audit(["rupture", "validation; Because", "the and of"], []) == []


def test_named_code_findings_follow_the_coding_and_can_be_turned_off() -> None:
    coded = [("S-1", "Empathy"), ("S-1", "Exploring avoidance")]
    assert repair_audit(["Empathy, exploring avoidance, empathy"], coded) == []
    assert repair_audit(["Empathy, empathy"], []) == ["charted_not_coded S-1 Empathy"]
    assert repair_audit(["Empathy"], [], code_names=False) == []


def test_a_list_field_and_a_whole_empty_value() -> None:
    """A `type: list` field's cells are lists; 'n/a' is empty as a whole, not 'n' and 'a',
    in a text cell and as a list element."""
    assert repair_audit([["Empathy", "Rupture meaning"]], [("S-1", "Empathy")]) == [
        "charted_not_coded S-1 Rupture meaning"
    ]
    assert repair_audit([["n/a"], ["n/a", None]], [("S-1", "Empathy")], empty_values=["n/a"]) == [
        "charted_empty_but_coded S-1 repair Author1 (2020)"
    ]
    assert repair_audit(["n/a"], [("S-1", "Empathy")], empty_values=["n/a"]) == [
        "charted_empty_but_coded S-1 repair Author1 (2020)"
    ]


@given(
    st.sampled_from(REPAIR),
    st.sampled_from(["{}", "{} ", " the {}", "{}.", "{} and stuff"]),
    st.booleans(),
)
def test_a_code_written_back_in_any_case_names_that_code(code: str, form: str, upper: bool) -> None:
    item = form.format(code.upper() if upper else code.lower())
    codes = {c: quality_fields.words(c) for c in REPAIR}
    got = [quality_fields.named_code(i, codes) for i in quality_fields.charted_items(item)]
    assert code in got


def test_of_two_codes_an_item_names_the_one_with_its_words() -> None:
    """'Empathy' lies within 'Showing empathy': each is still named by its own words, and an
    item nearer one than the other names that one."""
    codes = {c: quality_fields.words(c) for c in ["Empathy", "Showing empathy", "Rupture meaning"]}
    named = {i: quality_fields.named_code(i, codes) for i in
             ["empathy", "Showing Empathy", "showing empathy warmly", "rupture"]}  # fmt: skip
    assert named == {"empathy": "Empathy", "Showing Empathy": "Showing empathy",
                     "showing empathy warmly": "Showing empathy", "rupture": "Rupture meaning"}  # fmt: skip
    two_away = {c: quality_fields.words(c) for c in ["Empathy now", "Empathy then"]}
    assert quality_fields.named_code("empathy", two_away) is None  # equally near: no guess


def test_a_study_never_coded_is_left_to_included_not_coded() -> None:
    """A study charted before it is coded (a living review's new inclusion) would otherwise
    get one finding per code its charting names."""
    assert repair_audit(["Empathy, exploring avoidance"], [], never_coded=["S-1"]) == []
    found = quality.uncoded_findings(["S-1"], segments([("S-2", "B", "Empathy", "ok")]))
    assert [f["check"] for f in found] == ["included_not_coded"]


def test_the_finding_quotes_the_whole_cell_and_the_item() -> None:
    charting = pl.DataFrame(
        {"study_id": ["S-1"], "study_label": ["Gelso & Kline (2019)"], "sheet": ["c.csv"],
         "row": [5], "repair": ["Repair according to withdrawal and confrontation rupture"]}
    )  # fmt: skip
    prev = pl.DataFrame({"code": REPAIR, "overarching_theme": ["Repair"] * len(REPAIR)})
    segs = segments([("S-1", "G", "Empathy", "ok")])
    checks = [{"field": "repair", "overarching_theme": "Repair"}]
    (found,) = quality_fields.field_theme_findings(charting, segs, prev, checks)
    assert found["message"] == (
        "charting gives repair 'Repair according to withdrawal and confrontation rupture' for "
        "Gelso & Kline (2019): 'confrontation rupture' names the code 'Based on type of rupture "
        "– withdrawal/confrontation' of 'Repair', but no segment of it is coded so"
    )
    assert found["where"] == "c.csv, row 5"
