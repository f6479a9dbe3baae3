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
        "issn": StrList,
        "isbn": StrList,
        "source_sha256": Str,
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
        "reasons": StrList,
    },
    required=("study_id", "stage", "reviewer", "decision", "sheet", "row"),
    description="reviewer 'consensus' marks a consensus decision; reasons lists every code the "
    "row gave, reason is the one reported (criteria priority)",
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
        "pending_kind": Str,
        "pending_reason": Str,
    },
    required=("study_id", "final", "pending"),
    description="stage columns hold include/exclude/not_retrieved/pending or null when the study "
    "never reached the stage; final is included/excluded_title_abstract/excluded_full_text/"
    "not_retrieved/excluded_automatic/pending; pending_kind (not_screened, awaiting_reviewer, "
    "conflict, maybe) and pending_reason say why a pending study waits",
    checks=(
        (
            "pending_kind set exactly when pending",
            pl.col("pending_kind").is_null() != pl.col("pending"),
        ),
    ),
)

AGREEMENT = TableSchema(
    name="agreement",
    path="03_screen/agreement.parquet",
    grain="one row per screening stage",
    key=("stage",),
    columns={
        "stage": Str,
        "reviewers_configured": Int,
        "reviewers": StrList,
        "n_compared": Int,
        "n_agreed": Int,
        "n_disagreed": Int,
        "categories": StrList,
        "percent_agreement": pl.Float64(),
        "kappa": pl.Float64(),
        "ac1": pl.Float64(),
    },
    required=("stage", "reviewers_configured", "n_compared", "n_agreed", "n_disagreed"),
    description="agreement of two independent reviewers on the studies both decided "
    "(n_compared); statistics are null when undefined (nothing compared, or kappa when chance "
    "agreement is certain)",
    checks=(
        (
            "n_compared == n_agreed + n_disagreed",
            pl.col("n_compared") == pl.col("n_agreed") + pl.col("n_disagreed"),
        ),
    ),
)

CONFLICTS = TableSchema(
    name="conflicts",
    path="03_screen/conflicts.parquet",
    grain="one row per study and stage where two independent reviewers disagree",
    key=("stage", "study_id"),
    columns={
        "study_id": Str,
        "stage": Str,
        "reviewer_a": Str,
        "decision_a": Str,
        "reason_a": Str,
        "note_a": Str,
        "reviewer_b": Str,
        "decision_b": Str,
        "reason_b": Str,
        "note_b": Str,
        "consensus_decision": Str,
        "consensus_reason": Str,
        "resolved": Bool,
    },
    required=(
        "study_id",
        "stage",
        "reviewer_a",
        "decision_a",
        "reviewer_b",
        "decision_b",
        "resolved",
    ),
    description="resolved when a consensus row decides the study (03_screen/conflicts.xlsx is "
    "the same list as a sheet to fill in)",
)

CARRYOVER = TableSchema(
    name="carryover",
    path="03_screen/carryover.parquet",
    grain="one row per stage and record that joined an already-screened study",
    key=("stage", "study_id", "record_id"),
    columns={
        "study_id": Str,
        "stage": Str,
        "record_id": Str,
        "search_date": Str,
        "screened_on": Str,
        "adds_abstract": Bool,
    },
    required=("study_id", "stage", "record_id", "adds_abstract"),
    description="records searched after the study's first decision at the stage; they inherit "
    "its decisions; adds_abstract flags them for a second look",
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
        "code_path": StrList,
        "page": Str,
        "format": Str,
    },
    required=("segment_id", "document", "code", "source", "row", "status"),
    description="status: ok, unknown_document, not_included, unknown_code; code is the last "
    "part of the tag as written, code_path the whole hierarchy (e.g. ['Repair', 'Empathy']); "
    "row is the sheet row (CSV) or the coding's position in the project (.qdpx); format is "
    "taguette, generic or qdpx",
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

