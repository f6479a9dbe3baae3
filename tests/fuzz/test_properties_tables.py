"""Writers, normalisers, sheet readers and stages under fuzzing: round-trips where a writer
exists, formula-safe spreadsheets for any text, and records conserved through dedupe."""

from __future__ import annotations

from pathlib import Path
from tempfile import TemporaryDirectory

import polars as pl
from fuzzing import FUZZ
from hypothesis import assume, given
from hypothesis import strategies as st

from helpers import records as make_records
from scoping_review import conservation, dedupe, schemas, screen, storage
from scoping_review.normalize import find_year, normalize_doi, normalize_title, slug
from scoping_review.spreadsheet import FORMULA_STARTS, Worksheet, safe_text

# text an XLSX cell can hold (XML 1.0 forbids most control characters) and that a
# spreadsheet keeps as typed (a CR would be normalised away)
cell_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff"),
    max_size=40,
)
formula_like = st.builds(lambda s, t: s + t, st.sampled_from(["=", "+", "-", "@"]), cell_text)
cells = st.one_of(cell_text, formula_like)


@FUZZ
@given(st.lists(st.tuples(cells, st.one_of(st.none(), cells)), min_size=1, max_size=8))
def test_xlsx_round_trip_is_text_and_formula_safe(rows: list[tuple[str, str | None]]) -> None:
    assume(all(a.strip() for a, _ in rows))  # the key column is never blank
    frame = pl.DataFrame(rows, schema={"key": pl.String, "value": pl.String}, orient="row")
    with TemporaryDirectory() as tmp:
        path = Path(tmp) / "w.xlsx"
        storage.write_xlsx([Worksheet("sheet", frame)], path)
        back = storage.read_sheet(path)
    expected = [(safe_text(a), safe_text(b)) for a, b in rows]
    assert list(back.select("key", "value").iter_rows()) == expected
    for value in back["key"].to_list() + back["value"].to_list():
        assert value is None or not value.startswith(FORMULA_STARTS)


@FUZZ
@given(st.lists(st.tuples(cells, cells), min_size=1, max_size=8))
def test_csv_round_trip_is_formula_safe(rows: list[tuple[str, str]]) -> None:
    frame = pl.DataFrame(rows, schema={"a": pl.String, "b": pl.String}, orient="row")
    with TemporaryDirectory() as tmp:
        path = Path(tmp) / "w.csv"
        storage.write_csv(frame, path)
        back = pl.read_csv(path, infer_schema=False)

    def blank(v: str | None) -> str | None:
        return v or None  # a CSV cannot tell an empty cell from a missing one

    got = [(blank(a), blank(b)) for a, b in back.rows()]
    assert got == [(blank(safe_text(a)), blank(safe_text(b))) for a, b in rows]


any_text = st.text(max_size=60)


@FUZZ
@given(st.lists(st.tuples(any_text, st.one_of(st.none(), any_text)), max_size=6))
def test_parquet_tables_round_trip_exactly(rows: list[tuple[str, str | None]]) -> None:
    recs = make_records(
        [
            {"record_id": f"s:{i}", "title": t, "abstract": a, "authors": [t]}
            for i, (t, a) in enumerate(rows)
        ]
    )
    with TemporaryDirectory() as tmp:
        path = Path(tmp) / "records.parquet"
        storage.write_table(recs, path, schemas.RECORDS)
        assert storage.read_table(path, schemas.RECORDS).equals(recs)


@FUZZ
@given(any_text)
def test_normalisers_are_idempotent_and_safe(text: str) -> None:
    s = slug(text)
    assert slug(s) == s and all(c.isascii() and (c.isalnum() or c == "_") for c in s)
    doi = normalize_doi(text)
    assert doi is None or (normalize_doi(doi) == doi and doi.startswith("10."))
    title = normalize_title(text)
    assert title is None or normalize_title(title) == title
    year = find_year(text)
    assert year is None or 1500 <= year <= 2099


decision_cell = st.one_of(
    st.none(), st.sampled_from(["include", "exclude", "maybe", "Include", " exclude "]), any_text
)


@FUZZ
@given(
    rows=st.lists(
        st.tuples(st.one_of(st.none(), st.sampled_from(["a:1", "a:2", "S-x", "a:9"]), any_text),
                  decision_cell, st.one_of(st.none(), st.sampled_from(["off_topic", "bogus"]))),
        max_size=8,
    )
)  # fmt: skip
def test_screening_sheets_give_decisions_or_an_error_naming_rows(
    rows: list[tuple[str | None, str | None, str | None]],
) -> None:
    clusters = pl.DataFrame({"record_id": ["a:1", "a:2"], "study_id": ["S-1", "S-2"]})
    frame = pl.DataFrame(
        rows,
        schema={"record_id": pl.String, "decision": pl.String, "reason": pl.String},
        orient="row",
    )
    sheet = screen.Sheet("ta.csv", "title_abstract", frame)
    try:
        decisions = screen.read_decisions([sheet], clusters, [{"code": "off_topic", "label": "x"}])
    except screen.ScreeningError as err:
        assert "ta.csv, row " in str(err)
        return
    assert set(decisions["study_id"].to_list()) <= {"S-1", "S-2"}


title_pool = st.sampled_from(
    ["Alliance ruptures in online therapy", "Alliance ruptures in online therapy!",
     "Repairing ruptures with metacommunication", "Tendon rupture repair", None]
)  # fmt: skip


@FUZZ
@given(
    st.lists(
        st.tuples(st.sampled_from(["a", "b", "c"]), title_pool,
                  st.sampled_from([None, "10.1/x", "10.1/y"]), st.sampled_from([None, "1", "2"]),
                  st.sampled_from([None, 2019, 2020])),
        max_size=12,
    )
)  # fmt: skip
def test_dedupe_conserves_every_record(
    rows: list[tuple[str, str | None, str | None, str | None, int | None]],
) -> None:
    recs = make_records(
        [
            {"record_id": f"{src}:{i}", "title": t, "doi": d, "pmid": p, "year": y}
            for i, (src, t, d, p, y) in enumerate(rows)
        ]
    )
    clusters, studies = dedupe.deduplicate(recs, dedupe.DedupeSettings())
    ids = {c.count_id: list(c.ids) for c in dedupe.dedupe_counts(clusters)}
    assert conservation.check_dedupe(ids, recs, clusters, studies) == []
