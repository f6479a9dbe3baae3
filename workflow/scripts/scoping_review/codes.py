"""05_codes: coded segments, codebook and prevalence.

Segments come from a Taguette highlights export (``id,document,tag,content``), a generic CSV
(``study,code,quote,page``) or a REFI-QDA project (:mod:`.io.qdpx`). The codebook is a table
(``code,theme,overarching_theme,origin,definition[,parent]``), a Taguette codebook export
(``tag,description,number of highlights[,number of documents]``; the tag hierarchy gives the
overarching theme and theme) or the codebook of a ``.qdpx`` project.

Segments whose document maps to no study, to a study that is not included, or whose code is
not in the codebook are kept in ``segments.parquet`` with a status saying so, counted in the
ledger and reported (or, with ``on_unknown="error"``, stop the run naming file and row); only
``status == "ok"`` segments count towards prevalence.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from . import schemas
from .io.qdpx import QdaProject
from .ledger import Count, Emitter
from .normalize import slug

METRICS = ("n_studies", "n_segments")
STATUSES = ("ok", "unknown_document", "not_included", "unknown_code")
FORMATS = ("taguette", "generic", "qdpx")
ORIGINS = ("deductive", "inductive")
DEDUCTIVE_MARKER = "(deductive)"
NO_THEME = "(no theme)"
NO_OVERARCHING = "(no overarching theme)"

CODEBOOK_COLUMNS: dict[str, pl.DataType] = dict(schemas.CODEBOOK.columns)


class CodingError(ValueError):
    """Coding inputs that cannot be used; the message names file and row."""


@dataclass(frozen=True)
class Threshold:
    metric: str = "n_studies"
    drop_at_or_below: int = 0

    def __post_init__(self) -> None:
        if self.metric not in METRICS:
            raise CodingError(f"prevalence metric {self.metric!r} must be one of {METRICS}")

    def describe(self) -> str:
        return f"codes with {self.metric} at or below {self.drop_at_or_below} are dropped"


# -- tags ------------------------------------------------------------------------------------


def split_tag(tag: str, separator: str | None) -> list[str]:
    """A hierarchical tag as its parts (``"Repair\\Empathy"`` → ``["Repair", "Empathy"]``)."""
    if not separator:
        return [tag.strip()]
    return [p.strip() for p in tag.split(separator) if p.strip()]


def _with_paths(frame: pl.DataFrame, separator: str | None) -> pl.DataFrame:
    paths = [split_tag(t, separator) if t is not None else None for t in frame["code"].to_list()]
    return frame.with_columns(
        pl.Series("code_path", paths, dtype=pl.List(pl.String)),
    ).with_columns(pl.col("code_path").list.last().alias("code"))


def _columns(frame: pl.DataFrame, wanted: Sequence[str], source: str, what: str) -> dict[str, str]:
    """Case- and space-insensitive column lookup; error naming the file when one is missing."""
    by_key = {c.strip().lower(): c for c in frame.columns}
    missing = [w for w in wanted if w not in by_key]
    if missing:
        raise CodingError(
            f"{source}: a {what} needs columns {list(wanted)}, found {frame.columns} "
            f"(missing {missing})"
        )
    return {w: by_key[w] for w in wanted}


def _segment_frame(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select(
        "segment_id",
        "document",
        "code",
        "text",
        "source",
        "row",
        "code_path",
        "page",
        "format",
    )


def _no_empty(frame: pl.DataFrame, source: str, what: str) -> None:
    empty = frame.filter(
        pl.col("code").is_null() | (pl.col("code") == "") | pl.col("document").is_null()
    )
    if empty.height:
        raise CodingError(f"{source}, row {empty['row'][0]}: {what} without document or code")


def taguette_segments(
    highlights: pl.DataFrame, source: str, hierarchy_separator: str | None = None
) -> pl.DataFrame:
    """Taguette's ``id,document,tag,content`` export as segments (study and status unresolved)."""
    cols = _columns(highlights, ["id", "document", "tag", "content"], source, "Taguette export")
    frame = highlights.with_row_index("row", offset=2).select(
        pl.col(cols["id"]).cast(pl.String).str.strip_chars().alias("segment_id"),
        pl.col(cols["document"]).cast(pl.String).str.strip_chars().alias("document"),
        pl.col(cols["tag"]).cast(pl.String).str.strip_chars().alias("code"),
        pl.col(cols["content"]).cast(pl.String).alias("text"),
        pl.lit(source).alias("source"),
        pl.col("row").cast(pl.Int64),
        pl.lit(None, pl.String).alias("page"),
        pl.lit("taguette").alias("format"),
    )
    _no_empty(frame, source, "highlight")
    return _segment_frame(_with_paths(frame, hierarchy_separator))


