"""02_dedupe: group records of the same study, explain every link, assign stable study IDs.

Pipeline (every step column-wise on polars frames; Python loops only inside the rare
components that the chaining guard has to rebuild):

1. **Keys** (:mod:`.keys`): normalised title (markup, diacritics, brackets, notice prefixes),
   surnames, journal and its initials, volume, issue, first/last page, DOI, PMID, abstract, and
   flags for notices (erratum, retraction), preprints and conference abstracts.
2. **Blocking** (:mod:`.blocking`): records are compared only when they share a DOI, PMID, title
   head or tail, first author + year, or volume + first page + year (sorted neighbourhood).
3. **Scoring** (:mod:`.scoring`): rapidfuzz similarities per pair and a three-way verdict:
   *duplicate* (named by the rule that fired), *maybe* (to the review queue) or *distinct*;
   related records (erratum, retraction, preprint, conference abstract) are never merged.
4. **Clustering** (:mod:`.clustering`): components of the duplicate links, with a guard that
   rebuilds any component holding two records that cannot be the same study; people's
   decisions (same/different) override the rules on every run.

Study IDs are stable: ``S-`` plus a hash of the study's anchor record, its earliest record by
(search date, record_id). New searches are dated later, so new records never displace an anchor.
The representative record is the most complete one (most filled fields among title, abstract,
authors, year, journal, volume, issue, pages, DOI, PMID), then the earliest searched, then the
smallest record_id; fields it lacks are filled from the other members.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, fields

import polars as pl

from .. import schemas
from ..ledger import Count, Emitter
from ..spreadsheet import Worksheet
from . import blocking, clustering, scoring
from .keys import match_keys
from .scoring import DUPLICATE_RULES, RELATION_TEXT, RULE_TEXT

__all__ = [
    "RULES",
    "RULE_TEXT",
    "DecisionError",
    "DedupeResult",
    "DedupeSettings",
    "decisions_from_sheet",
    "dedupe_counts",
    "deduplicate",
    "review_worksheet",
    "run",
    "study_id_for",
]

RULES = (*DUPLICATE_RULES, "override")
COMPLETENESS_FIELDS = (
    "title",
    "abstract",
    "year",
    "journal",
    "volume",
    "issue",
    "pages",
    "doi",
    "pmid",
)
DECISION_VALUES = ("same", "different")
_PRIORITY = {rule: len(DUPLICATE_RULES) - k for k, rule in enumerate(DUPLICATE_RULES)}


class DecisionError(ValueError):
    """A row of a dedupe decisions sheet is unusable; the message names the sheet and row."""


@dataclass(frozen=True)
class DedupeSettings:
    """Thresholds (0-100 similarities). Every field is a ``dedupe:`` config key."""

    min_title_similarity: float = 90.0
    min_title_words: int = 4
    fuzzy_title_similarity: float = 95.0
    maybe_title_similarity: float = 85.0
    min_author_similarity: float = 80.0
    min_journal_similarity: float = 90.0
    guard_min_title_similarity: float = 70.0
    block_window: int = 10

    @classmethod
    def from_config(cls, config: dict[str, object]) -> DedupeSettings:
        """Settings from the ``dedupe:`` config section (keys that are not thresholds, such as
        ``decisions``, are ignored here)."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in config.items() if k in names})  # type: ignore[arg-type]


@dataclass(frozen=True)
class DedupeResult:
    clusters: pl.DataFrame
    studies: pl.DataFrame
    review_queue: pl.DataFrame
    relations: pl.DataFrame
    pairs_compared: int


def study_id_for(anchor_record_id: str) -> str:
    return "S-" + hashlib.sha1(anchor_record_id.encode()).hexdigest()[:10]


def _study_ids(anchors: pl.Series) -> pl.Series:
    """:func:`study_id_for` over a column, hashing each distinct anchor once."""
    unique = anchors.unique()
    mapping = dict(zip(unique.to_list(), [study_id_for(a) for a in unique.to_list()], strict=True))
    return anchors.replace_strict(mapping, return_dtype=pl.String)


