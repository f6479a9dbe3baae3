"""Fallback record IDs (records whose export gave no native ID) are stable across versions:
the vectorised text building hashes exactly what the per-record Python loop hashed."""

from __future__ import annotations

import hashlib

import polars as pl

from scoping_review.importing.canonical import _fallback_ids


def _reference(tags: list[str | None], values: list[str | None]) -> str:
    """The original definition: SHA-1 of ``tag<TAB>value`` lines, ``h`` + 12 hex digits."""
    text = "\n".join(f"{t}\t{v}" for t, v in zip(tags, values, strict=True))
    return "h" + hashlib.sha1(text.encode()).hexdigest()[:12]


def test_fallback_ids_hash_the_raw_fields_as_before() -> None:
    rows = [
        ("keep:1", ["TY", "TI"], ["JOUR", "Kept as it is"]),
        (None, ["TY", "TI", "AU", "AU"], ["JOUR", "Ünïcode — title", "Smith, J.", "Lee, K."]),
        (None, [], []),  # no fields at all
        (None, ["TY", "N1"], ["JOUR", None]),  # a null value is written None
        (None, ["TY", "AB"], ["JOUR", "line one\nline two\twith a tab"]),
        ("keep:2", ["TY"], ["BOOK"]),
        (None, ["TY"], [""]),
    ]
    frame = pl.DataFrame(
        {
            "native_id": [r[0] for r in rows],
            "raw_tags": [r[1] for r in rows],
            "raw_values": [r[2] for r in rows],
        },
        schema={
            "native_id": pl.String,
            "raw_tags": pl.List(pl.String),
            "raw_values": pl.List(pl.String),
        },
    )
    got = _fallback_ids(frame).to_list()
    want = [r[0] if r[0] is not None else _reference(r[1], r[2]) for r in rows]
    assert got == want
    assert got[2] == "h" + hashlib.sha1(b"").hexdigest()[:12]


def test_no_missing_ids_returns_the_column() -> None:
    frame = pl.DataFrame(
        {"native_id": ["a"], "raw_tags": [["TY"]], "raw_values": [["JOUR"]]},
        schema={
            "native_id": pl.String,
            "raw_tags": pl.List(pl.String),
            "raw_values": pl.List(pl.String),
        },
    )
    assert _fallback_ids(frame).to_list() == ["a"]