def generic_segments(
    sheet: pl.DataFrame, source: str, hierarchy_separator: str | None = None
) -> pl.DataFrame:
    """A generic coding sheet ``study,code,quote,page`` (optional ``id``).

    ``study`` is a document name from the document map, a record ID or a study ID.
    """
    cols = _columns(sheet, ["study", "code", "quote", "page"], source, "generic coding sheet")
    by_key = {c.strip().lower(): c for c in sheet.columns}
    ids = (
        pl.col(by_key["id"]).cast(pl.String).str.strip_chars()
        if "id" in by_key
        else pl.col("row").cast(pl.String)
    )
    frame = sheet.with_row_index("row", offset=2).select(
        ids.alias("segment_id"),
        pl.col(cols["study"]).cast(pl.String).str.strip_chars().alias("document"),
        pl.col(cols["code"]).cast(pl.String).str.strip_chars().alias("code"),
        pl.col(cols["quote"]).cast(pl.String).alias("text"),
        pl.lit(source).alias("source"),
        pl.col("row").cast(pl.Int64),
        pl.col(cols["page"]).cast(pl.String).str.strip_chars().alias("page"),
        pl.lit("generic").alias("format"),
    )
    _no_empty(frame, source, "coded segment")
    dup = frame.filter(pl.col("segment_id").is_duplicated())
    if dup.height:
        raise CodingError(
            f"{source}, row {dup['row'][0]}: segment id {dup['segment_id'][0]!r} is repeated"
        )
    return _segment_frame(_with_paths(frame, hierarchy_separator))


def qdpx_segments(project: QdaProject, source: str) -> pl.DataFrame:
    """The codings of a REFI-QDA project as segments (code = last part of the code path)."""
    rows = [
        {
            "segment_id": s.segment_id,
            "document": s.document,
            "code": s.code_path[-1],
            "text": s.text,
            "source": source,
            "row": s.ordinal,
            "code_path": list(s.code_path),
            "page": None if s.page is None else str(s.page),
            "format": "qdpx",
        }
        for s in project.segments
    ]
    return pl.DataFrame(
        rows,
        schema={
            "segment_id": pl.String,
            "document": pl.String,
            "code": pl.String,
            "text": pl.String,
            "source": pl.String,
            "row": pl.Int64,
            "code_path": pl.List(pl.String),
            "page": pl.String,
            "format": pl.String,
        },
    )


def detect_format(sheet_columns: Sequence[str]) -> str:
    """``taguette`` or ``generic`` from a sheet's header."""
    keys = {c.strip().lower() for c in sheet_columns}
    if {"id", "document", "tag", "content"} <= keys:
        return "taguette"
    if {"study", "code", "quote", "page"} <= keys:
        return "generic"
    raise CodingError(
        f"cannot tell the coding format from columns {list(sheet_columns)}: expected "
        "id,document,tag,content (Taguette) or study,code,quote,page (generic)"
    )


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


# -- resolution and prevalence ---------------------------------------------------------------


def resolve_segments(
    segments: pl.DataFrame,
    documents: pl.DataFrame | None,
    clusters: pl.DataFrame,
    codebook: pl.DataFrame,
    included: Sequence[str],
) -> pl.DataFrame:
    """Attach study IDs through the document map and give every segment a status.

    A document missing from the map may itself be a record ID or a study ID (generic sheets).
    """
    record_to_study = dict(zip(clusters["record_id"], clusters["study_id"], strict=True))
    study_ids = set(clusters["study_id"].to_list())
    doc_study: dict[str, str | None] = {}
    if documents is not None:
        for doc, ref in documents.select("document", "record_id").rows():
            key = (ref or "").strip()
            doc_study[str(doc).strip()] = record_to_study.get(
                key, key if key in study_ids or key.startswith("S-") else None
            )
    for doc in segments["document"].unique().to_list():
        if doc not in doc_study:
            doc_study[doc] = doc if doc in study_ids else record_to_study.get(doc)
    known_codes = set(codebook["code"].to_list())
    for col, dtype in (
        ("code_path", pl.List(pl.String)),
        ("page", pl.String),
        ("format", pl.String),
    ):
        if col not in segments.columns:
            segments = segments.with_columns(pl.lit(None, dtype).alias(col))
    frame = segments.with_columns(
        pl.col("document")
        .replace_strict(doc_study, default=None, return_dtype=pl.String)
        .alias("study_id")
    ).with_columns(
        pl.when(pl.col("study_id").is_null())
        .then(pl.lit("unknown_document"))
        .when(~pl.col("study_id").is_in(list(included)))
        .then(pl.lit("not_included"))
        .when(~pl.col("code").is_in(list(known_codes)))
        .then(pl.lit("unknown_code"))
        .otherwise(pl.lit("ok"))
        .alias("status")
    )
    return schemas.validate(
        frame.select(list(schemas.SEGMENTS.columns)).sort("source", "row", "segment_id"),
        schemas.SEGMENTS,
    )