def _decision_pairs(decisions: pl.DataFrame | None, keys: pl.DataFrame) -> pl.DataFrame:
    """People's decisions as (i, j, human, note), checked: known IDs, same/different."""
    schema = {"i": pl.UInt32, "j": pl.UInt32, "human": pl.String, "human_note": pl.String}
    if decisions is None or decisions.is_empty():
        return pl.DataFrame(schema=schema)
    frame = decisions
    for col in ("sheet", "row", "note"):
        if col not in frame.columns:
            frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias(col))
    frame = frame.with_columns(
        pl.col("decision").str.strip_chars().str.to_lowercase(),
        pl.col("record_id_a").str.strip_chars(),
        pl.col("record_id_b").str.strip_chars(),
    )
    index = keys.select("record_id", "i")
    frame = frame.join(
        index.rename({"record_id": "record_id_a", "i": "ia"}), on="record_id_a", how="left"
    ).join(index.rename({"record_id": "record_id_b", "i": "ib"}), on="record_id_b", how="left")
    for row in frame.iter_rows(named=True):
        where = f"{row['sheet'] or 'decisions'}: row {row['row']}"
        for side in ("a", "b"):
            if row[f"i{side}"] is None:
                raise DecisionError(
                    f"{where}: record_id_{side} {row[f'record_id_{side}']!r} is not a known record"
                )
        if row["decision"] not in DECISION_VALUES:
            raise DecisionError(
                f"{where}: decision {row['decision']!r} is not one of {list(DECISION_VALUES)}"
            )
        if row["ia"] == row["ib"]:
            raise DecisionError(f"{where}: a record is paired with itself")
    pairs = frame.select(
        pl.min_horizontal("ia", "ib").alias("i"),
        pl.max_horizontal("ia", "ib").alias("j"),
        pl.col("decision").alias("human"),
        pl.col("note").alias("human_note"),
    )
    clash = pairs.group_by("i", "j").agg(pl.col("human").n_unique()).filter(pl.col("human") > 1)
    if clash.height:
        ids = keys["record_id"]
        i, j = clash.row(0)[:2]
        raise DecisionError(f"decisions say both same and different for {ids[i]} and {ids[j]}")
    return pairs.unique(["i", "j"], keep="last").cast(schema)  # type: ignore[arg-type]


def _score_pairs(keys: pl.DataFrame, pairs: pl.DataFrame, settings: DedupeSettings) -> pl.DataFrame:
    return scoring.verdicts(scoring.pair_features(keys, pairs), settings)


def _cannot_link(scored: pl.DataFrame, settings: DedupeSettings) -> pl.Expr:
    """Two records that must not share a study, whatever links lie between them."""
    ids_agree = (pl.col("doi") == 1).fill_null(False) | (pl.col("pmid") == 1).fill_null(False)
    unrelated_titles = (pl.col("ti") < settings.guard_min_title_similarity).fill_null(False) & (
        pl.col("ti_set") < 90
    ).fill_null(True)
    return (
        (pl.col("doi") == 0).fill_null(False)
        | ((pl.col("yr") > 1).fill_null(False) & ~ids_agree)
        | (unrelated_titles & ~ids_agree)
        | pl.col("relation").is_not_null()
    )


