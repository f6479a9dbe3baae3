"""RIS laid out as real exports are (tests/support/realistic_ris.py: EBSCO, Ovid, EndNote and
Scopus layouts with wrapped abstracts, long author lists and notes over many lines) imports
with every record accounted for and its multi-line fields read whole."""

from __future__ import annotations

import polars as pl
import rispy

from scoping_review import importing
from support import realistic_ris


def _import(text: str) -> importing.Imported:
    meta = importing.SourceMeta("real", "Real", "", "real.ris")
    return importing.import_export(text.encode("utf-8"), meta, fmt="ris")


def test_realistic_layouts_import_like_rispy_reads_them() -> None:
    text = realistic_ris.render(400, seed=3)
    result = _import(text)
    peer = rispy.loads(text)
    assert result.file_row["n_raw"] == result.records.height == len(peer) == 400
    assert not result.rejects.height
    records = result.records
    # authors: every AU/A1 line, long lists included (about 5 % have 20 to 100)
    want_authors = [len(e.get("authors") or e.get("first_authors") or []) for e in peer]
    assert records["authors"].list.len().to_list() == want_authors
    assert max(want_authors) >= 20
    # wrapped abstracts (EBSCO) and paragraph lines (Ovid N2) are joined into one value
    ovid = records.filter(pl.col("raw_tags").list.contains("N2"))
    assert ovid.height and ovid["abstract"].drop_nulls().str.contains("RESULTS: ").any()
    ebsco = records.filter(pl.col("raw_tags").list.contains("JO"))  # EBSCO alone writes JO
    abstract = ebsco["abstract"].drop_nulls()
    assert abstract.str.ends_with("[ABSTRACT FROM AUTHOR]").all()
    assert not abstract.str.contains("\n").any()


def test_crlf_realistic_export_reads_the_same() -> None:
    lf = _import(realistic_ris.render(120, seed=5)).records
    crlf = _import(realistic_ris.render(120, seed=5, crlf=True)).records
    assert crlf.drop("source_sha256").equals(lf.drop("source_sha256"))


def test_same_seed_same_bytes() -> None:
    assert realistic_ris.render(50, seed=9) == realistic_ris.render(50, seed=9)
    assert realistic_ris.render(50, seed=9) != realistic_ris.render(50, seed=10)
