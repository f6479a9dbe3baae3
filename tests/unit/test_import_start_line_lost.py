"""A record whose start line is lost is rejected with its text, never merged or dropped.

Found on a real RIS export (ASReview's ``_baseline.ris``, no blank line between records): with
one record's ``TY`` line deleted, its fields followed the ``ER`` of the record before and were
read into that record (one record short, the earlier paper given a second title, DOI and
17 more authors); with the line written ``ty  - JOUR``, the record's fields lay outside any
record and were ignored as stray text. Both passed the reconciliation, which counts ``TY`` lines.

The pattern, on every tagged format with start and end tags (RIS, Web of Science), for any
record of real files: the record is one reject whose raw text is its lines, every other record
reads exactly as in the intact file, and parsed + rejected is the number of records. Ovid's
``NL`` after ``ER`` (a field the record lacks) still belongs to its record.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import require_shared
from scoping_review import importing

# fixture, start line, end line (bytes regexes, multi-line)
FILES = {
    "asreview/_baseline.ris": (rb"^\xef?\xbb?\xbf?TY  - ", rb"^ER  -"),
    "synthesisr/Scopus_ris_example.ris": (rb"^TY  - ", rb"^ER  -"),
    "wosfile/wos_plaintext.txt": (rb"^PT ", rb"^ER\b"),
}
CONTENT = ("title", "abstract", "authors", "year", "journal", "doi", "raw_tags", "raw_values")


def load(data: bytes, rel: str) -> importing.Imported:
    meta = importing.SourceMeta("x", "X", "2025-01-01", rel)
    result = importing.import_export(data, meta)
    row = result.file_row
    assert row["n_raw"] == row["n_parsed"] + row["n_rejected"]
    return result


def records(result: importing.Imported) -> list[dict[str, Any]]:
    frame = result.records.sort("source_line")
    return frame.select(*CONTENT).to_dicts()


def damage(data: bytes, start: bytes, k: int, how: str) -> tuple[bytes, bytes]:
    """The export with record ``k``'s start line deleted or lower-cased; and that line."""
    found = list(re.finditer(start + rb"[^\n]*\n", data, re.MULTILINE))
    line = found[k]
    a, b = line.start(), line.end()
    text = data[a:b].removeprefix(b"\xef\xbb\xbf")
    if how == "deleted":
        return data[:a] + data[b:], text
    return data[:a] + text.lower() + data[b:], text


@pytest.fixture(scope="module")
def intact() -> dict[str, tuple[bytes, importing.Imported]]:
    fixtures_dir = require_shared("fixtures")
    out = {}
    for rel in FILES:
        data = (fixtures_dir / "exports" / rel).read_bytes()
        result = load(data, rel)
        assert result.rejects.height == 0
        out[rel] = (data, result)
    return out


@pytest.mark.parametrize("how", ["deleted", "lower case"])
@pytest.mark.parametrize("rel", list(FILES))
@pytest.mark.parametrize("where", ["first", "second", "middle", "last"])
def test_a_record_without_its_start_line_is_one_reject_and_the_others_are_intact(
    intact: dict[str, tuple[bytes, importing.Imported]], rel: str, how: str, where: str
) -> None:
    data, whole = intact[rel]
    n = whole.records.height
    k = {"first": 0, "second": 1, "middle": n // 2, "last": n - 1}[where]
    damaged, start_line = damage(data, FILES[rel][0], k, how)
    result = load(damaged, rel)
    assert (result.records.height, result.rejects.height) == (n - 1, 1)
    before = records(whole)
    assert records(result) == before[:k] + before[k + 1 :]  # the record before is not merged
    reject = result.rejects.row(0, named=True)
    assert reject["reason"].startswith("fields outside any record: a record whose")
    assert rel in reject["file"]
    title = before[k]["title"]
    if title:  # its text is kept: the reviewer can mend the export
        assert title.split()[0] in reject["raw"]
    if how == "lower case":  # from its start line, kept out only by its letter case
        assert reject["raw"].startswith(start_line.decode().strip().lower())


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(k=st.integers(0, 99), how=st.sampled_from(["deleted", "lower case"]))
def test_any_record_of_a_real_export_can_lose_its_start_line(
    intact: dict[str, tuple[bytes, importing.Imported]], k: int, how: str
) -> None:
    rel = "asreview/_baseline.ris"
    data, whole = intact[rel]
    result = load(damage(data, FILES[rel][0], k, how)[0], rel)
    assert (result.records.height, result.rejects.height) == (whole.records.height - 1, 1)
    before = records(whole)
    assert records(result) == before[:k] + before[k + 1 :]


def test_ovid_fields_after_the_end_line_stay_in_their_record(fixtures_dir: Path) -> None:
    """Ovid writes ``NL`` after ``ER``: a field the record does not have, so it is the record's
    (the end line is read as text and said in a note), not a record of its own."""
    rel = "asreview/ovid_psycinfo.ris"
    result = load((fixtures_dir / "exports" / rel).read_bytes(), rel)
    assert (result.records.height, result.rejects.height) == (6, 0)
    assert all("NL" in tags for tags in result.records["raw_tags"].to_list())
    assert any("followed by more fields of the same record" in n for n in result.notes)


def test_a_line_or_two_of_tags_before_the_first_record_is_no_record() -> None:
    """A header of one or two tag lines, closed by no end line, stays stray text (a note),
    not a reject counted among the records identified."""
    text = "DB  - Some database\nDA  - 2024-01-01\n\nTY  - JOUR\nTI  - A trial\nER  - \n"
    result = load(text.encode(), "h.ris")
    assert (result.records.height, result.rejects.height) == (1, 0)
    assert any("outside any record ignored" in n for n in result.notes)
    # closed by an end line, even one field is a record whose start line was lost
    closed = "TY  - JOUR\nTI  - A\nER  - \nTI  - B\nER  - \n"
    result = load(closed.encode(), "c.ris")
    assert (result.records.height, result.rejects.height) == (1, 1)