def run(
    records: pl.DataFrame,
    settings: DedupeSettings | None = None,
    decisions: pl.DataFrame | None = None,
) -> DedupeResult:
    """Deduplicate ``records`` (a records table); ``decisions`` holds people's same/different
    calls (columns record_id_a, record_id_b, decision, and optionally note, sheet, row)."""
    settings = settings or DedupeSettings()
    keys = match_keys(records)
    n = keys.height
    human = _decision_pairs(decisions, keys)
    pairs = (
        pl.concat([blocking.candidate_pairs(keys, settings.block_window), human.select("i", "j")])
        .unique()
        .sort("i", "j")
    )
    scored = _score_pairs(keys, pairs, settings).join(human, on=["i", "j"], how="left")

    auto = scored.filter((pl.col("verdict") == "duplicate") & (pl.col("human").is_null()))
    forced = scored.filter(pl.col("human") == "same")
    edges = pl.concat(
        [
            auto.select(
                "i",
                "j",
                pl.col("rule"),
                pl.col("rule").replace_strict(_PRIORITY, return_dtype=pl.Int64).alias("priority"),
                pl.col("ti").fill_null(0.0).alias("score"),
            ),
            forced.select(
                "i",
                "j",
                pl.lit("override").alias("rule"),
                pl.lit(clustering.OVERRIDE_PRIORITY, dtype=pl.Int64).alias("priority"),
                pl.col("ti").fill_null(0.0).alias("score"),
            ),
        ]
    )
    labels = clustering.components(n, edges.select("i", "j"))

    # chaining guard: check every member pair of components with three or more records
    sizes = labels.group_by("label").len()
    big = labels.join(sizes.filter(pl.col("len") >= 3), on="label").select("i", "label")
    intra = (
        big.join(big, on="label", suffix="_b")
        .filter(pl.col("i") < pl.col("i_b"))
        .select("i", pl.col("i_b").alias("j"), "label")
    )
    intra_scored = _score_pairs(keys, intra.select("i", "j"), settings).join(intra, on=["i", "j"])
    cannot = intra_scored.filter(_cannot_link(intra_scored, settings)).select("i", "j", "label")
    different = human.filter(pl.col("human") == "different").select("i", "j")
    human_in_comp = (
        different.join(labels, on="i")
        .join(labels.rename({"i": "j", "label": "label_b"}), on="j")
        .filter(pl.col("label") == pl.col("label_b"))
        .select("i", "j", "label")
    )
    flagged = pl.concat([cannot["label"], human_in_comp["label"]]).unique()
    refused: set[tuple[int, int]] = set()
    if flagged.len():
        flagged_edges = edges.join(labels, on="i").filter(pl.col("label").is_in(flagged.implode()))
        new_labels, refused = clustering.rebuild(
            flagged_edges,
            {(int(a), int(b)) for a, b in cannot.select("i", "j").iter_rows()},
            {(int(a), int(b)) for a, b in different.iter_rows()},
        )
        relabel = pl.DataFrame(
            {"i": list(new_labels), "new": list(new_labels.values())},
            schema={"i": pl.UInt32, "new": pl.UInt32},
        )
        labels = (
            labels.join(relabel, on="i", how="left")
            .select("i", pl.coalesce("new", "label").alias("label"))
            .sort("i")
        )
    return _assemble(records, keys, labels, edges, scored, refused, settings)


def _completeness() -> pl.Expr:
    filled = [pl.col(c).is_not_null().cast(pl.Int64) for c in COMPLETENESS_FIELDS]
    return pl.sum_horizontal([*filled, (pl.col("authors").list.len() > 0).cast(pl.Int64)])


