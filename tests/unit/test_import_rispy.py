"""Differential test: our RIS reader against rispy on every RIS fixture.

rispy is read the way its documentation shows (``rispy.load`` on a file opened with
``utf-8-sig``, so a BOM cannot swallow the first record). For each record we compare title,
authors, year, DOI and keywords. Every difference is listed in ``EXPLAINED`` with the reason;
any other difference fails the test.

- ``ris_data.ris`` (colrev) uses single-space separators (``KW - keyword2``) and lacks its
  last ``ER``: rispy drops the last record and reads ``KW - ...`` lines as continuation text of
  the author before them; we read both records and the keywords (kept, with a note).
- ``dataset_1.ris`` / ``dataset_2.ris`` (asreview-datatools), record 2, has no ``DO`` tag but its
  ``UR`` is a publisher proxy link ``.../doi/full/10.1080/01441647.2020.1857886``: we take the
  DOI from the URL (a DOI inside a URL is the DOI); rispy has no DOI.
- Records that consist of a start tag only (``TY  -`` then ``ER``) are rejects for us (with
  their line) and near-empty dicts for rispy; they are left out of the record-by-record
  comparison and counted on both sides.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from scoping_review import importing
from scoping_review.normalize import find_year, normalize_doi

rispy = pytest.importorskip("rispy")

EXPLAINED: dict[tuple[str, str], str] = {
    ("colrev/2_loader_data/ris_data.ris", "count"): "rispy drops the last record (no ER)",
    ("colrev/2_loader_data/ris_data.ris", "keywords"): "rispy cannot read 'KW - ' (one space)",
    ("colrev/2_loader_data/ris_data.ris", "authors"): "rispy reads 'KW - x' lines as authors",
    ("asreview-datatools/dataset_1.ris", "doi"): "we take the DOI from the UR link",
    ("asreview-datatools/dataset_2.ris", "doi"): "we take the DOI from the UR link",
}


def ris_fixtures() -> list[str]:
    # collection time, before fixtures exist: the same path as tests/conftest.py's SHARED
    root = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "exports"
    if not root.exists():
        return []
    out = []
    for path in sorted(root.rglob("*")):
        if path.suffix.lower() in (".ris", ".txt") and path.is_file():
            head = path.read_bytes()[:4000].decode("utf-8", "replace").lstrip("\ufeff")
            if importing.tagged.detect(head) == "ris":
                out.append(str(path.relative_to(root)))
    return out


def _differences(ours: importing.Imported, theirs: list[dict[str, Any]]) -> set[str]:
    found: set[str] = set()
    theirs_full = [e for e in theirs if len(e) > 1]
    if len(theirs) != ours.file_row["n_parsed"] + ours.file_row["n_rejected"]:
        found.add("count")
    for entry, rec in zip(theirs_full, ours.records.iter_rows(named=True), strict=False):
        title = entry.get("title") or entry.get("primary_title")
        if (title or None) != rec["title"]:
            found.add("title")
        if (entry.get("authors") or entry.get("first_authors") or []) != rec["authors"]:
            found.add("authors")
        year = entry.get("year") or entry.get("publication_year") or entry.get("date")
        if find_year(year) != rec["year"]:
            found.add("year")
        if normalize_doi(entry.get("doi")) != rec["doi"]:
            found.add("doi")
        if (entry.get("keywords") or []) != rec["keywords"]:
            found.add("keywords")
    return found


def test_there_are_ris_fixtures(fixtures_dir: Path) -> None:
    assert len(ris_fixtures()) >= 40


@pytest.mark.parametrize("rel", ris_fixtures())
def test_ris_fields_agree_with_rispy(fixtures_dir: Path, rel: str) -> None:
    path = fixtures_dir / "exports" / rel
    ours = importing.import_export(path.read_bytes(), importing.SourceMeta("s", "db", "", rel))
    with open(path, encoding="utf-8-sig") as handle:
        theirs = rispy.load(handle)
    found = _differences(ours, theirs)
    expected = {what for (name, what) in EXPLAINED if name == rel}
    assert found == expected, f"{rel}: unexplained {found - expected}, gone {expected - found}"
