"""ASReview LAB: dataset exports (CSV/TSV/XLSX/RIS) and ``.asreview`` project files.

ASReview labels a record relevant (1), irrelevant (0) or leaves it unseen (empty); it has no
"maybe" and no exclusion reasons. Relevant -> include, irrelevant -> exclude (with the
record's tags as reason texts, mapped like any reason; without tags the default exclusion
reason applies), unseen -> undecided (pending). The reviewer is ``asreview_user_name`` when
the export has it, else the name given.
"""

from __future__ import annotations

import io
import json
import sqlite3
import zipfile
from datetime import UTC, datetime
from typing import Any

import polars as pl

from .. import importing
from ..normalize import find_year
from ..spreadsheet import read_workbook
from .resolve import InteropError, tool_frame

LABELS = {"1": "include", "1.0": "include", "0": "exclude", "0.0": "exclude", "-1": None}
RIS_LABELS = {"asreview_relevant": "include", "asreview_irrelevant": "exclude"}
TAG_PREFIX = "asreview_tag_"


def _text(value: object) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None


def _label(value: object, where: str) -> str | None:
    text = _text(value)
    if text is None:
        return None
    if text not in LABELS:
        raise InteropError(f"{where}: label {text!r} is not 1, 0 or empty")
    return LABELS[text]


def read_table(frame: pl.DataFrame, name: str, reviewer: str) -> pl.DataFrame:
    """Tool rows from an exported dataset read as text (``asreview_label``, or ``included``
    in v1 exports; ``row`` is the spreadsheet row, header = 1)."""
    label_col = next((c for c in ("asreview_label", "included") if c in frame.columns), None)
    if label_col is None:
        raise InteropError(f"{name}: no 'asreview_label' column, not an ASReview dataset export")
    tags = [c for c in frame.columns if c.startswith(TAG_PREFIX)]
    rows: list[dict[str, Any]] = []
    for i, rec in enumerate(frame.iter_rows(named=True)):
        row = i + 2
        decision = _label(rec.get(label_col), f"{name}, row {row}")
        rows.append(
            {
                "row": row,
                "key": _text(rec.get("record_id")) or _text(rec.get("")),
                "study_id": _text(rec.get("study_id")),
                "doi": _text(rec.get("doi")),
                "pmid": _text(rec.get("pmid")),
                "title": _text(rec.get("title")),
                "year": find_year(_text(rec.get("year"))),
                "reviewer": _text(rec.get("asreview_user_name")) or reviewer,
                "decision": decision,
                "reasons": [t[len(TAG_PREFIX) :] for t in tags if _text(rec.get(t)) in ("1", "1.0")]
                if decision == "exclude"
                else [],
                "date": (_text(rec.get("asreview_time")) or "")[:10] or None,
                "note": _text(rec.get("asreview_note")),
            }
        )
    return tool_frame(rows)


def read_csv(data: bytes, name: str, reviewer: str, separator: str = ",") -> pl.DataFrame:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        frame = pl.read_csv(data, infer_schema=False, separator=separator)
    except pl.exceptions.PolarsError as err:
        raise InteropError(f"{name}: cannot read as CSV: {err}") from err
    return read_table(frame, name, reviewer)


def read_xlsx(data: bytes, name: str, reviewer: str) -> pl.DataFrame:
    try:
        frame = read_workbook(data)
    except Exception as err:  # calamine raises its own error types
        raise InteropError(f"{name}: cannot read as XLSX: {err}") from err
    return read_table(frame, name, reviewer)


def read_ris(data: bytes, name: str, reviewer: str) -> pl.DataFrame:
    """Tool rows from an RIS dataset export (``N1  - ASReview_relevant|irrelevant|not_seen``;
    ``row`` is the line of the record's first tag). Parsed by the project's RIS reader."""
    meta = importing.SourceMeta("asreview", "ASReview", "", name)
    try:
        parsed = importing.import_export(data, meta, fmt="ris")
    except importing.ImportError_ as err:
        raise InteropError(str(err)) from err
    rows: list[dict[str, Any]] = []
    for rec in parsed.records.iter_rows(named=True):
        pairs = list(zip(rec["raw_tags"] or [], rec["raw_values"] or [], strict=True))
        notes = [v.strip().lower() for t, v in pairs if t == "N1"]
        decision = next((RIS_LABELS[n] for n in notes if n in RIS_LABELS), None)
        our = next((v.strip() for t, v in pairs if t == "ID" and v.strip().startswith("S-")), None)
        rows.append(
            {
                "row": rec["source_line"],
                "key": rec["native_id"],
                "study_id": our,
                "doi": rec["doi"],
                "pmid": rec["pmid"],
                "title": rec["title"],
                "year": rec["year"],
                "reviewer": reviewer,
                "decision": decision,
                "reasons": [],
                "date": None,
                "note": None,
            }
        )
    return tool_frame(rows)


