"""Decisions typed into a worklist the run writes are kept.

``results/03_screen/worklists`` holds worklists for people to fill in, save in ``sheets/`` and
list in the config (the conflicts sheet beside them holds the decisions already made, so it is
not one of them). Anyone who opens one and presses Save has typed decisions
into a file the next run rewrites blank (``results/`` is not under version control): before a
run, such a file is copied to ``recovered/`` beside ``results/``, with a note saying where and
how to apply it. The rank rule records the SHA-256 of each worklist it writes
(:func:`record_written`), so a worklist as written is not read again (a large one costs seconds).
The run's guard (:mod:`.runguard`) calls :func:`keep_typed`.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl

from . import storage

SHEETS = "results/03_screen/worklists"
RECOVERED = "recovered"
WRITTEN = ".written.sha256"  # in the worklists folder: "<sha256>  <path below it>" per file
_FILLED = ("decision", "reason")


def typed_rows(frame: pl.DataFrame) -> int:
    """How many rows of a worklist-like sheet hold a decision or a reason (the columns the
    run writes empty)."""
    columns = [c for c in frame.columns if c.strip().lower() in _FILLED]
    if not columns:
        return 0
    filled = pl.any_horizontal(
        pl.col(c).cast(pl.String).str.strip_chars().fill_null("") != "" for c in columns
    )
    return int(frame.select(filled.sum()).item())


def record_written(folder: Path) -> None:
    """Record the SHA-256 of every worklist the rank rule wrote in ``folder``."""
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.name != WRITTEN)
    lines = [f"{storage.sha256_file(p)}  {p.relative_to(folder).as_posix()}\n" for p in files]
    (folder / WRITTEN).write_text("".join(lines), encoding="utf-8")


def _written(folder: Path) -> dict[str, str]:
    try:
        text = (folder / WRITTEN).read_text(encoding="utf-8")
    except OSError:
        return {}
    return {name: sha for sha, _, name in (ln.partition("  ") for ln in text.splitlines())}


def keep_typed(directory: Path) -> list[str]:
    """Copy every worklist under :data:`SHEETS` that holds typed decisions to
    ``recovered/`` (the same path below it; a different earlier copy is kept and the new one
    numbered) and return a note for each."""
    notes: list[str] = []
    root = directory / SHEETS
    if not root.is_dir():
        return notes
    written = _written(root)
    for path in sorted(root.rglob("*")):
        if path.suffix.lower() not in (".csv", ".xlsx") or not path.is_file():
            continue
        if written.get(path.relative_to(root).as_posix()) == storage.sha256_file(path):
            continue  # as the run wrote it
        try:
            typed = typed_rows(storage.read_sheet(path))
        except (storage.InputFileError, pl.exceptions.PolarsError, OSError):
            continue
        if not typed:
            continue
        target = directory / RECOVERED / path.relative_to(directory / "results")
        number = 1
        while target.exists() and target.read_bytes() != path.read_bytes():
            number += 1
            target = target.with_name(f"{path.stem}.{number}{path.suffix}")
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
        notes.append(
            f"note: {path.relative_to(directory)} holds {typed} decision(s) typed into it, and "
            f"runs rewrite that file: a copy is kept as {target.relative_to(directory)}. "
            "Save it in sheets/ and list it under `screening: sheets:` in the config to apply "
            "its decisions (README.md, 'Start your own review', step 4)"
        )
    return notes
