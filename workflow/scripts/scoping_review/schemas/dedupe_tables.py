"""Schemas of the dedupe stage's tables: clusters, studies, the review queue and relations."""

from __future__ import annotations

import polars as pl

from .base import Bool, Int, Str, StrList, TableSchema

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
    "conference_abstract, shared_doi (one DOI on records whose titles and authors differ); "
    "record_id_a is the notice/preprint/abstract, record_id_b the record "
    "it relates to; the two are kept as separate studies",
)
