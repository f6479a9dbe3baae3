"""The codebook (one row per code: theme, overarching theme, origin) from a sheet, a Taguette
export or a REFI-QDA project.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from .. import schemas
from ..io.qdpx import QdaProject
from .model import (
    CODEBOOK_COLUMNS,
    DEDUCTIVE_MARKER,
    NO_OVERARCHING,
    NO_THEME,
    ORIGINS,
    CodingError,
)
from .segments import _columns, split_tag

# -- codebook --------------------------------------------------------------------------------


def _strip_marker(name: str, marker: str | None) -> tuple[str, bool]:
    if marker and name.lower().endswith(marker.lower()):
        return name[: -len(marker)].strip(), True
    return name, False


def _finish_codebook(rows: list[dict[str, object]], source: str) -> pl.DataFrame:
    frame = pl.DataFrame(
        [{k: r[k] for k in CODEBOOK_COLUMNS} for r in rows], schema=pl.Schema(CODEBOOK_COLUMNS)
    )
    seen: dict[str, object] = {}
    problems = []
    for code, row in zip(frame["code"], rows, strict=True):
        if code in seen:
            problems.append(f"{source}, row {row['_row']}: code {code!r} repeats row {seen[code]}")
        seen[code] = row["_row"]
    for row in rows:
        if row["parent"] is not None and row["parent"] not in seen:
            problems.append(
                f"{source}, row {row['_row']}: parent {row['parent']!r} of code "
                f"{row['code']!r} is not a code of the codebook"
            )
    if problems:
        raise CodingError(
            f"{len(problems)} problem(s) in the codebook:\n  " + "\n  ".join(problems)
        )
    return schemas.validate(frame, schemas.CODEBOOK)


def codebook_table(
    sheet: pl.DataFrame, source: str, deductive_marker: str | None = DEDUCTIVE_MARKER
) -> pl.DataFrame:
    """The project's codebook table ``code,theme,overarching_theme,origin,definition[,parent]``.

    An empty origin is ``deductive`` when the code name ends with ``deductive_marker``,
    else ``inductive``; the marker is removed from the name.
    """
    _columns(sheet, ["code", "theme", "overarching_theme"], source, "codebook")
    by_key = {c.strip().lower(): c for c in sheet.columns}
    rows: list[dict[str, object]] = []
    problems: list[str] = []

    def cell(rec: dict[str, object], key: str) -> str | None:
        col = by_key.get(key)
        value = rec.get(col) if col else None
        text = str(value).strip() if value is not None else ""
        return text or None

    for i, rec in enumerate(sheet.iter_rows(named=True)):
        row = i + 2

        def get(key: str, rec: dict[str, object] = rec) -> str | None:
            return cell(rec, key)

        code = get("code")
        theme, overarching = get("theme"), get("overarching_theme")
        if not code or not theme or not overarching:
            problems.append(f"{source}, row {row}: code, theme and overarching_theme are required")
            continue
        code, marked = _strip_marker(code, deductive_marker)
        origin = (get("origin") or ("deductive" if marked else "inductive")).lower()
        if origin not in ORIGINS:
            problems.append(f"{source}, row {row}: origin {origin!r} must be one of {ORIGINS}")
            continue
        rows.append(
            {
                "code": code,
                "theme": theme,
                "overarching_theme": overarching,
                "origin": origin,
                "definition": get("definition"),
                "parent": get("parent"),
                "n_segments_reported": None,
                "n_documents_reported": None,
                "_row": row,
            }
        )
    if problems:
        raise CodingError(
            f"{len(problems)} problem(s) in the codebook:\n  " + "\n  ".join(problems)
        )
    return _finish_codebook(rows, source)


@dataclass(frozen=True)
class _Node:
    path: tuple[str, ...]
    definition: str | None
    n_segments: int | None
    n_documents: int | None
    row: int


def _codebook_from_nodes(
    nodes: Sequence[_Node], source: str, deductive_marker: str | None
) -> pl.DataFrame:
    """A hierarchy of tags → codebook: level 1 = overarching theme, level 2 = theme, deeper
    levels = codes (a code under a code has it as ``parent``). A level-2 tag with nothing under it
    is a code of a theme named after its level-1 tag; a lone level-1 tag is a code with no theme.
    """
    paths = {n.path for n in nodes}
    prefixes = {p[:k] for p in paths for k in range(1, len(p))}
    rows: list[dict[str, object]] = []
    for n in nodes:
        p = n.path
        has_children = p in prefixes
        if len(p) <= 2 and has_children:
            continue  # a theme level, not a code
        name, marked = _strip_marker(p[-1], deductive_marker)
        if len(p) == 1:
            theme, overarching, parent = NO_THEME, NO_OVERARCHING, None
        elif len(p) == 2:
            theme, overarching, parent = p[0], NO_OVERARCHING, None
        else:
            theme, overarching = p[1], p[0]
            parent = _strip_marker(p[-2], deductive_marker)[0] if len(p) > 3 else None
        rows.append(
            {
                "code": name,
                "theme": theme,
                "overarching_theme": overarching,
                "origin": "deductive" if marked else "inductive",
                "definition": n.definition,
                "parent": parent,
                "n_segments_reported": n.n_segments,
                "n_documents_reported": n.n_documents,
                "_row": n.row,
            }
        )
    # parents named in paths must exist as codes; add the missing ones (tags never applied)
    known = {str(r["code"]) for r in rows}
    for n in nodes:
        for k in range(3, len(n.path)):
            anc = n.path[:k]
            name = _strip_marker(anc[-1], deductive_marker)[0]
            if name not in known:
                known.add(name)
                rows.append(
                    {
                        "code": name,
                        "theme": anc[1],
                        "overarching_theme": anc[0],
                        "origin": "inductive",
                        "definition": None,
                        "parent": _strip_marker(anc[-2], deductive_marker)[0] if k > 3 else None,
                        "n_segments_reported": None,
                        "n_documents_reported": None,
                        "_row": n.row,
                    }
                )
    return _finish_codebook(rows, source)


def _int_or_none(value: object, source: str, row: int, column: str) -> int | None:
    text = str(value).strip() if value is not None else ""
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise CodingError(f"{source}, row {row}: {column} {text!r} is not a number") from None


def taguette_codebook(
    sheet: pl.DataFrame,
    source: str,
    hierarchy_separator: str | None,
    deductive_marker: str | None = DEDUCTIVE_MARKER,
) -> pl.DataFrame:
    """Taguette's codebook export: ``tag,description,number of highlights`` (older versions)
    or with ``number of documents`` as well; the counts are kept for the consistency audit."""
    cols = _columns(sheet, ["tag", "description", "number of highlights"], source, "codebook")
    by_key = {c.strip().lower(): c for c in sheet.columns}
    docs_col = by_key.get("number of documents")
    nodes = []
    for i, rec in enumerate(sheet.iter_rows(named=True)):
        row = i + 2
        tag = str(rec.get(cols["tag"]) or "").strip()
        if not tag:
            raise CodingError(f"{source}, row {row}: empty tag")
        desc = str(rec.get(cols["description"]) or "").strip() or None
        nodes.append(
            _Node(
                path=tuple(split_tag(tag, hierarchy_separator)),
                definition=desc,
                n_segments=_int_or_none(
                    rec.get(cols["number of highlights"]), source, row, "number of highlights"
                ),
                n_documents=_int_or_none(
                    rec.get(docs_col) if docs_col else None, source, row, "number of documents"
                ),
                row=row,
            )
        )
    return _codebook_from_nodes(nodes, source, deductive_marker)


def qdpx_codebook(
    project: QdaProject, source: str, deductive_marker: str | None = DEDUCTIVE_MARKER
) -> pl.DataFrame:
    """The codebook of a REFI-QDA project (nested codes; descriptions become definitions)."""
    nodes = [
        _Node(path=c.path, definition=c.description, n_segments=None, n_documents=None, row=i)
        for i, c in enumerate(project.codes, start=1)
    ]
    return _codebook_from_nodes(nodes, source, deductive_marker)


def detect_codebook(sheet_columns: Sequence[str]) -> str:
    keys = {c.strip().lower() for c in sheet_columns}
    if {"tag", "description", "number of highlights"} <= keys:
        return "taguette"
    return "table"
