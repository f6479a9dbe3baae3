"""Clusters to stable study IDs, representative records filled from members (one row per study),
the review queue (one row per maybe pair) and relations.
"""

from __future__ import annotations

import hashlib

import polars as pl

from .. import schemas
from ..study_ids import LONG_DIGITS
from .scoring import RELATION_TEXT
from .settings import DedupeResult

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


def _study_ids(anchors: pl.Series, dates: pl.Series | None = None) -> pl.Series:
    """:func:`study_id_for` over a column, hashing each distinct anchor once (the first of an
    anchor's ``dates`` is its date; :func:`_anchor_ids`)."""
    frame = pl.DataFrame({"anchor": anchors, "date": dates}).unique("anchor", keep="first")
    ids = _anchor_ids(frame)
    return anchors.replace_strict(frame["anchor"], ids, return_dtype=pl.String)


def _anchor_ids(anchors: pl.DataFrame) -> pl.Series:
    """The study ID of each row of ``anchors`` (distinct ``anchor``, its ``date``), in order.

    Ten hex digits (40 bits) are shared by two of a million studies about one time in three,
    and by two of two million more often than not. Where distinct anchors share them, the
    anchor of the earliest search (``date``, else none), then the smallest record ID, keeps
    them and the others take :data:`LONG_DIGITS`: an update's new study (a later search) never
    renames a study an earlier run named."""
    sha1 = hashlib.sha1
    # the UTF-8 bytes of each anchor hashed, and the digests written in hex by polars (half the
    # time of hexdigest() and text slices in Python: 0.5 against 1.0 s for 700,000 studies)
    raw = anchors["anchor"].cast(pl.Binary).to_list()
    digests = pl.Series([sha1(a).digest() for a in raw], dtype=pl.Binary).bin.encode("hex")
    short = ("S-" + digests.str.slice(0, 10)).alias("short")
    shared = short.is_duplicated()
    if not shared.any():
        return short
    # only the anchors that share their 10 digits are sorted and looked at (a few, if any)
    long = ("S-" + digests.str.slice(0, LONG_DIGITS)).alias("long")
    frame = anchors.select("anchor", "date").with_columns(short, long).with_row_index("_k")
    renamed = (
        frame.filter(shared)
        .sort(["date", "anchor"], nulls_last=True)
        .filter(pl.int_range(pl.len()).over("short") > 0)["_k"]
    )
    ids = frame.select(
        pl.when(pl.col("_k").is_in(renamed.implode())).then("long").otherwise("short")
    ).to_series()
    if ids.n_unique() < ids.len():  # 80 bits shared too: never silently
        raise ValueError("two study anchors share 80 bits of their SHA-1; report this")
    return ids.alias("short")


