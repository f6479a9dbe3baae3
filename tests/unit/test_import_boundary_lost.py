"""Two records whose boundary lines were both lost are one reject, never one merged record.

Found on damaged copies of real exports: in a RIS file with record 2's ``ER`` and record 3's
``TY`` deleted, and in a MEDLINE file with a record's ``PMID`` line and the blank line before
it deleted, the two records read as one: the first title with both author lists, the second
record gone, and parsed + rejected still matched the start lines counted, so nothing said so.
(A lost start line alone is rejected by :mod:`test_import_start_line_lost`.)

The pattern, on every line-tagged format and any neighbouring pair of real records: the lines
of both become one reject whose reason says two records ran together and whose raw text holds
both titles, every other record reads as in the intact file, and the counts reconcile.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import require_shared
from scoping_review import importing

# fixture: (bytes regex of the lines between record k's last field and record k+1's first)
# each match spans the lost lines: RIS/WoS the end line and the next start line, MEDLINE the
# blank line(s) and the PMID line (with PMC's before it), EndNote the blank lines between records
FILES = {
    "synthesisr/Scopus_ris_example.ris": rb"^ER  -[^\n]*\n(?:[ \t\r]*\n)*TY  - [^\n]*\n",
    "asreview/_baseline.ris": rb"^ER  -[^\n]*\n(?:[ \t\r]*\n)*TY  - [^\n]*\n",
    "wosfile/wos_plaintext.txt": rb"^ER\b[^\n]*\n(?:[ \t\r]*\n)*PT [^\n]*\n",
    "nbib_holub008/pmc_medlars.txt": rb"\n(?:[ \t\r]*\n)+(?:PMC - [^\n]*\n)?PMID- [^\n]*\n",
    "colrev/2_loader_data/enl_data.enl": rb"\n(?:[ \t\r]*\n)+(?=%)",
}
CONTENT = ("title", "abstract", "authors", "year", "journal", "doi", "raw_tags", "raw_values")


def load(data: bytes, rel: str) -> importing.Imported:
    result = importing.import_export(data, importing.SourceMeta("x", "X", "2025-01-01", rel))
    row = result.file_row
    assert row["n_raw"] == row["n_parsed"] + row["n_rejected"]
    return result


def records(result: importing.Imported) -> list[dict[str, Any]]:
    return result.records.sort("source_line").select(*CONTENT).to_dicts()


def run_together(data: bytes, rel: str, k: int) -> bytes:
    """``data`` with the boundary lines between records ``k`` and ``k + 1`` deleted (for
    MEDLINE and EndNote, one line end kept: the next record's fields follow the last one)."""
    gap = list(re.finditer(FILES[rel], data, re.MULTILINE))[k]
    keep = b"\n" if rel.endswith((".txt", ".enl")) and not rel.startswith("wosfile") else b""
    return data[: gap.start()] + keep + data[gap.end() :]


@pytest.fixture(scope="module")
def intact() -> dict[str, tuple[bytes, importing.Imported]]:
    exports = require_shared("fixtures") / "exports"
    out = {}
    for rel in FILES:
        data = (exports / rel).read_bytes()
        result = load(data, rel)
        assert result.rejects.height == 0
        out[rel] = (data, result)
    return out


def check(intact: dict[str, tuple[bytes, importing.Imported]], rel: str, k: int) -> None:
    data, whole = intact[rel]
    before = records(whole)
    if not all(before[i]["title"] and before[i]["year"] for i in (k, k + 1)):
        return  # without a title and a year each, nothing tells the two apart
    result = load(run_together(data, rel, k), rel)
    assert (result.records.height, result.rejects.height) == (len(before) - 2, 1)
    assert records(result) == before[:k] + before[k + 2 :]  # no record garbled, none lost
    reject = result.rejects.row(0, named=True)
    assert reject["reason"].startswith("two titles and two years in one record: two records run")
    for title in (before[k]["title"], before[k + 1]["title"]):
        assert " ".join(title.split()[:3]) in " ".join(reject["raw"].split())


@pytest.mark.parametrize("rel", list(FILES))
@pytest.mark.parametrize("where", ["first", "last"])
def test_two_records_run_together_are_one_reject(
    intact: dict[str, tuple[bytes, importing.Imported]], rel: str, where: str
) -> None:
    n = intact[rel][1].records.height
    check(intact, rel, 0 if where == "first" else n - 2)


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(k=st.integers(0, 98))
def test_any_pair_of_a_real_export_can_run_together(
    intact: dict[str, tuple[bytes, importing.Imported]], k: int
) -> None:
    check(intact, "asreview/_baseline.ris", k)


def test_a_second_title_alone_is_no_second_record() -> None:
    """RIS T1 beside TI (both title tags), or TI twice (a title per language) with one year,
    is one record."""
    for titles in ("T1  - A trial\nTI  - A trial", "TI  - A trial\nTI  - Un essai"):
        text = f"TY  - JOUR\n{titles}\nPY  - 2020\nAU  - Smith, J\nER  - \n"
        result = load(text.encode(), "t.ris")
        assert (result.records.height, result.rejects.height) == (1, 0)
