"""Rayyan exports: the CSV ``notes`` column and the RIS ``N1`` field.

Rayyan writes its screening state into one text field of each record, `` | ``-separated:
``RAYYAN-INCLUSION: {"Ann"=>"Included", "Bo"=>"Excluded"}`` (a reviewer who has not decided
is absent), ``RAYYAN-LABELS: a,b``, ``RAYYAN-EXCLUSION-REASONS: wrong population,background``
(not attributed to a reviewer: they are given to every reviewer who excluded the record) and
``USER-NOTES: ...``. One tool row per record and deciding reviewer; a record nobody decided
gives one undecided row (it stays pending).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from .. import importing
from ..normalize import find_year
from .resolve import InteropError, tool_frame

_SEGMENT = re.compile(r"\s*\|\s*(?=RAYYAN-[A-Z-]+:|USER-NOTES:)")
_VOTE = re.compile(r'"((?:[^"\\]|\\.)*)"\s*=>\s*"((?:[^"\\]|\\.)*)"')
VALUES = {"included": "include", "excluded": "exclude", "maybe": "maybe"}


@dataclass
class Notes:
    votes: dict[str, str] = field(default_factory=dict)  # reviewer -> Included/Excluded/Maybe
    labels: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    user_notes: str | None = None


def parse_notes(cell: str | None) -> Notes:
    """The Rayyan segments of one ``notes`` cell (or the record's ``N1`` values joined)."""
    notes = Notes()
    for segment in _SEGMENT.split((cell or "").strip()):
        key, sep, value = segment.partition(":")
        if not sep:
            continue
        key, value = key.strip().upper(), value.strip()
        if key == "RAYYAN-INCLUSION":
            notes.votes.update({m.group(1): m.group(2) for m in _VOTE.finditer(value)})
        elif key == "RAYYAN-LABELS":
            notes.labels = [v.strip() for v in value.split(",") if v.strip()]
        elif key == "RAYYAN-EXCLUSION-REASONS":
            notes.reasons = [v.strip() for v in value.split(",") if v.strip()]
        elif key == "USER-NOTES":
            notes.user_notes = value or None
    return notes


def _rows(base: dict[str, Any], notes: Notes) -> list[dict[str, Any]]:
    if not notes.votes:
        return [{**base, "decision": None, "reasons": []}]
    out = []
    for reviewer, vote in notes.votes.items():
        decision = VALUES.get(vote.strip().lower(), vote.strip().lower())
        reasons = notes.reasons if decision == "exclude" else []
        out.append({**base, "reviewer": reviewer, "decision": decision, "reasons": reasons})
    return out


def _text(value: object) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None


def read_csv(data: bytes, name: str) -> pl.DataFrame:
    """Tool rows from a Rayyan CSV export (``key``, ``title``, ``year``, ``doi``,
    ``pubmed_id``, ``notes``; a ``study_id`` column kept from our export is used when there)."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        frame = pl.read_csv(data, infer_schema=False)
    except pl.exceptions.PolarsError as err:
        raise InteropError(f"{name}: cannot read as CSV: {err}") from err
    if "notes" not in frame.columns:
        raise InteropError(f"{name}: no 'notes' column, not a Rayyan CSV export")
    rows: list[dict[str, Any]] = []
    for i, rec in enumerate(frame.iter_rows(named=True)):
        base = {
            "row": i + 2,
            "key": _text(rec.get("key")),
            "study_id": _text(rec.get("study_id")),
            "doi": _text(rec.get("doi")),
            "pmid": _text(rec.get("pubmed_id")),
            "title": _text(rec.get("title")),
            "year": find_year(_text(rec.get("year"))),
            "reviewer": None,
            "date": None,
            "note": parse_notes(rec.get("notes")).user_notes,
        }
        rows.extend(_rows(base, parse_notes(rec.get("notes"))))
    return tool_frame(rows)


def read_ris(data: bytes, name: str) -> pl.DataFrame:
    """Tool rows from a Rayyan RIS export (decisions in ``N1``; ``row`` is the line of the
    record's first tag). Parsed by the project's RIS reader."""
    meta = importing.SourceMeta("rayyan", "Rayyan", "", name)
    try:
        parsed = importing.import_export(data, meta, fmt="ris")
    except importing.ImportError_ as err:
        raise InteropError(str(err)) from err
    if parsed.rejects.height:
        first = parsed.rejects.row(0, named=True)
        raise InteropError(f"{name}, line {first['line']}: {first['reason']}")
    rows: list[dict[str, Any]] = []
    for rec in parsed.records.iter_rows(named=True):
        tags = rec["raw_tags"] or []
        values = rec["raw_values"] or []
        n1 = " | ".join(v for t, v in zip(tags, values, strict=True) if t == "N1")
        notes = parse_notes(n1)
        native = rec["native_id"]
        base = {
            "row": rec["source_line"],
            "key": native,
            "study_id": _our_id(tags, values),
            "doi": rec["doi"],
            "pmid": rec["pmid"],
            "title": rec["title"],
            "year": rec["year"],
            "reviewer": None,
            "date": None,
            "note": notes.user_notes,
        }
        rows.extend(_rows(base, notes))
    return tool_frame(rows)


_OUR_ID = re.compile(r"\bscoping-review study (S-[0-9A-Za-z-]+)")


def _our_id(tags: list[str], values: list[str]) -> str | None:
    """Our study ID, when the record came from our own RIS export (``U1  - scoping-review
    study S-...``, a field Rayyan keeps) and came back."""
    for tag, value in zip(tags, values, strict=True):
        if tag in ("U1", "N1", "ID", "AN"):
            m = _OUR_ID.search(value or "")
            if m:
                return m.group(1)
    return None