def with_search_rounds(records: pl.DataFrame, rounds: dict[str, int]) -> pl.DataFrame:
    """``records`` with ``search_round``: each record's search's round (config ``round``, 1
    where its search is not named), which orders the records a study's ID may come from."""
    if not rounds:
        return records
    return records.with_columns(
        pl.col("source_id")
        .replace_strict(rounds, default=1, return_dtype=pl.Int64)
        .alias("search_round")
    )


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
    pairs_compared: int,
) -> DedupeResult:
    # a narrow copy: the other columns are gathered for representatives and merged studies only
    # a study's anchor: its record of the earliest search, by round (where rounds are given)
    # and then by date, so that a later round's search dated before the first round's (a hand
    # search, a mistyped year) never takes a study's ID from the record that gave it
    order = (
        pl.format(
            "{}|{}",
            pl.col("search_round").fill_null(1).cast(pl.String).str.zfill(6),
            pl.col("search_date").fill_null("~"),  # undated last in its round, as before
        )
        if "search_round" in records.columns
        else pl.col("search_date")
    )
    recs = (
        records.select(
            "record_id",
            order.alias("search_order"),
            "search_date",
            "database",
            "doi",
            "pmid",
            _completeness().alias("_complete"),
        )
        .with_row_index("_row")
        .sort("record_id")
        .with_row_index("i")
        .join(labels, on="i", maintain_order="left")  # every record has a label: i's order
    )
    recs = recs.with_columns(
        pl.col("record_id")
        .sort_by(["_complete", "search_date", "record_id"], descending=[True, False, False])
        .first()
        .over("label")
        .alias("_rep"),
        pl.len().over("label").alias("_n"),
    )
    # anchor: earliest search, then smallest record_id (stable across runs); one per label,
    # each hashed once, and joined back on the label (an integer, not the anchor's text)
    anchors = recs.group_by("label").agg(
        pl.col("record_id")
        .sort_by("search_order", "record_id", nulls_last=True)
        .first()
        .alias("anchor"),
        pl.col("search_order").min().alias("date"),
    )
    anchors = anchors.select("label", _anchor_ids(anchors).alias("study_id"))
    recs = recs.join(anchors, on="label", maintain_order="left").with_columns(
        (pl.col("record_id") == pl.col("_rep")).alias("is_representative")
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
    recs = recs.join(best, on="i", how="left", maintain_order="left")  # record_id order
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

    studies = _studies(records, recs)
    study_of = recs.select("i", "study_id")
    review_queue = _review_queue(records, scored, study_of, refused)
    relations = _relations(keys, scored, study_of)
    return DedupeResult(
        clusters=schemas.validate(clusters, schemas.CLUSTERS),
        studies=schemas.validate(studies, schemas.STUDIES),
        review_queue=schemas.validate(review_queue, schemas.REVIEW_QUEUE),
        relations=schemas.validate(relations, schemas.RELATIONS),
        pairs_compared=pairs_compared,
    )


STUDY_FIELDS = (
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
)
FILL_FIELDS = ("doi", "pmid", "abstract", "journal", "volume", "issue", "pages", "year")


def _studies(records: pl.DataFrame, recs: pl.DataFrame) -> pl.DataFrame:
    """One row per study: its representative's fields, those missing filled from the most
    complete other member that has them (nothing is lost).

    Which record each field comes from is decided on row numbers; the fields themselves (the
    abstracts are most of a study table) are gathered once, in the table's order: copies of
    them through sorts and joins made this the dedupe stage's memory peak. Studies are keyed
    by their cluster's label (an integer) until the end, and a study of one record (most of
    them) is not grouped: its lists are its own values (grouping every record by its study
    ID, and distinct values sorted per group, took 2 of the 6 s this took at 1M records)."""
    one = pl.col("_n") == 1
    single = recs.filter(one).select(
        "label",
        pl.concat_list("record_id").alias("record_ids"),
        _own_list(pl.col("database")).alias("databases"),
        pl.lit(1, pl.Int64).alias("n_records"),
        _own_list(pl.col("doi").str.to_lowercase()).alias("dois"),
        _own_list(pl.col("pmid")).alias("pmids"),
    )
    merged = recs.filter(~one)  # in record_id order
    members = (
        merged.group_by("label")
        .agg(pl.col("record_id").alias("record_ids"), pl.len().cast(pl.Int64).alias("n_records"))
        .join(_distinct_sorted(merged, "database", "databases"), on="label", how="left")
        .join(
            _distinct_sorted(merged.with_columns(pl.col("doi").str.to_lowercase()), "doi", "dois"),
            on="label",
            how="left",
        )
        .join(_distinct_sorted(merged, "pmid", "pmids"), on="label", how="left")
        .with_columns(
            pl.col("databases", "dois", "pmids").fill_null(pl.lit([], pl.List(pl.String)))
        )
        .select(single.columns)
    )
    rep = recs.filter(pl.col("is_representative")).select(
        "label", "study_id", pl.col("record_id").alias("representative_record_id"), "_row"
    )
    # per merged study and fill field: the row of the first member, most complete first, that
    # has the field (a study of one record has nothing to fill from)
    has = records.select([pl.col(c).is_not_null().alias(f"_has_{c}") for c in FILL_FIELDS])
    fills = (
        merged.select("_row", "label", "_complete", "record_id")
        .with_columns(has[merged["_row"]])
        .sort("_complete", "record_id", descending=[True, False])
        .group_by("label")
        .agg([pl.col("_row").filter(f"_has_{c}").first().alias(f"_{c}") for c in FILL_FIELDS])
    )
    rows = (
        rep.join(pl.concat([single, members]), on="label")
        .join(fills, on="label", how="left")
        .sort("study_id")
    )
    rep_has = has[rows["_row"]]
    own = rows["_row"]
    fields = {}
    for c in STUDY_FIELDS:
        source = own
        if c in FILL_FIELDS:  # the representative's value, else the first member's that has one
            source = rows.select(
                pl.when(rep_has[f"_has_{c}"]).then("_row").otherwise(f"_{c}").fill_null(own)
            ).to_series()
        fields[c] = records[c].gather(source)
    return pl.concat(
        [
            rows.select(
                "study_id", "representative_record_id", "record_ids", "databases", "n_records"
            ),
            pl.DataFrame(fields),
            rows.select("dois", "pmids"),
        ],
        how="horizontal",
    )


def _own_list(column: pl.Expr) -> pl.Expr:
    """A study of one record: its value as a list, or an empty list when it has none."""
    return (
        pl.when(column.is_null())
        .then(pl.lit([], pl.List(pl.String)))
        .otherwise(pl.concat_list(column))
    )


def _distinct_sorted(frame: pl.DataFrame, column: str, name: str) -> pl.DataFrame:
    """Per label, the distinct non-null values of ``column``, sorted (one sort of every
    value, not one per group); a label with none is missing."""
    return (
        frame.select("label", column)
        .drop_nulls()
        .unique()
        .sort("label", column)
        .group_by("label", maintain_order=True)
        .agg(pl.col(column).alias(name))
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
                + pl.lit(
                    ", split by the chaining guard (a record of one study must stay apart from "
                    "one of the other: a person's 'different', or a field that contradicts)"
                )
            )
            .otherwise(pl.lit("maybe"))
            .alias("reason"),
            pl.col("ti").alias("title_similarity"),
            pl.col("au").alias("author_similarity"),
            "evidence",
        )
    )
    # the side fields of the queue's records only, not a sorted copy of every record's (a few
    # hundred megabytes at 1M records): the records' row numbers are sorted instead
    order = records.select("record_id").with_row_index("_row").sort("record_id").with_row_index("i")
    ends = pl.concat([queue.select("i"), queue.select(pl.col("j").alias("i"))]).unique()
    picked = order.join(ends, on="i", how="semi")
    fields = records.select(pl.col(*SIDE_FIELDS).gather(picked["_row"]))  # those rows alone
    side = pl.concat([picked, fields], how="horizontal").select(
        "i",
        "record_id",
        *[
            pl.col(c).list.join("; ").alias(c) if c == "authors" else pl.col(c).cast(pl.String)
            for c in SIDE_FIELDS
        ],
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