def _assemble(
    records: pl.DataFrame,
    keys: pl.DataFrame,
    labels: pl.DataFrame,
    edges: pl.DataFrame,
    scored: pl.DataFrame,
    refused: set[tuple[int, int]],
    settings: DedupeSettings,
) -> DedupeResult:
    recs = (
        records.sort("record_id")
        .with_row_index("i")
        .join(labels, on="i")
        .with_columns(_completeness().alias("_complete"))
    )
    recs = recs.with_columns(
        # anchor: earliest search, then smallest record_id (stable across runs)
        pl.col("record_id")
        .sort_by("search_date", "record_id", nulls_last=True)
        .first()
        .over("label")
        .alias("_anchor"),
        pl.col("record_id")
        .sort_by(["_complete", "search_date", "record_id"], descending=[True, False, False])
        .first()
        .over("label")
        .alias("_rep"),
        pl.len().over("label").alias("_n"),
    )
    recs = recs.with_columns(
        _study_ids(recs["_anchor"]).alias("study_id"),
        (pl.col("record_id") == pl.col("_rep")).alias("is_representative"),
    )
    label_of = labels.rename({"label": "la"})
    accepted = (
        edges.join(label_of, on="i")
        .join(label_of.rename({"i": "j", "la": "lb"}), on="j")
        .filter(pl.col("la") == pl.col("lb"))
        .join(scored.select("i", "j", "evidence"), on=["i", "j"], how="left")
    )
    if refused:
        refused_frame = pl.DataFrame(
            [(a, b) for a, b in refused], schema={"i": pl.UInt32, "j": pl.UInt32}, orient="row"
        )
        accepted = accepted.join(refused_frame, on=["i", "j"], how="anti")
    # each record's strongest link inside its study explains why it is there
    ends = pl.concat(
        [
            accepted.select(
                "i", pl.col("j").alias("other"), "rule", "priority", "score", "evidence"
            ),
            accepted.select(
                pl.col("j").alias("i"),
                pl.col("i").alias("other"),
                "rule",
                "priority",
                "score",
                "evidence",
            ),
        ]
    )
    ids = keys.select(pl.col("i").alias("other"), pl.col("record_id").alias("linked_to"))
    best = (
        ends.join(ids, on="other")
        .sort(["i", "priority", "score", "linked_to"], descending=[False, True, True, False])
        .group_by("i", maintain_order=True)
        .first()
        .select("i", pl.col("rule").alias("_link_rule"), "linked_to", "score", "evidence")
    )
    recs = recs.join(best, on="i", how="left")
    single = pl.col("_n") == 1
    clusters = recs.select(
        "record_id",
        "study_id",
        "is_representative",
        pl.when(single)
        .then(pl.lit("unique"))
        .when(pl.col("is_representative"))
        .then(pl.lit("representative"))
        .otherwise(pl.col("_link_rule"))
        .alias("rule"),
        pl.when(single).then(None).otherwise(pl.col("linked_to")).alias("linked_to"),
        pl.when(single).then(None).otherwise(pl.col("score")).alias("score"),
        pl.when(single).then(None).otherwise(pl.col("_link_rule")).alias("link_rule"),
        pl.when(single).then(None).otherwise(pl.col("evidence")).alias("evidence"),
    ).sort("record_id")

    studies = _studies(recs)
    study_of = recs.select("i", "study_id")
    review_queue = _review_queue(records, scored, study_of, refused)
    relations = _relations(keys, scored, study_of)
    return DedupeResult(
        clusters=schemas.validate(clusters, schemas.CLUSTERS),
        studies=schemas.validate(studies, schemas.STUDIES),
        review_queue=schemas.validate(review_queue, schemas.REVIEW_QUEUE),
        relations=schemas.validate(relations, schemas.RELATIONS),
        pairs_compared=scored.height,
    )


def _studies(recs: pl.DataFrame) -> pl.DataFrame:
    rep = recs.filter(pl.col("is_representative"))
    members = (
        recs.sort("record_id")
        .group_by("study_id")
        .agg(
            pl.col("record_id").alias("record_ids"),
            pl.col("database").drop_nulls().unique().sort().alias("databases"),
            pl.len().cast(pl.Int64).alias("n_records"),
            pl.col("doi").str.to_lowercase().drop_nulls().unique().sort().alias("dois"),
            pl.col("pmid").drop_nulls().unique().sort().alias("pmids"),
        )
    )
    # fields missing on the representative are filled from other members (nothing is lost)
    fill_cols = ["doi", "pmid", "abstract", "journal", "volume", "issue", "pages", "year"]
    fills = (
        recs.sort("_complete", "record_id", descending=[True, False])
        .group_by("study_id")
        .agg([pl.col(c).drop_nulls().first().alias(f"_{c}") for c in fill_cols])
    )
    return (
        rep.join(members, on="study_id")
        .join(fills, on="study_id")
        .with_columns([pl.coalesce(c, f"_{c}").alias(c) for c in fill_cols])
        .select(
            "study_id",
            pl.col("record_id").alias("representative_record_id"),
            "record_ids",
            "databases",
            "n_records",
            "title",
            "authors",
            "year",
            "journal",
            "volume",
            "issue",
            "pages",
            "doi",
            "pmid",
            "abstract",
            "publication_type",
            "language",
            "dois",
            "pmids",
        )
        .sort("study_id")
    )


SIDE_FIELDS = ("title", "authors", "year", "journal", "volume", "issue", "pages", "doi")