def _db(archive: zipfile.ZipFile, names: list[str]) -> sqlite3.Connection | None:
    for member in names:
        if member in archive.namelist():
            conn = sqlite3.connect(":memory:")
            conn.deserialize(archive.read(member))
            return conn
    return None


def _tag_names(raw: object, groups: list[dict[str, Any]]) -> list[str]:
    """Checked tags of one result as ``<group>_<tag>`` export names (the dataset export's
    ``asreview_tag_<group>_<tag>`` columns)."""
    try:
        tags = json.loads(str(raw)) if raw else []
    except json.JSONDecodeError:
        return []
    names: dict[tuple[object, object], str] = {}
    for g in groups or []:
        for v in g.get("values") or []:
            names[(g.get("id"), v.get("id"))] = f"{g.get('export')}_{v.get('export')}"
    out: list[str] = []
    for tag in tags if isinstance(tags, list) else []:
        if isinstance(tag, str):
            out.append(tag)
        elif isinstance(tag, dict):
            for v in tag.get("values") or []:
                if v.get("checked", True):
                    out.append(names.get((tag.get("id"), v.get("id")), str(v.get("id"))))
    return out


def _our_ids(archive: zipfile.ZipFile) -> dict[int, str]:
    """dataset row -> our study ID, when the project's dataset is our own export (it keeps
    the ``study_id`` column); else empty."""
    for member in archive.namelist():
        if member.startswith("data/") and member.lower().endswith(".csv"):
            frame = pl.read_csv(archive.read(member), infer_schema=False)
            if "study_id" in frame.columns:
                return dict(enumerate(frame["study_id"].to_list()))
    return {}


def read_project(data: bytes, name: str, reviewer: str) -> pl.DataFrame:
    """Tool rows from a ``.asreview`` project (a zip): labels from the SQLite ``results``
    table (top-level ``results.db``, or ``reviews/<id>/results.db`` in v2 projects), the
    record's title/DOI/year from the ``record`` table. ``row`` is ASReview's record_id."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as err:
        raise InteropError(f"{name}: not an .asreview project (not a zip): {err}") from err
    with archive:
        project = (
            json.loads(archive.read("project.json")) if "project.json" in archive.namelist() else {}
        )
        reviews = sorted(
            n for n in archive.namelist() if n.startswith("reviews/") and n.endswith("/results.db")
        )
        results = _db(archive, ["results.db", *reviews])
        if results is None:
            raise InteropError(f"{name}: no results.db in the project")
        tables = {
            t for (t,) in results.execute("select name from sqlite_master where type='table'")
        }
        records = results if "record" in tables else _db(archive, ["data_store.db"])
        if records is None:
            raise InteropError(f"{name}: no record table in the project")
        info = {
            r[0]: r[1:]
            for r in records.execute("select record_id, title, doi, year, dataset_row from record")
        }
        ours = _our_ids(archive)
        groups = project.get("tags") or []
        rows: list[dict[str, Any]] = []
        for record_id, label, time, note, tags in results.execute(
            "select record_id, label, time, note, tags from results order by record_id"
        ):
            title, doi, year, dataset_row = info.get(record_id, (None, None, None, None))
            decision = _label(label, f"{name}, record_id {record_id}")
            rows.append(
                {
                    "row": int(record_id),
                    "key": str(record_id),
                    "study_id": ours.get(dataset_row) if dataset_row is not None else None,
                    "doi": _text(doi),
                    "pmid": None,
                    "title": _text(title),
                    "year": find_year(_text(year)),
                    "reviewer": reviewer,
                    "decision": decision,
                    "reasons": _tag_names(tags, groups) if decision == "exclude" else [],
                    "date": datetime.fromtimestamp(float(time), UTC).date().isoformat()
                    if time is not None
                    else None,
                    "note": _text(note),
                }
            )
    return tool_frame(rows)
