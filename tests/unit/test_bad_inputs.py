"""The bad-input corpus (tests/data/bad/, listed in tests/README.md): every file gets a clear
error naming the file (and line or row) or lands as counted records and rejects; none gives an
unexplained traceback or a silent drop.

The import cases test the importer's public behaviour only: ``import_export`` raises
``ImportError_``/``InputFileError`` naming the file, or returns records + rejects whose counts
reconcile with the record starts in the raw text.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from scoping_review import importing, screen, storage

REPO = Path(__file__).resolve().parents[2]
BAD = REPO / "tests/data/bad"


def load(
    name: str, fmt: str = "auto", encoding: str | None = None
) -> importing.Imported | Exception:
    """Import a corpus file; return the result, or the *expected* kind of error.

    Any other exception (a bare UnicodeDecodeError, KeyError, ...) propagates and fails the
    test: that is the unexplained traceback the corpus exists to rule out.
    """
    label = f"tests/data/bad/{name}"
    meta = importing.SourceMeta("bad", "Bad DB", "2025-01-01", label)
    try:
        result = importing.import_export(
            storage.read_bytes(BAD / name), meta, fmt=fmt, encoding=encoding
        )
    except (importing.ImportError_, storage.InputFileError) as err:
        assert label in str(err), f"error does not name the file: {err}"
        return err
    row = result.file_row
    assert row["n_raw"] == row["n_parsed"] + row["n_rejected"]  # nothing dropped silently
    assert result.records.height == row["n_parsed"]
    assert result.rejects.height == row["n_rejected"]
    assert (result.rejects["line"] >= 1).all() and result.rejects["reason"].is_not_null().all()
    assert (result.rejects["file"] == label).all()
    return result


def imported(name: str, **kwargs: str) -> importing.Imported:
    result = load(name, **kwargs)
    assert isinstance(result, importing.Imported), f"expected records, got error: {result}"
    return result


def error(name: str, **kwargs: str) -> Exception:
    result = load(name, **kwargs)
    assert isinstance(result, Exception), f"expected an error, got {result.file_row}"
    return result


@pytest.mark.parametrize("name", ["empty.ris", "binary.ris", "not_an_export.txt"])
def test_files_that_are_not_exports_are_refused_naming_the_file(name: str) -> None:
    assert "format" in str(error(name))


@pytest.mark.parametrize("content", [b"", b"\n\n", b" \t\r\n"])
def test_an_empty_export_without_a_format_says_what_to_do(tmp_path: Path, content: bytes) -> None:
    """An empty file has no format to tell: the error says so and gives both ways on (a search
    that found nothing declares its format; an export that failed is made again)."""
    path = tmp_path / "update.ris"
    path.write_bytes(content)
    meta = importing.SourceMeta("pubmed_2", "PubMed", "2026-01-01", str(path))
    with pytest.raises(importing.ImportError_) as caught:
        importing.import_export(content, meta)
    message = str(caught.value)
    assert str(path) in message
    assert ("0 bytes" if not content else "nothing but white space") in message
    assert "set `format:` for search 'pubmed_2'" in message and "export the search again" in message


def test_an_empty_export_of_a_declared_format_is_zero_records() -> None:
    """A search can return nothing: with its format declared, an empty file is 0 records."""
    result = load("empty.ris", fmt="ris")
    if isinstance(result, importing.Imported):
        assert result.file_row["n_raw"] == 0 and result.records.height == 0


HISTORY = "Search history\n#1 therapeutic alliance\n#2 rupture* AND repair*\n#3 #1 AND #2\n"


@pytest.mark.parametrize("fmt", sorted(importing.RECORD_MARKED))
@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_text_with_no_record_of_the_declared_format_is_refused(fmt: str, bom: bytes) -> None:
    """A search history saved in place of the export, declared RIS (as the advice for a file
    whose format cannot be told says to) is not 0 records: it is refused, naming the file, its
    first line and the way to declare a search that found nothing."""
    meta = importing.SourceMeta("scopus_2", "Scopus", "2026-01-01", "searches/history.txt")
    with pytest.raises(importing.ImportError_) as caught:
        importing.import_export(bom + HISTORY.encode(), meta, fmt=fmt)
    message = str(caught.value)
    assert message.startswith(f"searches/history.txt: no {fmt} record in it")
    assert "(its first line: 'Search history')" in message
    assert "leave the file empty (0 bytes) with its format declared: it then counts as 0" in message


@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf", b"\xef\xbb\xbf \n\n", b"\r\n"])
def test_white_space_alone_in_a_declared_format_is_zero_records(content: bytes) -> None:
    meta = importing.SourceMeta("s", "S", "2026-01-01", "s.ris")
    result = importing.import_export(content, meta, fmt="ris")
    assert result.file_row["n_raw"] == 0 and result.records.height == 0


def test_a_tables_header_without_rows_is_a_search_that_found_nothing() -> None:
    """A table's header row is not a record: a header alone is 0 records, not refused."""
    meta = importing.SourceMeta("s", "S", "2026-01-01", "s.csv")
    header = b"Authors,Title,Year,Source title,DOI,Abstract\n"
    result = importing.import_export(header, meta, fmt="scopus_csv")
    assert result.file_row["n_raw"] == 0 and result.records.height == 0


