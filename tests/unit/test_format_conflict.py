"""A search's configured format against its content: a file that plainly is one format is
never read as another (its records, or their fields, would be lost without an error)."""

from __future__ import annotations

import pytest

from scoping_review import importing
from scoping_review.importing.pipeline import format_conflict

RIS = "TY  - JOUR\nTI  - A trial\nPY  - 2020\nDO  - 10.1/x\nER  - \n\nTY  - JOUR\nTI  - B\nER  - \n"
MEDLINE = "PMID- 1\nTI  - A trial\nDP  - 2020\n\nPMID- 2\nTI  - B\nDP  - 2021\n"
WOS = "FN Clarivate Analytics Web of Science\nVR 1.0\nPT J\nTI A trial\nPY 2020\nER\n\nEF\n"
BIBTEX = "@article{a,\n  title = {A trial},\n  year = {2020}\n}\n"
SCOPUS = 'Authors,Title,Year,DOI\n"Smith, J.",A trial,2020,10.1/x\n'
CONTENTS = {"ris": RIS, "medline": MEDLINE, "wos": WOS, "bibtex": BIBTEX}
MISREAD = ("ris", "medline", "wos", "endnote", "bibtex", "pubmed_xml", "endnote_xml", "csv")


def _import(text: str, fmt: str) -> importing.Imported:
    meta = importing.SourceMeta("s", "X", "2026-01-01", "searches/export.txt")
    return importing.import_export(text.encode(), meta, fmt=fmt)


def assert_refused(text: str, configured: str, content: str) -> None:
    """The import stops, naming the file, the format set and the format the content is."""
    with pytest.raises(importing.ImportError_) as err:
        _import(text, configured)
    message = str(err.value)
    assert message.startswith("searches/export.txt: ")
    assert f"set to {configured} (" in message and f"content is {content}:" in message


@pytest.mark.parametrize("content", sorted(CONTENTS))
@pytest.mark.parametrize("configured", MISREAD)
def test_a_plain_format_is_never_read_as_another(content: str, configured: str) -> None:
    text = CONTENTS[content]
    if configured == content:
        assert _import(text, configured).records.height >= 1
        return
    assert_refused(text, configured, content)


def test_a_table_may_be_read_by_a_databases_preset() -> None:
    assert format_conflict("scopus_csv", "csv") is None
    assert format_conflict("colrev_csv", "csv") is None
    assert _import(SCOPUS, "csv").records.height == 1
    assert _import(SCOPUS, "scopus_csv").records.height == 1


def test_a_content_that_says_nothing_clear_leaves_the_configured_format() -> None:
    assert format_conflict("ris", None) is None
    assert format_conflict(None, "ris") is None
    assert format_conflict("ris", "ris") is None
    assert format_conflict("medline", "ris") is not None


# headers that name their database (detect_table_preset), one row each
PRESET_HEADERS = {
    "scopus_csv": 'Authors,Title,Year,Source title,DOI,EID\n"Smith, J.",A trial,2020,J X,10.1/x,2-s2.0-1\n',
    "pubmed_csv": "PMID,Title,Authors,Citation,Journal/Book,Publication Year,DOI\n"
    '1,A trial,"Smith J",J X 2020,J X,2020,10.1/x\n',
    "wos_tab": "PT\tAU\tTI\tSO\tPY\tUT\nJ\tSmith, J\tA trial\tJ X\t2020\tWOS:1\n",
    "colrev_csv": 'ID,ENTRYTYPE,title,author,year\nSmith2020,article,A trial,"Smith, J.",2020\n',
}


@pytest.mark.parametrize("content", sorted(PRESET_HEADERS))
@pytest.mark.parametrize("configured", sorted(PRESET_HEADERS))
def test_a_databases_table_is_never_read_by_another_databases_preset(
    content: str, configured: str
) -> None:
    """A Scopus CSV given ``format: pubmed_csv`` kept its 8 records but lost their years,
    journals and abstracts, and its record IDs (a hash for each, not the EID), so that the
    screening sheets' IDs no longer matched: the header names its database, so it is refused."""
    text = PRESET_HEADERS[content]
    if configured == content:
        assert _import(text, configured).records.height == 1
        assert _import(text, "csv").records.height == 1  # the generic reader still takes it
        return
    assert_refused(text, configured, content)
