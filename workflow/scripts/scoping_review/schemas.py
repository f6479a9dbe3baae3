"""The data contract: one declared schema per stage table, with its grain and key.

Every stage adapter validates what it writes with :func:`validate`, so a table that breaks
its contract stops the run at the boundary where it was produced, not three stages later.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

Str = pl.String()
Int = pl.Int64()
Bool = pl.Boolean()
StrList = pl.List(pl.String())
InputHash = pl.Struct({"name": pl.String(), "sha256": pl.String()})


class SchemaError(ValueError):
    """A stage table does not meet its declared contract."""


@dataclass(frozen=True)
class TableSchema:
    """A stage table's contract: columns and dtypes, grain, key and non-null columns."""

    name: str
    path: str
    grain: str
    key: tuple[str, ...]
    columns: dict[str, pl.DataType]
    required: tuple[str, ...] = ()
    open_columns: bool = False  # extra columns allowed (e.g. charting form fields)
    description: str = ""
    # row-level rules: (what must hold, expression true on every valid row)
    checks: tuple[tuple[str, pl.Expr], ...] = field(default=())

    @property
    def polars_schema(self) -> pl.Schema:
        return pl.Schema(self.columns)

    def empty(self) -> pl.DataFrame:
        return pl.DataFrame(schema=self.polars_schema)


def validate(df: pl.DataFrame, schema: TableSchema) -> pl.DataFrame:
    """Check ``df`` against ``schema``; return it with columns in contract order.

    Raises :class:`SchemaError` naming the table, the column and (for key or null
    violations) the first offending values.
    """
    problems: list[str] = []
    missing = [c for c in schema.columns if c not in df.columns]
    if missing:
        problems.append(f"missing columns {missing}")
    extra = [c for c in df.columns if c not in schema.columns]
    if extra and not schema.open_columns:
        problems.append(f"undeclared columns {extra}")
    for col, dtype in schema.columns.items():
        if col in df.columns and df.schema[col] != dtype:
            problems.append(f"column {col!r} has dtype {df.schema[col]}, contract says {dtype}")
    if problems:
        raise SchemaError(f"{schema.name} ({schema.path}): " + "; ".join(problems))
    for col in schema.required:
        n_null = df.get_column(col).null_count()
        if n_null:
            raise SchemaError(f"{schema.name}: column {col!r} must not be null ({n_null} nulls)")
    if schema.key and df.height:
        dup = df.group_by(list(schema.key)).len().filter(pl.col("len") > 1)
        if dup.height:
            sample = dup.head(5).select(list(schema.key)).rows()
            raise SchemaError(
                f"{schema.name}: key {list(schema.key)} is not unique "
                f"({dup.height} repeated keys, e.g. {sample}); grain is {schema.grain}"
            )
    for rule, expr in schema.checks:
        bad = df.filter(~expr)
        if bad.height:
            sample = bad.head(3).select(list(schema.key)).rows() if schema.key else []
            raise SchemaError(f"{schema.name}: {bad.height} rows break '{rule}', e.g. {sample}")
    ordered = list(schema.columns) + [c for c in df.columns if c not in schema.columns]
    return df.select(ordered)


FILES = TableSchema(
    name="files",
    path="01_import/files.parquet",
    grain="one row per input file",
    key=("source_id", "path"),
    columns={
        "source_id": Str,
        "database": Str,
        "path": Str,
        "sha256": Str,
        "format": Str,
        "encoding": Str,
        "encoding_note": Str,
        "n_raw": Int,
        "n_parsed": Int,
        "n_rejected": Int,
        "notes": StrList,
    },
    required=("source_id", "path", "sha256", "format", "n_raw", "n_parsed", "n_rejected"),
    description="notes: what the reader noticed and kept going (a record without its end tag, "
    "text outside any record, repeated native IDs), each with its line",
    checks=(
        (
            "n_raw == n_parsed + n_rejected",
            pl.col("n_raw") == pl.col("n_parsed") + pl.col("n_rejected"),
        ),
    ),
)