def test_binary_garbage_with_a_declared_format_is_an_error() -> None:
    assert "binary" in str(error("binary.ris", fmt="ris")).lower()


def test_truncated_record_is_kept_and_noted_with_its_line() -> None:
    result = imported("truncated.ris")
    assert result.records.height == 2
    assert result.records["title"].to_list()[1].startswith("Rupture repair as change proc")
    assert any("line 7" in note for note in result.notes)


def test_truncated_medline_and_wos_without_er_keep_every_record() -> None:
    assert imported("medline_truncated.nbib").records.height == 2
    wos = imported("wos_missing_er.txt")
    assert wos.records.height == 2 and any("line 9" in n for n in wos.notes)


def test_records_without_fields_are_counted_rejects_with_lines() -> None:
    result = imported("record_without_fields.ris")
    assert result.file_row["n_raw"] == 3 and result.records.height == 1
    assert result.rejects["line"].to_list() == [6, 9]


def test_a_wrong_declared_encoding_is_an_error_naming_file_and_offset() -> None:
    err = error("cp1252_declared_utf8.ris", encoding="utf-8")
    assert "18" in str(err)  # the offset of the first byte that is not UTF-8


def test_an_unknown_declared_encoding_is_an_error_naming_the_file() -> None:
    error("cp1252_undeclared.ris", encoding="no-such-encoding")


def test_undeclared_legacy_encoding_is_decoded_and_noted() -> None:
    result = imported("cp1252_undeclared.ris")
    assert "Zürich" in result.records["title"].item()
    assert result.file_row["encoding_note"]  # the decision is recorded, not silent


def test_utf16_without_bom_is_decoded_or_refused_naming_the_file() -> None:
    result = load("utf16_no_bom.ris")
    if isinstance(result, importing.Imported):
        assert result.records["title"].to_list() == ["No byte-order mark"]


def test_mixed_line_endings_lose_no_record() -> None:
    result = imported("mixed_line_endings.ris")
    assert result.records["title"].to_list() == ["CRLF record", "LF record", "CR record"]


def test_duplicate_record_ids_are_kept_apart_and_noted() -> None:
    result = imported("duplicate_ids.ris")
    ids = result.records["record_id"].to_list()
    assert len(ids) == 2 and len(set(ids)) == 2
    assert any("same-id" in note for note in result.notes)


def test_unbalanced_bibtex_braces_are_recovered_and_noted() -> None:
    """The unclosed value runs to the next line that starts a field: every field is read, the
    other entries are untouched, and a note names the entry and field (issue 18: a block is
    rejected only when nothing can be recovered from it)."""
    result = imported("unbalanced_braces.bib")
    assert result.file_row["n_raw"] == 3 and result.rejects.height == 0
    rows = {r["native_id"]: r for r in result.records.iter_rows(named=True)}
    assert rows["ok1"]["title"] == "A balanced entry" and rows["ok2"]["year"] == 2022
    assert rows["broken"]["title"] == "An unbalanced entry" and rows["broken"]["year"] == 2021
    assert rows["broken"]["source_line"] == 6
    assert any("broken (title)" in n and "never close" in n for n in result.notes)


