"""The import benchmark's realistic corpus: deterministic, and read alike by us and the peers."""

from __future__ import annotations

import sys
from pathlib import Path

import bibtexparser
import rispy

from scoping_review import importing

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "benchmarks"))

import realistic_corpus  # noqa: E402

META = importing.SourceMeta("bench", "Bench", "", "realistic")


def test_same_seed_same_bytes_and_the_realistic_traits_are_there() -> None:
    recs = realistic_corpus.records(400, seed=3)
    text = realistic_corpus.render(recs, "ris")
    assert text == realistic_corpus.render(realistic_corpus.records(400, seed=3), "ris")
    assert text != realistic_corpus.render(realistic_corpus.records(400, seed=4), "ris")
    assert {r["vendor"] for r in recs} == set(realistic_corpus.VENDORS)
    assert max(len(r["authors"]) for r in recs) >= 50
    lines = text.splitlines()
    assert any(line.startswith("      ") and line.strip() for line in lines)  # indented
    untagged = [ln for ln in lines if ln and ln[2:5] != "  -" and not ln.startswith((" ", "Link"))]
    assert any(not ln.endswith(".") for ln in untagged)  # unindented continuation lines


def test_ris_parses_with_our_reader_and_rispy_to_the_same_records() -> None:
    recs = realistic_corpus.records(300, seed=11)
    text = realistic_corpus.render(recs, "ris")
    ours = importing.import_export(text.encode("utf-8"), META, fmt="ris")
    peer = rispy.loads(text)
    assert ours.records.height == len(peer) == len(recs)
    # multi-line abstracts come back whole, in both readers; long author lists keep every name
    abstracts = ours.records["abstract"].to_list()
    assert [a or "" for a in abstracts] == [r["abstract"] for r in recs]
    assert [p.get("abstract") or p.get("notes_abstract") or "" for p in peer] == [
        r["abstract"] for r in recs
    ]
    authors = ours.records["authors"].to_list()
    assert [len(a or []) for a in authors] == [len(r["authors"]) for r in recs]
    keywords = ours.records["keywords"].to_list()
    assert [len(k or []) for k in keywords] == [len(r["keywords"]) for r in recs]


def test_medline_and_bibtex_parse_to_the_same_record_count() -> None:
    recs = realistic_corpus.records(60, seed=11)
    nbib = realistic_corpus.render(recs, "medline")
    assert importing.import_export(nbib.encode(), META, fmt="medline").records.height == 60
    bib = realistic_corpus.render(recs, "bibtex")
    ours = importing.import_export(bib.encode(), META, fmt="bibtex")
    assert ours.records.height == len(bibtexparser.parse_string(bib).entries) == 60