RECORDS = TableSchema(
    name="records",
    path="01_import/records.parquet",
    grain="one row per parsed record",
    key=("record_id",),
    columns={
        "record_id": Str,
        "source_id": Str,
        "database": Str,
        "search_date": Str,
        "source_file": Str,
        "source_line": Int,
        "native_id": Str,
        "title": Str,
        "abstract": Str,
        "authors": StrList,
        "year": Int,
        "journal": Str,
        "volume": Str,
        "issue": Str,
        "pages": Str,
        "doi": Str,
        "pmid": Str,
        "accession": Str,
        "language": Str,
        "publication_type": Str,
        "keywords": StrList,
        "url": Str,
        "raw_tags": StrList,
        "raw_values": StrList,
    },
    required=("record_id", "source_id", "source_file", "source_line"),
    description="raw_tags/raw_values keep every tag the export carried, in file order",
)

REJECTS = TableSchema(
    name="rejects",
    path="01_import/rejects.parquet",
    grain="one row per rejected raw record",
    key=("file", "line"),
    columns={"source_id": Str, "file": Str, "line": Int, "reason": Str, "raw": Str},
    required=("source_id", "file", "line", "reason"),
)

CLUSTERS = TableSchema(
    name="clusters",
    path="02_dedupe/clusters.parquet",
    grain="one row per record",
    key=("record_id",),
    columns={
        "record_id": Str,
        "study_id": Str,
        "is_representative": Bool,
        "rule": Str,
        "linked_to": Str,
        "score": pl.Float64(),
        "link_rule": Str,
        "evidence": Str,
    },
    required=("record_id", "study_id", "is_representative", "rule"),
    description="rule is 'unique' for singletons, 'representative' for the chosen record, "
    "else the match rule (doi, pmid, title_year, ...; see dedupe.RULE_TEXT) that linked it to "
    "`linked_to`; score is that link's title similarity (0-100); link_rule is the rule of the "
    "record's strongest link (also for the representative); evidence lists the link's scores "
    "(title, authors, journal, year, DOI, volume, issue, pages)",
)

STUDIES = TableSchema(
    name="studies",
    path="02_dedupe/studies.parquet",
    grain="one row per unique study",
    key=("study_id",),
    columns={
        "study_id": Str,
        "representative_record_id": Str,
        "record_ids": StrList,
        "databases": StrList,
        "n_records": Int,
        "title": Str,
        "authors": StrList,
        "year": Int,
        "journal": Str,
        "volume": Str,
        "issue": Str,
        "pages": Str,
        "doi": Str,
        "pmid": Str,
        "abstract": Str,
        "publication_type": Str,
        "language": Str,
        "dois": StrList,
        "pmids": StrList,
    },
    required=("study_id", "representative_record_id", "record_ids", "n_records"),
    description="the representative record's fields, gaps filled from the other members; "
    "dois/pmids: every distinct DOI and PMID among the members",
)

REVIEW_QUEUE = TableSchema(
    name="review_queue",
    path="02_dedupe/review_queue.parquet",
    grain="one row per record pair awaiting a person's decision",
    key=("record_id_a", "record_id_b"),
    columns={
        "record_id_a": Str,
        "record_id_b": Str,
        "study_id_a": Str,
        "study_id_b": Str,
        "reason": Str,
        "title_similarity": pl.Float64(),
        "author_similarity": pl.Float64(),
        "evidence": Str,
        **{
            f"{c}_{side}": Str
            for c in ("title", "authors", "year", "journal", "volume", "issue", "pages", "doi")
            for side in ("a", "b")
        },
        "decision": Str,
        "note": Str,
    },
    required=("record_id_a", "record_id_b", "study_id_a", "study_id_b", "reason"),
    description="maybe pairs (and links the chaining guard refused) in different studies; "
    "copy a row with decision same/different into a dedupe.decisions sheet",
)

RELATIONS = TableSchema(
    name="relations",
    path="02_dedupe/relations.parquet",
    grain="one row per pair of related but distinct records",
    key=("record_id_a", "record_id_b"),
    columns={
        "record_id_a": Str,
        "record_id_b": Str,
        "relation": Str,
        "meaning": Str,
        "study_id_a": Str,
        "study_id_b": Str,
        "title_similarity": pl.Float64(),
        "evidence": Str,
    },
    required=("record_id_a", "record_id_b", "relation", "study_id_a", "study_id_b"),
    description="relation: erratum, retraction, expression_of_concern, preprint, "
    "conference_abstract; record_id_a is the notice/preprint/abstract, record_id_b the record "
    "it relates to; the two are kept as separate studies",
)