def test_ragged_csv_rows_are_an_error_naming_file_and_row() -> None:
    with pytest.raises(storage.InputFileError, match=r"ragged_rows\.csv: .*row 3 has 5 cells"):
        storage.read_sheet(BAD / "ragged_rows.csv")


def test_xlsx_merged_cells_and_formulas() -> None:
    """Merged cells carry their value in the first row only, so the second row of the merge has
    a study but no decision. Such a row is a study still to be screened (half-filled worklists
    are valid sheets): it gets no decision and the study stays pending, counted in the report.
    A formula cell is read as the value the reviewer saw (its cached result), as text."""
    frame = storage.read_sheet(BAD / "merged_formulas.xlsx")
    assert frame["decision"].to_list() == ["include", "exclude", None, "include"]
    clusters = pl.DataFrame(
        {
            "record_id": [f"scopus:r{i}" for i in range(1, 5)],
            "study_id": [f"S{i}" for i in range(1, 5)],
        }
    )
    sheet = screen.Sheet("merged_formulas.xlsx", "title_abstract", frame)
    criteria = [{"code": "not_rupture_repair", "label": "Off topic"}]
    decisions = screen.read_decisions([sheet], clusters, criteria)
    assert sorted(decisions["row"].to_list()) == [2, 3, 5]  # row 4 (merged) decides nothing
    assert "S3" not in decisions["study_id"].to_list()


def test_a_200_mb_single_line_file_is_refused_quickly(tmp_path: Path) -> None:
    """Generated here, never committed. Run in a subprocess with a time limit so a
    regression (quadratic scan, runaway memory) fails this test instead of hanging the suite."""
    big = tmp_path / "one_line.ris"
    with open(big, "wb") as handle:
        chunk = b"x" * (1 << 20)
        for _ in range(200):
            handle.write(chunk)
    result = subprocess.run(
        [sys.executable, "-m", "scoping_review.cli", "import", str(big)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 2, result.stderr[-2000:]
    assert str(big) in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("sep", [",", ";", "\t"])
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_a_sheet_as_excel_saves_it_is_read(tmp_path: Path, sep: str, encoding: str) -> None:
    """Excel's "CSV" on Windows is cp1252, and in locales with a decimal comma it separates
    cells with ';': a decisions sheet so saved stopped the run ('row 2 has 9 cells, the header
    has 1'; 'invalid utf-8 sequence'), though the exports' reader reads both."""
    rows = [["study_id", "decision", "reason", "reviewer"],
            ["S-0123456789", "exclude", "wrong_concept", "Müller"],
            ["S-9876543210", "include", "", "CD"]]  # fmt: skip
    path = tmp_path / "decisions.csv"
    path.write_bytes("\r\n".join(sep.join(r) for r in rows).encode(encoding) + b"\r\n")
    frame = storage.read_sheet(path)
    assert frame.columns == rows[0]
    assert frame.rows() == [tuple(v or None for v in r) for r in rows[1:]]


def test_a_utf8_sheet_with_one_bad_byte_and_quoted_separators(tmp_path: Path) -> None:
    """One invalid byte does not read a UTF-8 sheet as cp1252 ('Café' as 'CafÃ©'), and a
    separator inside a quoted column name does not decide the sheet's separator."""
    path = tmp_path / "charting.csv"
    path.write_bytes('study_id,"reason; note; extra"\nS-1,Café\nS-2,bad\x96byte\n'.encode()
                     .replace(b"\xc2\x96", b"\x96"))  # fmt: skip
    frame = storage.read_sheet(path)
    assert frame.columns == ["study_id", "reason; note; extra"]
    assert frame["reason; note; extra"].to_list() == ["Café", "bad\ufffdbyte"]
    path.write_text('study_id;"Design (RCT, cohort)"\nS-1;RCT\n', encoding="utf-8")
    assert storage.read_sheet(path).columns == ["study_id", "Design (RCT, cohort)"]
