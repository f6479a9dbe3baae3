"""A tagged export cut short inside its last record says so (importing.pipeline.cut_short).

Found on a real PubMed file cut inside its last abstract: the record went into screening with no
authors, journal or DOI and nothing said it was damaged (MEDLINE has no end line to miss). The
sign is the order of tags: the cut record ends at a tag after which every record before it has
two or more further tags. A record that merely lacks a field (no DOI) or ends at an optional last
field is not noted; no real fixture file is noted.
"""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest

from scoping_review import importing
from scoping_review.importing.pipeline import cut_short

# fixture, record start (bytes regex, multi-line)
FILES = {
    "nbib_holub008/pmc_medlars.txt": rb"^PMC - ",
    "synthesisr/PubMed_example.txt": rb"^PMID- ",
    "wosfile/wos_plaintext.txt": rb"^PT ",
    "asreview/_baseline.ris": rb"^\xef?\xbb?\xbf?TY  - ",
}


def load(data: bytes, rel: str) -> importing.Imported:
    return importing.import_export(data, importing.SourceMeta("x", "X", "", rel))


def noted(result: importing.Imported) -> list[str]:
    return [n for n in result.notes if "may be cut short" in n]


@pytest.mark.parametrize("rel", sorted(FILES))
@pytest.mark.parametrize("where", [0.3, 0.5])
def test_a_file_cut_inside_its_last_record_is_noted(
    fixtures_dir: Path, rel: str, where: float
) -> None:
    data = (fixtures_dir / "exports" / rel).read_bytes()
    assert noted(load(data, rel)) == []
    last = [m.start() for m in re.finditer(FILES[rel], data, re.MULTILINE)][-1]
    cut = last + int((len(data) - last) * where)
    result = load(data[:cut], rel)
    said = noted(result)
    assert len(said) == 1, result.notes
    line = int(result.records["source_line"].max())  # type: ignore[arg-type]
    assert said[0].startswith(f"the last record (line {line}) ends at its ")


@pytest.mark.parametrize("rel", sorted(FILES))
def test_a_last_record_that_only_lacks_a_field_is_not_noted(fixtures_dir: Path, rel: str) -> None:
    """Delete a field line from the middle of the last record: nothing is cut."""
    data = (fixtures_dir / "exports" / rel).read_bytes().replace(b"\r\n", b"\n")
    last = [m.start() for m in re.finditer(FILES[rel], data, re.MULTILINE)][-1]
    lines = data[last:].split(b"\n")
    tagged = [i for i, ln in enumerate(lines) if re.match(rb"^[A-Z][A-Z0-9]{1,3}(?: *- | )", ln)]
    drop = tagged[len(tagged) // 2]
    damaged = data[:last] + b"\n".join(lines[:drop] + lines[drop + 1 :])
    assert noted(load(damaged, rel)) == []


def test_cut_short_compares_the_tags_after_the_last_ones_end() -> None:
    def frame(tags: list[list[str]]) -> pl.DataFrame:
        return pl.DataFrame({"source_line": list(range(1, len(tags) + 1)), "raw_tags": tags})

    whole = ["PMID", "TI", "AB", "AU", "JT", "SO"]
    assert cut_short(frame([whole, whole, whole])) is None
    cut = cut_short(frame([whole, whole, ["PMID", "TI", "AB"]]))
    assert cut is not None and "ends at its AB field and lacks AU, JT, SO" in cut
    assert cut_short(frame([whole, whole, ["PMID", "TI", "AB", "AU", "JT"]])) is None  # one
    assert cut_short(frame([whole, ["PMID", "TI", "AB"]])) is None  # too few to compare
    other = ["PMID", "TI", "AU", "JT", "SO"]  # the others never hold AB: no order to read
    assert cut_short(frame([other, other, whole, ["PMID", "TI", "AB"]])) is None  # 1 peer
