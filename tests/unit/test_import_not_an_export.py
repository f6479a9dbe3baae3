"""What users save in place of an export is named, not met with a parser's error.

Found by a tester with real exports: an HTML login or error page saved as ``.ris``/``.nbib``/
``.csv`` got "cannot tell the export format", and with the format declared, "no ris record"; a
Word document holding RIS text or a ZIP of exports saved as ``.csv`` got the spreadsheet
library's "calamine error: Cannot detect file format"; a CSV whose first line is Excel's
``sep=;`` hint got "45 cells but the header has 2". Each is now said for what it is.
"""

from __future__ import annotations

import io
import zipfile

import pytest

from scoping_review import importing

RIS = "TY  - JOUR\nTI  - A trial\nER  - \n"
HTML = [
    "<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body>Log in</body></html>",
    "\ufeff  <html lang='en'>\n<body><pre>" + RIS + "</pre></body></html>",
    "<?xml version='1.0'?>\n<!-- saved page -->\n<HTML><BODY>Error 503</BODY></HTML>",
    "\n\n<head><meta charset='utf-8'></head>\n<body>Session expired</body>",
]


def imported(data: bytes, name: str, fmt: str = "auto") -> importing.Imported:
    meta = importing.SourceMeta("s", "S", "2025-01-01", name)
    return importing.import_export(data, meta, fmt=fmt)


def zipped(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


@pytest.mark.parametrize("page", HTML)
@pytest.mark.parametrize("name", ["s.ris", "s.nbib", "s.csv", "s.bib", "s.txt"])
def test_an_html_page_is_said_to_be_one(page: str, name: str) -> None:
    with pytest.raises(importing.ImportError_, match=r"not an export: it is an HTML page"):
        imported(page.encode(), name)


@pytest.mark.parametrize("fmt", ["ris", "medline", "bibtex", "scopus_csv"])
def test_an_html_page_with_a_format_declared_is_said_to_be_one(fmt: str) -> None:
    with pytest.raises(importing.ImportError_, match=r"it is an HTML page"):
        imported(HTML[0].encode(), "s.x", fmt)


def test_a_word_document_and_a_zip_of_exports_are_named() -> None:
    docx = zipped({"[Content_Types].xml": "<Types/>", "word/document.xml": "<w:document/>"})
    with pytest.raises(importing.ImportError_, match=r"a Word document \(\.docx\)"):
        imported(docx, "s.ris")
    archive = zipped({"export/scopus.csv": "Title\nA\n", "readme.pdf": "x"})
    with pytest.raises(importing.ImportError_, match=r"ZIP archive holding 'export/scopus.csv'"):
        imported(archive, "s.csv")
    with pytest.raises(importing.ImportError_, match=r"ZIP archive holding 'a.png'"):
        imported(zipped({"a.png": "x"}), "s.csv")


@pytest.mark.parametrize("sep", [";", ",", "\t"])
def test_excels_separator_hint_line_is_named(sep: str) -> None:
    table = f"sep={sep}\r\n" + sep.join(["Title", "Year", "DOI"]) + "\r\nA" + sep + "2020\r\n"
    with pytest.raises(importing.ImportError_, match=r"Excel's separator hint 'sep="):
        imported(table.encode(), "s.csv")
    with pytest.raises(importing.ImportError_, match=r"Excel's separator hint"):
        imported(table.encode(), "s.csv", "csv")


def test_the_empty_search_advice_agrees_with_itself() -> None:
    """Both refusals say the same: an empty file with its format declared is 0 records."""
    with pytest.raises(importing.ImportError_, match="format") as empty:
        imported(b"", "s.ris")
    assert "counts as 0 records" in str(empty.value)
    with pytest.raises(importing.ImportError_) as none:
        imported(b"Search history\n#1 rupture\n", "s.ris", "ris")
    assert "empty (0 bytes) with its format declared" in str(none.value)
    assert imported(b"", "s.ris", "ris").records.height == 0


@pytest.mark.parametrize("fmt", ["csv", "scopus_csv", "pubmed_csv"])
def test_a_table_of_which_no_column_is_read_is_refused(fmt: str) -> None:
    """An HTML page read as a declared table gave 6 records with nothing in them, counted
    among the records identified; any table whose header names no column a record is read
    from would do the same."""
    with pytest.raises(importing.ImportError_, match=r"no column of the header \('foo', 'bar'\)"):
        imported(b"foo,bar\n1,2\n3,4\n", "s.csv", fmt)
    assert imported(b"foo,Title\n1,A\n", "s.csv", "csv").records["title"].to_list() == ["A"]
    assert imported(b"foo,bar\n", "s.csv", "csv").records.height == 0  # a search found nothing


def test_a_damaged_workbook_is_not_called_an_archive_to_unzip() -> None:
    book = zipped({"[Content_Types].xml": "<Types/>", "xl/workbook.xml": "<workbook",
                   "xl/worksheets/sheet1.xml": "<worksheet"})  # fmt: skip
    with pytest.raises(importing.ImportError_) as caught:
        imported(book, "s.xlsx")
    assert "unzip" not in str(caught.value) and "not a readable spreadsheet" in str(caught.value)