DECISIONS = TableSchema(
    name="decisions",
    path="03_screen/decisions.parquet",
    grain="one row per screening decision",
    key=("stage", "reviewer", "study_id"),
    columns={
        "study_id": Str,
        "stage": Str,
        "reviewer": Str,
        "decision": Str,
        "reason": Str,
        "date": Str,
        "note": Str,
        "sheet": Str,
        "row": Int,
        "referenced_as": Str,
    },
    required=("study_id", "stage", "reviewer", "decision", "sheet", "row"),
)

STATUS = TableSchema(
    name="status",
    path="03_screen/status.parquet",
    grain="one row per study",
    key=("study_id",),
    columns={
        "study_id": Str,
        "title_abstract": Str,
        "title_abstract_reason": Str,
        "full_text": Str,
        "full_text_reason": Str,
        "final": Str,
        "final_reason": Str,
        "pending": Bool,
    },
    required=("study_id", "final", "pending"),
    description="stage columns hold include/exclude/not_retrieved/pending or null when the study "
    "never reached the stage; final is included/excluded_title_abstract/excluded_full_text/"
    "not_retrieved/excluded_automatic/pending",
)

CHARTING = TableSchema(
    name="charting",
    path="04_extract/charting.parquet",
    grain="one row per included study",
    key=("study_id",),
    columns={"study_id": Str, "study_label": Str, "sheet": Str, "row": Int},
    required=("study_id", "sheet", "row"),
    open_columns=True,
    description="one column per charting-form field (normalised) plus <field>__raw as typed",
)

SEGMENTS = TableSchema(
    name="segments",
    path="05_codes/segments.parquet",
    grain="one row per coded segment",
    key=("source", "segment_id"),
    columns={
        "segment_id": Str,
        "study_id": Str,
        "document": Str,
        "code": Str,
        "text": Str,
        "source": Str,
        "row": Int,
        "status": Str,
    },
    required=("segment_id", "document", "code", "source", "row", "status"),
    description="status: ok, unknown_document, not_included, unknown_code",
)

PREVALENCE = TableSchema(
    name="prevalence",
    path="05_codes/prevalence.parquet",
    grain="one row per codebook code",
    key=("code",),
    columns={
        "code": Str,
        "theme": Str,
        "overarching_theme": Str,
        "origin": Str,
        "definition": Str,
        "n_studies": Int,
        "n_segments": Int,
        "study_ids": StrList,
        "kept": Bool,
        "drop_reason": Str,
    },
    required=("code", "theme", "overarching_theme", "origin", "n_studies", "n_segments", "kept"),
)

THEMES = TableSchema(
    name="themes",
    path="06_themes/themes.parquet",
    grain="one row per theme",
    key=("theme",),
    columns={
        "theme": Str,
        "overarching_theme": Str,
        "codes": StrList,
        "codes_dropped": StrList,
        "n_codes": Int,
        "study_ids": StrList,
        "n_studies": Int,
    },
    required=("theme", "overarching_theme", "codes", "n_codes", "n_studies"),
)

QUALITY = TableSchema(
    name="quality",
    path="quality/issues.parquet",
    grain="one row per data-quality finding",
    key=("issue_id",),
    columns={
        "issue_id": Str,
        "check": Str,
        "severity": Str,
        "subject": Str,
        "message": Str,
        "where": Str,
        "ids": StrList,
    },
    required=("issue_id", "check", "severity", "message"),
    description="severity: error, warning, info; ids are the record/study ids concerned",
)

LEDGER = TableSchema(
    name="counts",
    path="ledger/counts.parquet",
    grain="one row per reported count",
    key=("count_id",),
    columns={
        "count_id": Str,
        "value": Int,
        "unit": Str,
        "label": Str,
        "stage": Str,
        "rule": Str,
        "id_kind": Str,
        "ids": StrList,
        "inputs": pl.List(InputHash),
    },
    required=("count_id", "value", "unit", "label", "stage", "rule", "id_kind", "ids"),
    description="for counts of things (id_kind != 'none') len(ids) == value",
)

ALL: tuple[TableSchema, ...] = (
    FILES,
    RECORDS,
    REJECTS,
    CLUSTERS,
    STUDIES,
    DECISIONS,
    STATUS,
    CHARTING,
    SEGMENTS,
    PREVALENCE,
    THEMES,
    QUALITY,
    LEDGER,
    REVIEW_QUEUE,
    RELATIONS,
)
