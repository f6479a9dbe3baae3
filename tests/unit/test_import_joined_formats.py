"""Two exports of different formats joined into one file are refused, never half read.

Found on real exports joined with ``cat``: BibTeX then RIS kept the 3 BibTeX entries and
dropped the 6 RIS records without a word (text outside entries is a comment to BibTeX); RIS
then WoS dropped every WoS record as "text outside any record"; MEDLINE then RIS merged the
first RIS record into the last PubMed one; RIS then MEDLINE turned 3 PubMed records into one
reject blamed on a damaged TY line. Each time parsed + rejected still matched the record
starts counted in the format the file was read as.

The pattern, over every ordered pair of real exports in different record-marked formats: the
import stops with an error that names the file, both formats and the line where the second
export's first record begins.
"""

from __future__ import annotations

import itertools

import pytest

from helpers import require_shared
from scoping_review import importing
from scoping_review.io import record_starts

# a real export of each record-marked format, and the line its first record starts on
EXPORTS = {
    "ris": "asreview/scopus.ris",
    "medline": "synthesisr/PubMed_example.txt",
    "wos": "bibliometrix/wos_sample.txt",
    "endnote": "colrev/2_loader_data/enl_data.enl",
    "bibtex": "synthesisr/Scopus_bib_example.bib",
}


def read(fmt: str) -> bytes:
    data = (require_shared("fixtures") / "exports" / EXPORTS[fmt]).read_bytes()
    return data.removeprefix(b"\xef\xbb\xbf")


def first_record_line(fmt: str) -> int:
    """The 1-based line of ``fmt``'s export that first says a record of ``fmt`` begins (an
    EndNote record's ``%0`` type line, which may follow its first field)."""
    lines = read(fmt).decode("utf-8").split("\n")
    return next(i for i, line in enumerate(lines, 1) if record_starts.started_format(line) == fmt)


@pytest.mark.parametrize(("first", "second"), list(itertools.permutations(EXPORTS, 2)))
def test_two_exports_of_different_formats_joined_are_refused_at_the_second(
    first: str, second: str
) -> None:
    head = read(first)
    joined = head + (b"" if head.endswith(b"\n") else b"\n") + b"\n" + read(second)
    meta = importing.SourceMeta("x", "X", "2025-01-01", "joined.txt")
    with pytest.raises(importing.ImportError_) as err:
        importing.import_export(joined, meta)
    at = head.decode("utf-8").count("\n") + (0 if head.endswith(b"\n") else 1) + 1
    line = at + first_record_line(second)
    assert str(err.value).startswith(
        f"joined.txt: two exports of different formats joined into one file: {first} records, "
        f"then a {second} record at line {line} ("
    ), str(err.value)


def test_an_old_mac_export_joined_to_another_is_refused_at_the_right_line() -> None:
    """Bare CR line ends (an old Mac file) count as line ends in the line named."""
    ris = ("TY  - JOUR\nTI  - A\nPY  - 2020\nER  - \n\n" * 3).replace("\n", "\r")
    joined = ris + "PMID- 1\nTI  - B\nDP  - 2021\n"
    meta = importing.SourceMeta("x", "X", "2025-01-01", "joined.txt")
    with pytest.raises(importing.ImportError_, match="then a medline record at line 16 "):
        importing.import_export(joined.encode(), meta, fmt="ris")


@pytest.mark.parametrize("fmt", list(EXPORTS))
def test_an_export_alone_or_twice_is_not_called_joined(fmt: str) -> None:
    """An export joined to a copy of itself is one format: read (its duplicates are dedupe's)."""
    meta = importing.SourceMeta("x", "X", "2025-01-01", EXPORTS[fmt])
    once = importing.import_export(read(fmt), meta)
    twice = importing.import_export(read(fmt) + b"\n\n" + read(fmt), meta)
    assert twice.records.height == 2 * once.records.height