def check_unknown(segments: pl.DataFrame, on_unknown: str) -> None:
    """With ``on_unknown == "error"``, segments for unknown documents or codes stop the run."""
    if on_unknown != "error":
        return
    bad = segments.filter(pl.col("status").is_in(["unknown_document", "unknown_code"]))
    if bad.height:
        lines = [
            f"{src}, row {row}: {status.replace('_', ' ')} "
            f"({'document ' + repr(doc) if status == 'unknown_document' else 'code ' + repr(code)})"
            for src, row, status, doc, code in bad.select(
                "source", "row", "status", "document", "code"
            ).rows()
        ]
        raise CodingError(
            f"{len(lines)} coded segment(s) for unknown documents or codes:\n  "
            + "\n  ".join(lines)
        )


def prevalence(
    segments: pl.DataFrame, codebook: pl.DataFrame, threshold: Threshold
) -> pl.DataFrame:
    ok = segments.filter(pl.col("status") == "ok")
    per_code = ok.group_by("code").agg(
        pl.col("study_id").unique().sort().alias("study_ids"),
        pl.len().cast(pl.Int64).alias("n_segments"),
    )
    frame = (
        codebook.select("code", "theme", "overarching_theme", "origin", "definition")
        .join(per_code, on="code", how="left")
        .with_columns(
            pl.col("study_ids").fill_null(pl.lit([], dtype=pl.List(pl.String))),
            pl.col("n_segments").fill_null(0),
        )
        .with_columns(pl.col("study_ids").list.len().cast(pl.Int64).alias("n_studies"))
    )
    metric = pl.col(threshold.metric)
    frame = frame.with_columns(
        (metric > threshold.drop_at_or_below).alias("kept"),
        pl.when(metric <= threshold.drop_at_or_below)
        .then(
            pl.format(
                "{} = {} is at or below the threshold {}",
                pl.lit(threshold.metric),
                metric,
                pl.lit(threshold.drop_at_or_below),
            )
        )
        .otherwise(None)
        .alias("drop_reason"),
    )
    return schemas.validate(frame.select(list(schemas.PREVALENCE.columns)), schemas.PREVALENCE)


def code_counts(segments: pl.DataFrame, prev: pl.DataFrame, threshold: Threshold) -> list[Count]:
    emit = Emitter("05_codes", "codes")
    seg_key = pl.col("source") + "#" + pl.col("segment_id")
    keyed = segments.with_columns(seg_key.alias("_key"))
    counts: list[Count] = [
        emit.count(
            "segments.total",
            keyed["_key"].to_list(),
            unit="segments",
            label="Coded segments read",
            id_kind="segment_id",
        ),
        emit.count(
            "codes_found",
            prev.filter(pl.col("n_segments") > 0)["code"].to_list()
            + keyed.filter(pl.col("status") == "unknown_code")["code"].to_list(),
            unit="codes",
            label="Codes applied to included studies",
            id_kind="code",
        ),
        emit.count(
            "codes_kept",
            prev.filter(pl.col("kept"))["code"].to_list(),
            unit="codes",
            label="Codes kept after the prevalence threshold",
            id_kind="code",
        ),
        emit.count(
            "codes_dropped",
            prev.filter(~pl.col("kept"))["code"].to_list(),
            unit="codes",
            label="Codes dropped by the prevalence threshold",
            id_kind="code",
        ),
        emit.measure(
            "prevalence.threshold",
            threshold.drop_at_or_below,
            unit=threshold.metric,
            label=f"Codes with {threshold.metric} at or below this are dropped",
        ),
        emit.count(
            "codes_codebook",
            prev["code"].to_list(),
            unit="codes",
            label="Codes in the codebook",
            id_kind="code",
        ),
        emit.count(
            "codes_deductive",
            prev.filter(pl.col("kept") & (pl.col("origin") == "deductive"))["code"].to_list(),
            unit="codes",
            label="Kept codes of deductive origin",
            id_kind="code",
        ),
        emit.count(
            "codes_unknown",
            keyed.filter(pl.col("status") == "unknown_code")["code"].to_list(),
            unit="codes",
            label="Codes applied to included studies but missing from the codebook",
            id_kind="code",
        ),
        emit.count(
            "coded_studies",
            keyed.filter(pl.col("status") == "ok")["study_id"].to_list(),
            unit="studies",
            label="Included studies with at least one counted coded segment",
            id_kind="study_id",
        ),
    ]
    for status in STATUSES:
        counts.append(
            emit.count(
                f"segments.{status}",
                keyed.filter(pl.col("status") == status)["_key"].to_list(),
                unit="segments",
                label=f"Coded segments with status {status}",
                id_kind="segment_id",
            )
        )
    ok = keyed.filter(pl.col("status") == "ok")
    for code, ids in prev.select("code", "study_ids").iter_rows():
        counts.append(
            emit.count(
                f"code.{slug(code)}.n_studies",
                ids,
                unit="studies",
                label=f"Studies coded '{code}'",
                id_kind="study_id",
            )
        )
        counts.append(
            emit.count(
                f"code.{slug(code)}.n_segments",
                ok.filter(pl.col("code") == code)["_key"].to_list(),
                unit="segments",
                label=f"Segments coded '{code}'",
                id_kind="segment_id",
            )
        )
    return counts
