"""02_dedupe: group records of the same study, choose a representative, assign study IDs.

Matching (first cut; see the dedupe issue for the full matcher): records are linked when they
share a normalised DOI, a PMID, or a normalised title and year. Each link needs corroboration:

- DOI or PMID: compatible titles (token-sort similarity >= ``min_title_similarity``), or else the
  same year and first-author surname (a title translated differently by two databases). So a
  supplement DOI shared by several meeting abstracts by different authors does not merge them.
- title + year: a title of at least ``min_title_words`` words, or else the same first-author
  surname, so two "Editorial" records stay apart but a short real title still matches.

Every link is to the group's anchor record, not a chain, so one weak link cannot pull in a third.

Study IDs are stable: ``S-`` plus a hash of the study's anchor record, the earliest record by
(search date, record_id). New searches are dated later, so new records never displace an anchor.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl
from rapidfuzz import fuzz

from . import schemas
from .ledger import Count, Emitter
from .normalize import doi_expr, title_expr

RULES = ("doi", "pmid", "title_year")
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


@dataclass(frozen=True)
class DedupeSettings:
    min_title_similarity: float = 90.0
    min_title_words: int = 4


def study_id_for(anchor_record_id: str) -> str:
    return "S-" + hashlib.sha1(anchor_record_id.encode()).hexdigest()[:10]


class _UnionFind:
    def __init__(self, items: Sequence[str]) -> None:
        self.parent = {i: i for i in items}

    def find(self, x: str) -> str:
        root = x
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[x] != root:
            self.parent[x], x = root, self.parent[x]
        return root

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def match_keys(records: pl.DataFrame) -> pl.DataFrame:
    """record_id, order key and the normalised match keys."""
    return records.select(
        "record_id",
        "search_date",
        "title",
        pl.col("year"),
        doi_expr("doi").alias("k_doi"),
        pl.col("pmid").alias("k_pmid"),
        title_expr("title").alias("k_title"),
        first_author_expr().alias("k_author"),
    ).with_columns(
        pl.when(pl.col("k_title").is_not_null() & pl.col("year").is_not_null())
        .then(pl.col("k_title") + "|" + pl.col("year").cast(pl.String))
        .otherwise(None)
        .alias("k_title_year"),
        pl.col("k_title").str.split(" ").list.sort().list.join(" ").alias("k_sorted"),
    )


def first_author_expr() -> pl.Expr:
    """Normalised surname of the first author ("Muran, J. C." and "Muran JC" → "muran")."""
    first = pl.col("authors").list.first()
    surname = (
        pl.when(first.str.contains(","))
        .then(first.str.split(",").list.first())
        .otherwise(first.str.strip_chars().str.split(" ").list.first())
    )
    return (
        surname.str.normalize("NFKD")
        .str.replace_all(r"\p{Mn}", "")
        .str.to_lowercase()
        .str.replace_all(r"[^a-z0-9]+", "")
        .replace("", None)
    )


def find_links(keys: pl.DataFrame, settings: DedupeSettings) -> list[tuple[str, str, str, float]]:
    """(record, anchor, rule, score) for every link; the anchor is the group's first record."""
    sorted_title = dict(zip(keys["record_id"], keys["k_sorted"], strict=True))
    author = dict(zip(keys["record_id"], keys["k_author"], strict=True))
    year = dict(zip(keys["record_id"], keys["year"], strict=True))
    n_words = {
        r: (len(t.split()) if t else 0)
        for r, t in zip(keys["record_id"], keys["k_title"], strict=True)
    }
    links: list[tuple[str, str, str, float]] = []
    ordered = keys.sort("search_date", "record_id", nulls_last=True)
    for rule, col in (("doi", "k_doi"), ("pmid", "k_pmid"), ("title_year", "k_title_year")):
        groups = (
            ordered.filter(pl.col(col).is_not_null())
            .group_by(col, maintain_order=True)
            .agg(pl.col("record_id"))
            .filter(pl.col("record_id").list.len() > 1)
        )
        for members in groups["record_id"].to_list():
            anchor = members[0]
            for other in members[1:]:
                a, b = sorted_title[anchor], sorted_title[other]
                score = fuzz.ratio(a, b) if a and b else 100.0
                same_author = author[other] is not None and author[other] == author[anchor]
                if rule == "title_year":
                    if n_words[other] < settings.min_title_words and not same_author:
                        continue
                elif score < settings.min_title_similarity and not (
                    same_author and year[other] is not None and year[other] == year[anchor]
                ):
                    continue
                links.append((other, anchor, rule, float(score)))
    return links