def _review_queue(
    records: pl.DataFrame,
    scored: pl.DataFrame,
    study_of: pl.DataFrame,
    refused: set[tuple[int, int]],
) -> pl.DataFrame:
    """Maybe pairs (and links the chaining guard refused) whose records are in different
    studies and that no person has decided yet, side by side."""
    refused_frame = pl.DataFrame(
        [(a, b) for a, b in sorted(refused)], schema={"i": pl.UInt32, "j": pl.UInt32}, orient="row"
    ).with_columns(pl.lit(True).alias("_refused"))
    queue = (
        scored.join(refused_frame, on=["i", "j"], how="left")
        .filter(
            pl.col("human").is_null()
            & ((pl.col("verdict") == "maybe") | pl.col("_refused").fill_null(False))
        )
        .join(study_of, on="i")
        .join(study_of.rename({"i": "j", "study_id": "study_id_b"}), on="j")
        .filter(pl.col("study_id") != pl.col("study_id_b"))
        .select(
            "i",
            "j",
            pl.col("study_id").alias("study_id_a"),
            "study_id_b",
            pl.when(pl.col("_refused").fill_null(False))
            .then(
                pl.lit("duplicate by rule ")
                + pl.col("rule").fill_null("?")
                + pl.lit(", split by the chaining guard")
            )
            .otherwise(pl.lit("maybe"))
            .alias("reason"),
            pl.col("ti").alias("title_similarity"),
            pl.col("au").alias("author_similarity"),
            "evidence",
        )
    )
    side = (
        records.sort("record_id")
        .with_row_index("i")
        .select(
            "i",
            "record_id",
            *[
                pl.col(c).list.join("; ").alias(c) if c == "authors" else pl.col(c).cast(pl.String)
                for c in SIDE_FIELDS
            ],
        )
    )
    queue = queue.join(side.rename(lambda c: f"{c}_a"), left_on="i", right_on="i_a").join(
        side.rename(lambda c: f"{c}_b"), left_on="j", right_on="i_b"
    )
    return queue.select(
        "record_id_a",
        "record_id_b",
        "study_id_a",
        "study_id_b",
        "reason",
        "title_similarity",
        "author_similarity",
        "evidence",
        *[f"{c}_{s}" for c in SIDE_FIELDS for s in ("a", "b")],
        pl.lit(None, dtype=pl.String).alias("decision"),
        pl.lit(None, dtype=pl.String).alias("note"),
    ).sort("record_id_a", "record_id_b")


def _relations(keys: pl.DataFrame, scored: pl.DataFrame, study_of: pl.DataFrame) -> pl.DataFrame:
    """Related but distinct records; record_id_a is the notice/preprint/abstract."""
    rel = scored.filter(pl.col("relation").is_not_null())
    a_is_related = (
        pl.when(pl.col("relation") == "preprint")
        .then(pl.col("preprint_a"))
        .when(pl.col("relation") == "conference_abstract")
        .then(pl.col("conference_a"))
        .when(pl.col("relation") == "shared_doi")
        .then(pl.lit(True))
        .otherwise(pl.col("notice_a").is_not_null())
    )
    rel = rel.with_columns(a_is_related.alias("_a")).select(
        pl.when("_a").then("i").otherwise("j").alias("i"),
        pl.when("_a").then("j").otherwise("i").alias("j"),
        "relation",
        pl.col("ti").alias("title_similarity"),
        "evidence",
    )
    ids = keys.select("i", "record_id")
    out = (
        rel.join(ids, on="i")
        .join(ids.rename({"i": "j", "record_id": "record_id_b"}), on="j")
        .join(study_of, on="i")
        .join(study_of.rename({"i": "j", "study_id": "study_id_b"}), on="j")
        .filter(pl.col("study_id") != pl.col("study_id_b"))
    )
    return out.select(
        pl.col("record_id").alias("record_id_a"),
        "record_id_b",
        "relation",
        pl.col("relation").replace_strict(RELATION_TEXT, return_dtype=pl.String).alias("meaning"),
        pl.col("study_id").alias("study_id_a"),
        "study_id_b",
        "title_similarity",
        "evidence",
    ).sort("record_id_a", "record_id_b")


