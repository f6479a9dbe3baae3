"""The screening app's decision sheets: append-only CSV files the screen rule reads.

Each reviewer screening a stage in the app has one sheet,
``<screening.app_directory>/<stage>/<reviewer>.csv`` (``consensus.csv`` for the consensus
view), with the usual sheet columns plus ``study`` and a ``timestamp``. A line names the
study by its representative ``record_id`` (``study`` is for people): the screen rule resolves
a record to the study it belongs to *now*, so a decision follows its study when a later
dedupe decision merges two studies (and a merge of two differently decided studies is a
contradiction the screen rule reports with both rows). Every decision is one appended line
(written with one ``write`` and fsynced before the browser hears back); changing or undoing a
decision appends another line for the same record, an undo one with an empty decision. The
latest line for a record is the reviewer's decision: :func:`current` blanks the lines it
supersedes, keeping every row where it is, so an error still names the row a person sees.
"""

from __future__ import annotations

import csv
import io
import os
import re
import threading
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

import polars as pl

from ..normalize import file_stem
from ..spreadsheet import safe_text

COLUMNS = ("record_id", "decision", "reason", "reviewer", "date", "note", "study", "timestamp")
KEY = ("record_id",)
CONSENSUS_STEM = "consensus"
_LOCK = threading.Lock()


PAIR_COLUMNS = ("record_id_a", "record_id_b", "decision", "note", "reviewer", "timestamp")
PAIR_KEY = ("record_id_a", "record_id_b")
DEDUPE_FOLDER = "dedupe"


def current(frame: pl.DataFrame, key: tuple[str, ...] = KEY) -> pl.DataFrame:
    """``frame`` with every row blanked except the latest one per ``key`` (a record, or a
    record pair in a dedupe sheet), and that one blanked too when it is an undo (no
    decision); same height, same row order."""
    if frame.height == 0 or not set(key) <= set(frame.columns):
        return frame
    ident = pl.col(key[0]) if len(key) == 1 else pl.struct(key)
    last = ident.is_last_distinct()
    decided = pl.col("decision").fill_null("").str.strip_chars() != ""
    keep = last & decided & pl.all_horizontal(pl.col(k).is_not_null() for k in key)
    return frame.select(
        pl.when(keep).then(pl.col(c)).otherwise(None).alias(c) for c in frame.columns
    )


Row = dict[str, str | None]


def latest(frame: pl.DataFrame) -> dict[str, Row]:
    """record_id -> its current row (decision, reason, note, study, timestamp); undone
    records left out."""
    cur = current(frame).filter(pl.col("record_id").is_not_null())
    return {r["record_id"]: r for r in cur.iter_rows(named=True)}


class Decision(NamedTuple):
    """A study's current decision in a sheet (what the app shows and counts)."""

    decision: str
    reason: str | None
    reviewer: str | None
    record_id: str
    timestamp: str


StudyMap = Mapping[str, str] | pl.DataFrame


def study_map(record_to_study: StudyMap) -> pl.DataFrame:
    """record_id -> _study as a frame (build it once; a server joins it on every request)."""
    if isinstance(record_to_study, pl.DataFrame):
        return record_to_study
    return pl.DataFrame(
        {"record_id": list(record_to_study), "_study": list(record_to_study.values())},
        schema={"record_id": pl.String, "_study": pl.String},
    )


def _mapped(frame: pl.DataFrame, record_to_study: StudyMap) -> pl.DataFrame:
    cur = current(frame).filter(pl.col("record_id").is_not_null())
    return cur.join(study_map(record_to_study), on="record_id", how="left").with_columns(
        pl.coalesce("_study", "study").alias("_study")
    )


def by_study(frame: pl.DataFrame, record_to_study: StudyMap) -> dict[str, Decision]:
    """study_id (as the review has it now) -> the latest current decision of its records
    (a record no longer in the review keeps the study written beside it)."""
    if frame.height == 0:
        return {}
    cur = (
        _mapped(frame, record_to_study)
        .filter(pl.col("_study").is_not_null())
        .sort("timestamp", maintain_order=True)
        .unique("_study", keep="last", maintain_order=True)
    )
    cols = ("_study", "decision", "reason", "reviewer", "record_id", "timestamp")
    return {s: Decision(*rest) for s, *rest in zip(*(cur[c].to_list() for c in cols), strict=True)}


def records_with_decisions(frame: pl.DataFrame, study: str, record_to_study: StudyMap) -> list[str]:
    """Records whose current line decides ``study`` (more than one after a merge)."""
    if frame.height == 0:
        return []
    return _mapped(frame, record_to_study).filter(pl.col("_study") == study)["record_id"].to_list()


def path_for(directory: Path, stage: str, reviewer: str) -> Path:
    """The sheet of ``reviewer`` at ``stage`` under the app directory."""
    return directory / stage / f"{file_stem(reviewer)}.csv"


def line(
    row: Mapping[str, str | None],
    when: datetime | None = None,
    columns: tuple[str, ...] = COLUMNS,
) -> str:
    """One CSV line (cells safe against spreadsheet formulas), timestamped now (UTC)."""
    stamp = (when or datetime.now(UTC)).isoformat(timespec="milliseconds")
    values = {**{c: row.get(c) for c in columns}, "timestamp": stamp, "date": stamp[:10]}
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow([safe_text(values[c]) or "" for c in columns])
    return buffer.getvalue()