def _completeness(records: pl.DataFrame) -> pl.Expr:
    filled = [pl.col(c).is_not_null().cast(pl.Int64) for c in COMPLETENESS_FIELDS]
    return pl.sum_horizontal([*filled, (pl.col("authors").list.len() > 0).cast(pl.Int64)])


def deduplicate(
    records: pl.DataFrame, settings: DedupeSettings | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Return (clusters, studies) for the imported records."""
    settings = settings or DedupeSettings()
    keys = match_keys(records)
    ids = keys["record_id"].to_list()
    links = find_links(keys, settings)
    uf = _UnionFind(ids)
    for rec, anchor, _rule, _score in links:
        uf.union(rec, anchor)
    best_link: dict[str, tuple[str, str, float]] = {}
    for rec, anchor, rule, score in links:  # doi before pmid before title_year
        best_link.setdefault(rec, (anchor, rule, score))
        best_link.setdefault(anchor, (rec, rule, score))
    root = {r: uf.find(r) for r in ids}

    scored = (
        records.with_columns(
            pl.col("record_id").replace_strict(root, return_dtype=pl.String).alias("_root"),
            _completeness(records).alias("_complete"),
        )
        .with_columns(
            # anchor: earliest search, then smallest record_id (stable across runs)
            pl.col("record_id")
            .sort_by("search_date", "record_id", nulls_last=True)
            .first()
            .over("_root")
            .alias("_anchor"),
        )
        .with_columns(
            pl.col("record_id")
            .sort_by(["_complete", "search_date", "record_id"], descending=[True, False, False])
            .first()
            .over("_root")
            .alias("_rep"),
        )
    )
    scored = scored.with_columns(
        pl.col("_anchor").map_elements(study_id_for, return_dtype=pl.String).alias("study_id"),
        (pl.col("record_id") == pl.col("_rep")).alias("is_representative"),
        pl.len().over("_root").alias("_n"),
    )
    link_rule = {r: v[1] for r, v in best_link.items()}
    link_to = {r: v[0] for r, v in best_link.items()}
    link_score = {r: v[2] for r, v in best_link.items()}
    clusters = scored.select(
        "record_id",
        "study_id",
        "is_representative",
        pl.when(pl.col("_n") == 1)
        .then(pl.lit("unique"))
        .when(pl.col("is_representative"))
        .then(pl.lit("representative"))
        .otherwise(
            pl.col("record_id").replace_strict(link_rule, default=None, return_dtype=pl.String)
        )
        .alias("rule"),
        pl.when(pl.col("_n") == 1)
        .then(None)
        .otherwise(
            pl.col("record_id").replace_strict(link_to, default=None, return_dtype=pl.String)
        )
        .alias("linked_to"),
        pl.when(pl.col("_n") == 1)
        .then(None)
        .otherwise(
            pl.col("record_id").replace_strict(link_score, default=None, return_dtype=pl.Float64)
        )
        .alias("score"),
    ).sort("record_id")

    rep = scored.filter(pl.col("is_representative"))
    members = (
        scored.sort("record_id")
        .group_by("study_id")
        .agg(
            pl.col("record_id").alias("record_ids"),
            pl.col("database").unique().sort().alias("databases"),
            pl.len().cast(pl.Int64).alias("n_records"),
        )
    )
    # fields missing on the representative are filled from other members (nothing is lost)
    fill_cols = ["doi", "pmid", "abstract", "journal", "volume", "issue", "pages", "year"]
    fills = (
        scored.sort("_complete", "record_id", descending=[True, False])
        .group_by("study_id")
        .agg([pl.col(c).drop_nulls().first().alias(f"_{c}") for c in fill_cols])
    )
    studies = (
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
        )
        .sort("study_id")
    )
    return (
        schemas.validate(clusters, schemas.CLUSTERS),
        schemas.validate(studies, schemas.STUDIES),
    )


def dedupe_counts(clusters: pl.DataFrame) -> list[Count]:
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
                label=f"Duplicates linked by {match_rule.replace('_', ' + ')}",
                id_kind="record_id",
            )
        )
    return counts