CODEBOOK = TableSchema(
    name="codebook",
    path="05_codes/codebook.parquet",
    grain="one row per codebook code",
    key=("code",),
    columns={
        "code": Str,
        "theme": Str,
        "overarching_theme": Str,
        "origin": Str,
        "definition": Str,
        "parent": Str,
        "n_segments_reported": Int,
        "n_documents_reported": Int,
    },
    required=("code", "theme", "overarching_theme", "origin"),
    description="the codebook as read (table, Taguette codebook export or .qdpx): parent is the "
    "code a hierarchical code sits under (null at the top); n_*_reported are the counts the "
    "coding tool's own codebook export states (Taguette), null when it states none",
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

CHARACTERISTICS = TableSchema(
    name="characteristics",
    path="04_extract/characteristics.parquet",
    grain="one row per counted charting field and value",
    key=("field", "value"),
    columns={
        "field": Str,
        "field_label": Str,
        "value": Str,
        "count_id": Str,
        "n_studies": Int,
        "n_included": Int,
        "pct": pl.Float64(),
        "study_ids": StrList,
    },
    required=("field", "value", "count_id", "n_studies", "n_included", "study_ids"),
    description="value 'not charted' holds the included studies with an empty cell (fields "
    "without empty_value); pct = 100 * n_studies / n_included; a list field's study counts "
    "once per value it lists",
    checks=(
        ("n_studies == len(study_ids)", pl.col("n_studies") == pl.col("study_ids").list.len()),
    ),
)

OVERARCHING = TableSchema(
    name="overarching",
    path="06_themes/overarching.parquet",
    grain="one row per overarching theme",
    key=("overarching_theme",),
    columns={
        "overarching_theme": Str,
        "themes": StrList,
        "codes": StrList,
        "n_themes": Int,
        "n_codes": Int,
        "study_ids": StrList,
        "n_studies": Int,
    },
    required=("overarching_theme", "themes", "codes", "n_themes", "n_codes", "n_studies"),
    description="kept codes only; study_ids: distinct studies coded with any of them",
)

COOCCURRENCE = TableSchema(
    name="cooccurrence",
    path="06_themes/cooccurrence.parquet",
    grain="one row per unordered pair of kept codes found together in at least one study",
    key=("code_a", "code_b"),
    columns={
        "code_a": Str,
        "code_b": Str,
        "theme_a": Str,
        "theme_b": Str,
        "count_id": Str,
        "n_studies": Int,
        "study_ids": StrList,
    },
    required=("code_a", "code_b", "count_id", "n_studies", "study_ids"),
    description="code_a < code_b; counted by study (a study coded with both codes), from "
    "segments with status ok",
    checks=(("code_a < code_b", pl.col("code_a") < pl.col("code_b")),),
)

EVIDENCE_MAP = TableSchema(
    name="evidence_map",
    path="06_themes/evidence_map.parquet",
    grain="one row per charted field, theme and charted value with at least one study",
    key=("field", "theme", "value"),
    columns={
        "field": Str,
        "theme": Str,
        "overarching_theme": Str,
        "value": Str,
        "count_id": Str,
        "n_studies": Int,
        "study_ids": StrList,
    },
    required=("field", "theme", "overarching_theme", "value", "count_id", "n_studies"),
    description="studies contributing to a theme (kept codes) whose charted field has the value",
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
    AGREEMENT,
    CONFLICTS,
    CARRYOVER,
    CHARTING,
    SEGMENTS,
    PREVALENCE,
    THEMES,
    QUALITY,
    LEDGER,
    CHARACTERISTICS,
    CODEBOOK,
    OVERARCHING,
    COOCCURRENCE,
    EVIDENCE_MAP,
    REVIEW_QUEUE,
    RELATIONS,
)

# --- living updates (versions.py) ------------------------------------------------------------

CHANGES = TableSchema(
    name="changes",
    path="08_changes/changes.parquet",
    grain="one row per item that changed since the previous version",
    key=("change", "id"),
    columns={
        "change": Str,
        "id": Str,
        "id_kind": Str,
        "source_id": Str,
        "study_id": Str,
        "previous": Str,
        "current": Str,
    },
    required=("change", "id", "id_kind"),
    description="change: new_record, duplicate_of_known, duplicate_of_included, new_study, "
    "included, excluded, pending, status_changed, record_removed, study_removed; previous/"
    "current hold the final screening status where it changed; empty without a previous version",
)

VERSION_INCLUDED = TableSchema(
    name="included",
    path="versions/vNNN/included.parquet",
    grain="one row per study included in a frozen version",
    key=("study_id",),
    columns={
        "study_id": Str,
        "representative_record_id": Str,
        "record_ids": StrList,
        "title": Str,
        "year": Int,
        "doi": Str,
    },
    required=("study_id", "representative_record_id", "record_ids"),
)

ALL = (*ALL, CHANGES, VERSION_INCLUDED)

# --- prioritised screening (prioritisation.py) -----------------------------------------------

Float = pl.Float64()

RANKING = TableSchema(
    name="ranking",
    path="03_screen/ranking.parquet",
    grain="one row per study awaiting title/abstract screening",
    key=("study_id",),
    columns={
        "study_id": Str,
        "rank": Int,
        "score": Float,
        "top_terms": StrList,
    },
    required=("study_id", "rank", "top_terms"),
    description="rank 1 = screen first; score = the model's probability of inclusion (null while "
    "the decisions hold no include or no exclude); top_terms = terms that raised the score most",
)

ROUNDS = TableSchema(
    name="rounds",
    path="03_screen/rounds.parquet",
    grain="one row per search round after the first",
    key=("round",),
    columns={
        "round": Int,
        "search_date": Str,
        "studies": Int,
        "includes": Int,
        "trained_on": Int,
        "found_10pct": Int,
        "found_25pct": Int,
        "found_50pct": Int,
    },
    required=("round", "search_date", "studies", "includes", "trained_on"),
    description="studies first found in the round and decided at title/abstract, ranked by the "
    "model of the earlier rounds' decisions; found_x = title/abstract includes among the first "
    "ceil(x * studies) of that ranking (null without a model)",
)

STOPPING = TableSchema(
    name="stopping",
    path="03_screen/stopping.parquet",
    grain="one row: the stopping rule's test on the title/abstract decisions so far",
    key=("rule",),
    columns={
        "rule": Str,
        "recall_target": Float,
        "confidence": Float,
        "n_total": Int,
        "n_screened": Int,
        "includes_found": Int,
        "p_value": Float,
        "sample_size": Int,
        "stop": Bool,
        "applied": Bool,
        "set_aside": Int,
    },
    required=("rule", "recall_target", "confidence", "stop", "applied", "set_aside"),
    description="stop: the unscreened remainder may be set aside (p < 1 - confidence); applied: "
    "the config's apply switch was on and the remainder was excluded (PRISMA: marked as "
    "ineligible by automation tools)",
)

ALL = (*ALL, RANKING, ROUNDS, STOPPING)