TORN_SUFFIX = ".torn"
# the app's timestamps, as :func:`line` writes them (UTC, milliseconds)
_STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00")


def _last_record(text: str) -> tuple[int, list[str], list[str]]:
    """(character offset where the last CSV record starts, its cells, the header's cells),
    read as the csv module reads the sheet (a quoted cell may hold line breaks)."""
    starts: list[int] = []
    position = 0

    def lines() -> Iterator[str]:
        nonlocal position
        for piece in io.StringIO(text, newline=""):
            starts.append(position)
            position += len(piece)
            yield piece

    reader = csv.reader(lines())
    header: list[str] = []
    last: list[str] = []
    first_line = 0
    consumed = 0
    for row in reader:
        header = header or row
        last, first_line, consumed = row, consumed, reader.line_num
    return (starts[first_line] if starts else 0), last, header


def repair(path: Path, columns: tuple[str, ...] = COLUMNS) -> str | None:
    """Mend a sheet whose last line has no line end, and say what was done (None: nothing).

    The last record (read as CSV: a quoted note may span lines) is complete when it has every
    cell and, where the app writes one, a whole timestamp: then it is ended and kept (a sheet
    saved by an editor that writes no final line end, a kill after the app's last byte). Else
    it was cut in the middle of a write, never acknowledged to the browser, and is moved to
    ``<sheet>.torn`` beside the sheet, never dropped unseen. A header cut short (a kill while
    the sheet was created) is removed: the next decision writes it again.
    """
    if not path.exists():
        return None
    data = path.read_bytes()
    if not data or data.endswith(b"\n"):
        return None
    text = data.decode("utf-8", "surrogateescape")
    offset, cells, header = _last_record(text)
    keep = len(text[:offset].encode("utf-8", "surrogateescape"))
    number = data[:keep].count(b"\n") + 1
    expected = ",".join(columns)
    if keep == 0 and expected.startswith(text) and text != expected:
        with open(path, "r+b") as handle:
            handle.truncate(0)
            os.fsync(handle.fileno())
        return f"{path}: its header line was cut short; the next decision writes it again"
    stamp_cut = (
        header[-1:] == ["timestamp"]
        and len(cells) == len(header)
        and bool(cells[-1])
        and not _STAMP.fullmatch(cells[-1])
    )
    complete = keep == 0 or (len(cells) >= len(header) and not stamp_cut)
    with open(path, "r+b") as handle:
        if complete:
            handle.seek(0, os.SEEK_END)
            handle.write(b"\n")
        else:
            with open(path.with_name(path.name + TORN_SUFFIX), "ab") as torn:
                torn.write(data[keep:] + b"\n")
            handle.truncate(keep)
        handle.flush()
        os.fsync(handle.fileno())
    if complete:
        return f"{path}: line {number} had no line end; it is kept, ended now"
    what = "its timestamp is cut" if stamp_cut else f"{len(cells)} of {len(header)} cells"
    return (
        f"{path}: line {number} was cut short ({what}: a write that was interrupted); moved "
        f"to {path.name}{TORN_SUFFIX} beside it"
    )


def append(
    path: Path,
    row: Mapping[str, str | None],
    when: datetime | None = None,
    columns: tuple[str, ...] = COLUMNS,
) -> str:
    """Append one decision line (the header first for a new sheet) and fsync it."""
    text = line(row, when, columns)
    with _LOCK:
        path.parent.mkdir(parents=True, exist_ok=True)
        new = not path.exists() or path.stat().st_size == 0
        # a sheet edited by hand while the app runs may end without a line end: end it
        # first, so the decision is a line of its own
        ended = new or _ends_with_newline(path)
        payload = (",".join(columns) + "\n" if new else "" if ended else "\n") + text
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            left = memoryview(payload.encode("utf-8"))
            while left:  # a short write is written on, never acknowledged half done
                left = left[os.write(fd, left) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        if new:  # the new directory entry is durable too
            dir_fd = os.open(path.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
    return text


def _ends_with_newline(path: Path) -> bool:
    with open(path, "rb") as handle:
        handle.seek(-1, os.SEEK_END)
        return handle.read(1) == b"\n"


def read(path: Path, columns: tuple[str, ...] = COLUMNS) -> pl.DataFrame:
    """A sheet as text columns (empty frame with the columns when it does not exist)."""
    if not path.exists() or path.stat().st_size == 0:
        return pl.DataFrame(schema=dict.fromkeys(columns, pl.String()))
    return pl.read_csv(path, infer_schema=False)


def pair_decisions(frame: pl.DataFrame) -> dict[tuple[str, str], str]:
    """(record_id_a, record_id_b) -> same/different, the latest line per pair."""
    cur = current(frame, PAIR_KEY).drop_nulls(list(PAIR_KEY))
    return {(r["record_id_a"], r["record_id_b"]): r["decision"] for r in cur.iter_rows(named=True)}


def sheets(directory: Path, stages: tuple[str, ...]) -> list[tuple[str, Path, bool]]:
    """(stage, path, is_consensus) for every app sheet under ``directory``, sorted."""
    out = []
    for stage in stages:
        for path in sorted((directory / stage).glob("*.csv")):
            out.append((stage, path, path.stem == CONSENSUS_STEM))
    return out
