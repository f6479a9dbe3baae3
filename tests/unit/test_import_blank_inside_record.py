"""A blank line inside a MEDLINE record is no record boundary.

Found on a damaged copy of a real PubMed export: a blank line before one record's ``FAU`` lines
split it into two, the record kept only its first author and a record with no title, PMID or
year was counted beside it (3 records read as 4), with no note. MEDLINE separates records by
blank lines, and a PubMed record holds its PMID: the lines after a blank line that hold no PMID
of their own are the rest of the record before (RIS and WoS, with end tags, already read them
so).

The pattern, on every real MEDLINE export with a PMID per record and a blank line put before
any tag line inside any record: the same records as the intact file, and a note with the line.
A file without PMIDs (ERIC's) keeps a record per block, and a block that holds its own title
after a record with a title is a record whose PMID line was lost, not a continuation.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import require_shared
from scoping_review import importing

FILES = ("synthesisr/PubMed_example.txt", "nbib_holub008/pmc_medlars.txt",
         "synthesisr/res_synth_methods.txt")  # fmt: skip
CONTENT = ("title", "abstract", "authors", "year", "journal", "doi", "native_id")


def load(data: bytes, rel: str = "x.nbib") -> importing.Imported:
    result = importing.import_export(data, importing.SourceMeta("x", "X", "2025-01-01", rel))
    row = result.file_row
    assert row["n_raw"] == row["n_parsed"] + row["n_rejected"]
    return result


def content(result: importing.Imported) -> list[dict[str, object]]:
    return result.records.sort("source_line").select(*CONTENT).to_dicts()


@pytest.fixture(scope="module")
def intact() -> dict[str, tuple[bytes, list[dict[str, object]]]]:
    exports = require_shared("fixtures") / "exports"
    return {
        rel: ((exports / rel).read_bytes(), content(load((exports / rel).read_bytes())))
        for rel in FILES
    }


def inner_tag_lines(data: bytes) -> list[int]:
    """Offsets of the tag lines other than PMID that are not a record's first line (the line
    before is not blank): a blank line put before one is inside a record."""
    lines = re.finditer(rb"(?<=\n)(?=(?!PMID)[A-Z][A-Z0-9]{1,3} {0,3}- )", data)
    return [m.start() for m in lines if data[: m.start()].rstrip(b"\r\n")[-1:] != b""
            and not re.search(rb"\n[ \t\r]*\n$", data[: m.start()])]  # fmt: skip


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_a_blank_line_inside_a_record_keeps_every_record_whole(
    intact: dict[str, tuple[bytes, list[dict[str, object]]]], data: st.DataObject
) -> None:
    rel = data.draw(st.sampled_from(FILES))
    raw, before = intact[rel]
    at = data.draw(st.sampled_from(inner_tag_lines(raw)))
    result = load(raw[:at] + b"\n" + raw[at:], rel)
    assert content(result) == before
    line = raw[:at].count(b"\n") + 2  # the tag line, after the blank line put before it
    assert any(
        "blank line(s) inside a record" in note and f"line(s) {line}" in note
        for note in result.notes
    ), result.notes


RECORD = "PMID- {pmid}\nTI  - {title}\nDP  - 2020\nFAU - Smith, Jane\nAU  - Smith J\n"


def test_a_block_with_its_own_title_is_a_record_whose_pmid_line_was_lost() -> None:
    text = RECORD.format(pmid=1, title="One") + "\n" + "TI  - Two\nDP  - 2021\nAU  - Roe R\n"
    assert load(text.encode()).records["title"].to_list() == ["One", "Two"]


@pytest.mark.parametrize(
    "text",
    [
        # a TI line the tag reader does not read as a tag ("TI  -x": no space after the dash)
        "PMID- 1\nTI  - A\nDP  - 2020\n\nAU  - X\nTI  -x\n\nPMID- 2\nTI  - B\nDP  - 2021\n",
        # a PMID line the tag reader does not read as a tag ("PMID-2")
        "PMID- 1\nTI  - A\nDP  - 2020\n\nOWN - NLM\nPMID-2\nAB  - B\n",
    ],
)
def test_the_record_count_reads_tag_lines_as_the_tag_reader_does(text: str) -> None:
    """The reconciliation's own count and the reader must see the same record starts, or a
    file that read before is refused ('3 record starts but 2 parsed')."""
    assert load(text.encode()).records.height == 2 - text.count("PMID-2")


def test_a_file_without_pmids_keeps_a_record_per_block() -> None:
    text = "OWN - ERIC\nTI  - One\nDP  - 2020\n\nOWN - ERIC\nAU  - Roe R\nDP  - 2021\n"
    assert load(text.encode()).records.height == 2