def deduplicate(
    records: pl.DataFrame,
    settings: DedupeSettings | None = None,
    decisions: pl.DataFrame | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Return (clusters, studies) for the imported records; see :func:`run` for the rest."""
    result = run(records, settings, decisions)
    return result.clusters, result.studies


def dedupe_counts(
    clusters: pl.DataFrame,
    review_queue: pl.DataFrame | None = None,
    relations: pl.DataFrame | None = None,
) -> list[Count]:
    emit = Emitter("02_dedupe", "dedupe")
    dups = clusters.filter(~pl.col("is_representative"))
    counts = [
        emit.count(
            "duplicates",
            dups["record_id"].to_list(),
            unit="records",
            label="Duplicate records removed",
            id_kind="record_id",
        ),
        emit.count(
            "dedupe.studies",
            clusters["study_id"].to_list(),
            unit="studies",
            label="Unique studies after deduplication",
            id_kind="study_id",
        ),
    ]
    for match_rule in RULES:
        counts.append(
            emit.count(
                f"duplicates.{match_rule}",
                dups.filter(pl.col("rule") == match_rule)["record_id"].to_list(),
                unit="records",
                label=f"Duplicates linked by rule {match_rule}: {RULE_TEXT[match_rule]}",
                id_kind="record_id",
            )
        )
    if review_queue is not None:
        counts.append(
            emit.count(
                "dedupe.review_queue",
                (review_queue["record_id_a"] + "|" + review_queue["record_id_b"]).to_list(),
                unit="record pairs",
                label="Record pairs awaiting a person's same/different decision",
                id_kind="record_pair",
            )
        )
    if relations is not None:
        counts.append(
            emit.count(
                "dedupe.relations",
                (relations["record_id_a"] + "|" + relations["record_id_b"]).to_list(),
                unit="record pairs",
                label="Related but distinct records (erratum, retraction, preprint, abstract, "
                "shared DOI)",
                id_kind="record_pair",
            )
        )
    return counts


DECISION_COLUMNS = ("record_id_a", "record_id_b", "decision")


def decisions_from_sheet(frame: pl.DataFrame, sheet: str) -> pl.DataFrame:
    """A decisions sheet (all text) with its ``sheet`` name and ``row`` number (header = 1)
    added; blank rows are skipped and missing columns are an error naming the sheet."""
    missing = [c for c in DECISION_COLUMNS if c not in frame.columns]
    if missing:
        raise DecisionError(f"{sheet}: missing columns {missing} (needs {list(DECISION_COLUMNS)})")
    out = frame.with_row_index("row", offset=2).select(
        "record_id_a",
        "record_id_b",
        "decision",
        (pl.col("note") if "note" in frame.columns else pl.lit(None, dtype=pl.String)).alias(
            "note"
        ),
        pl.lit(sheet).alias("sheet"),
        pl.col("row").cast(pl.Int64),
    )
    blank = pl.all_horizontal(
        pl.col(c).str.strip_chars().replace("", None).is_null() for c in DECISION_COLUMNS
    )
    return out.filter(~blank)


def review_worksheet(review_queue: pl.DataFrame) -> Worksheet:
    """The review queue as a worklist sheet: decision is a same/different dropdown; rows
    copied into a ``dedupe.decisions`` sheet are applied on the next run."""
    return Worksheet(
        name="review_queue",
        frame=review_queue,
        dropdowns={"decision": list(DECISION_VALUES)},
        widths={"title_a": 50, "title_b": 50, "evidence": 40, "reason": 24},
        note="Decide each pair: same or different. Copy decided rows into a sheet listed under "
        "dedupe.decisions in the config; they are applied on every later run.",
    )


def combine_decisions(sheets: list[pl.DataFrame]) -> pl.DataFrame | None:
    """All decisions sheets (from :func:`decisions_from_sheet`) as one frame, or None."""
    frames = [s for s in sheets if s.height]
    return pl.concat(frames) if frames else None
