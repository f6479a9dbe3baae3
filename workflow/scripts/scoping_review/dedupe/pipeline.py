"""The dedupe pipeline: keys, blocking, scoring and clustering run over the records table, giving
clusters (one row per record) and studies (one row per study).
"""

from __future__ import annotations

import polars as pl

from . import blocking, clustering, scoring
from .assemble import _assemble
from .decisions import _decision_pairs
from .keys import match_keys
from .settings import _PRIORITY, DedupeResult, DedupeSettings


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


def deduplicate(
    records: pl.DataFrame,
    settings: DedupeSettings | None = None,
    decisions: pl.DataFrame | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Return (clusters, studies) for the imported records; see :func:`run` for the rest."""
    result = run(records, settings, decisions)
    return result.clusters, result.studies
