"""The dedupe pipeline: keys, blocking, scoring and clustering run over the records table, giving
clusters (one row per record) and studies (one row per study).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import polars as pl

from ..phases import Lap, no_lap
from . import blocking, clustering, scoring
from . import keys as keys_mod
from .assemble import _assemble
from .decisions import _decision_pairs
from .settings import _PRIORITY, DedupeResult, DedupeSettings
from .state import (
    HASHES,
    KEPT,
    NONE,
    DedupeState,
    contains,
    mapping,
    merge_sorted,
    pair_keys,
    pairs_frame,
    remap,
    stale_reason,
    state_meta,
)

# pairs scored at once: bounds the memory of the per-pair features (both records' keys)
SCORE_BATCH = 250_000
# the kept pairs of this many batches are copied into one frame: each batch's small arrays,
# left between the batch's large freed ones, kept memory from going back (measured at 1M
# records: resident memory grew 23 MB a batch, 1.3 GB over the scoring; 2 MB once compacted)
COMPACT_EVERY = 4
INTRA_COLUMNS = ("i", "j", "ti", "ti_set", "yr", "doi", "pmid", "relation")


def score(
    keys: pl.DataFrame,
    pairs: pl.DataFrame,
    settings: DedupeSettings,
    *,
    every: bool = False,
    columns: tuple[str, ...] = KEPT,
    workers: int = 1,
) -> pl.DataFrame:
    """Score ``pairs`` (i, j) batch by batch and return ``columns`` of each, sorted by (i, j):
    of every pair when ``every``, else only of pairs someone reads (not a plain "distinct").
    ``workers``: threads the string similarities are computed in (the same scores)."""
    out = []
    for offset in range(0, max(pairs.height, 1), SCORE_BATCH):
        batch = pairs.slice(offset, SCORE_BATCH).select("i", "j")
        scored = scoring.verdicts(scoring.pair_features(keys, batch, workers), settings)
        if not every:
            scored = scored.filter(
                (pl.col("verdict") != "distinct") | pl.col("relation").is_not_null()
            )
        out.append(scored.select(columns))
        if len(out) == COMPACT_EVERY:
            out = [pl.concat(out, rechunk=True)]
    return pl.concat(out).sort("i", "j")


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
    return run_with_state(records, settings or DedupeSettings(), decisions)[0]


def run_with_state(
    records: pl.DataFrame,
    settings: DedupeSettings,
    decisions: pl.DataFrame | None,
    previous: DedupeState | None = None,
    meta: dict[str, str] | None = None,
    workers: int = 1,
    lap: Lap = no_lap,
    checked: bool = False,
) -> tuple[DedupeResult, DedupeState]:
    """:func:`run`, reusing ``previous`` (the state an earlier run returned) when it was
    written with ``meta``; gives exactly what a run from scratch gives, and the next state.
    ``workers``: threads the pairs' string similarities are computed in (same result);
    ``lap``: called with each phase's name as it ends (timing only); ``checked``: the caller
    found :func:`stale_reason` of ``previous`` and ``meta`` to be None (the check reads every
    pair: 0.4 s at 1M records, not done twice)."""
    meta = meta or state_meta("", settings)
    if previous is not None and not checked and stale_reason(previous, meta) is not None:
        previous = None
    base = keys_mod.indexed(records)
    current = base.select("i", "record_id", keys_mod.input_hash(base))
    if previous is not None:
        reused = current.join(
            previous.keys.drop("key_hash"), on=["record_id", "input_hash"], how="inner"
        )
        fresh = keys_mod.record_keys(base.join(reused.select("i"), on="i", how="anti"))
        own = pl.concat([reused.select(fresh.columns), fresh]).sort("i")
        del reused, fresh  # sorted into ``own``: a second copy of every record's keys
    else:
        own = keys_mod.record_keys(base)
    keys = keys_mod.corpus_keys(own, base, records)
    current = current.with_columns(keys_mod.key_hash(current["input_hash"], keys))
    lap("keys")
    human = _decision_pairs(decisions, keys)
    if previous is None:
        pairs = blocking.block_pairs(keys, settings.block_window)
        kept, n_scored = score(keys, pairs, settings, workers=workers), pairs.height
    else:
        pairs, kept, n_scored = _update_pairs(keys, current, previous, settings, workers)
    lap("candidate pairs scored")
    # nothing below reads the previous state: let it go before the clustering (at 1M records
    # it is about 0.9 GB, and the clustering is the run's peak), unless the caller keeps it
    previous = None
    decided = score(keys, human, settings, every=True, workers=workers)
    scored = (
        pl.concat([kept.join(decided, on=["i", "j"], how="anti"), decided])
        .join(human, on=["i", "j"], how="left")
        .sort("i", "j")
    )
    compared = pairs.height + _outside(human, pairs)
    lap("people's decisions")
    result = replace(
        _cluster(records, keys, scored, human, settings, compared, workers, lap),
        pairs_scored=n_scored + human.height,
    )
    state = DedupeState(
        meta=meta,
        keys=own.drop("i").with_columns(current.select(HASHES)),
        pairs=pairs,
        kept=kept,
    )
    return result, state


def _outside(human: pl.DataFrame, pairs: pl.DataFrame) -> int:
    """How many of ``human``'s pairs are not candidate ``pairs`` (sorted by i, j): a search of
    sorted 64-bit keys, not a join (whose hash table of every candidate pair was the largest
    allocation between the scoring and the clustering, about 600 MB at 1M records)."""
    if human.is_empty():
        return 0
    known = contains(
        pair_keys(pairs["i"].to_numpy(), pairs["j"].to_numpy()),
        pair_keys(human["i"].to_numpy(), human["j"].to_numpy()),
    )
    return int((~known).sum())


def _update_pairs(
    keys: pl.DataFrame,
    current: pl.DataFrame,
    previous: DedupeState,
    settings: DedupeSettings,
    workers: int = 1,
) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    """Candidate pairs, their kept scores and how many pairs were scored, from the previous
    state: the windows of touched blocks that an update changed are paired again, pairs whose
    records kept their keys keep their scores."""
    move = mapping(previous.keys, current)
    values = blocking.block_values(keys)
    old_values = blocking.block_values(previous.keys.with_row_index("i"))
    touched = [
        pl.concat(
            [
                values.filter(pl.col("i").is_in(move.dirty.implode()))[f"k{b}"],
                old_values.filter(pl.col("i").is_in(move.gone.implode()))[f"k{b}"],
            ]
        )
        .drop_nulls()
        .unique()
        for b in range(len(blocking.BLOCK_KEYS))
    ]
    # old pairs in new positions; one with a changed or removed record is dropped (its blocks
    # are touched, so its pairs are made again)
    old_i, old_j = (previous.pairs[c].to_numpy() for c in ("i", "j"))
    oi, oj = move.block_map[old_i], move.block_map[old_j]
    live = (oi != NONE) & (oj != NONE)
    oi, oj = oi[live], oj[live]
    mask = previous.pairs["mask"].to_numpy()[live].copy()
    # in a touched block only the windows over a new, changed or removed record are paired
    # again, and an old pair loses the block key when such a record now lies between its two
    dirty = np.zeros(keys.height, dtype=bool)
    dirty[move.dirty.to_numpy()] = True
    rows = keys.select(
        "i", "t", "au", (pl.col("i").cast(pl.Int64) * 2).alias("o"), pl.Series("dirty", dirty)
    )
    # a gone record sorts after this run's records of its ID or the IDs before, before the rest
    gone_ids = previous.keys["record_id"][move.gone]
    gone = previous.keys[move.gone].select(
        "t", "au", pl.Series("o", keys["record_id"].search_sorted(gone_ids), pl.Int64) * 2 - 1
    )
    parts = []
    for b, values_b in enumerate(touched):
        if not values_b.len():
            continue
        hit = values[f"k{b}"].is_in(values_b.implode()).fill_null(False)
        gone_b = gone.with_columns(old_values[f"k{b}"][move.gone].alias("k")).filter(
            pl.col("k").is_in(values_b.implode()).fill_null(False)
        )
        pairs_b, levels = blocking.repaired_pairs(
            rows.with_columns(values[f"k{b}"].alias("k")).filter(hit),
            gone_b,
            settings.block_window,
        )
        level = np.zeros(keys.height, dtype=np.uint32)
        level[levels["i"].to_numpy()] = levels["level"].to_numpy()
        # a pair outside these blocks has both levels 0; one across two blocks has no bit b
        # (only the pairs that have bit b are looked at)
        bit = np.uint8(1 << b)
        has = np.flatnonzero(mask & bit)
        mask[has[level[oi[has]] != level[oj[has]]]] &= ~bit
        parts.append(pairs_b.with_columns(pl.lit(1 << b, pl.UInt8).alias("mask")))
    # pairs scored before whose records kept their keys keep their scores: an old pair is
    # "seen" when both its records kept their keys (block_map and score_map agree on them)
    same_key = np.zeros(keys.height, dtype=np.uint8)
    same_key[move.score_map[move.score_map != NONE]] = 1
    old_all = pair_keys(oi, oj)  # sorted: the maps keep the records' order
    old_seen = same_key[oi] & same_key[oj]
    keep = mask != 0
    again = (
        pl.concat(parts).group_by("key").agg(pl.col("mask").sum().cast(pl.UInt8)).sort("key")
        if parts
        else pl.DataFrame(schema={"key": pl.UInt64, "mask": pl.UInt8})
    )
    again_keys = again["key"].to_numpy()
    # a pair made again is seen when it is an old pair that was (kept or not)
    again_seen = np.zeros(again_keys.size, dtype=np.uint8)
    if old_all.size and again_keys.size:
        at = np.searchsorted(old_all, again_keys).clip(max=old_all.size - 1)
        again_seen = (old_all[at] == again_keys).astype(np.uint8) & old_seen[at]
    # masks and seen flags merged as one row of two per pair (OR-ed where both have a pair)
    every, flags = merge_sorted(
        old_all[keep],
        np.column_stack([mask[keep], old_seen[keep]]),
        again_keys,
        np.column_stack([again["mask"].to_numpy(), again_seen]),
    )
    pairs = pairs_frame(every, flags[:, 0])
    reused = remap(previous.kept, move.score_map)
    reused = reused.filter(
        contains(every, pair_keys(reused["i"].to_numpy(), reused["j"].to_numpy()))
    )
    todo = pairs.filter(pl.Series(flags[:, 1] == 0))
    new = score(keys, todo, settings, workers=workers)
    return pairs, pl.concat([reused, new]).sort("i", "j"), todo.height


def _cluster(
    records: pl.DataFrame,
    keys: pl.DataFrame,
    scored: pl.DataFrame,
    human: pl.DataFrame,
    settings: DedupeSettings,
    compared: int,
    workers: int = 1,
    lap: Lap = no_lap,
) -> DedupeResult:
    """Clusters, studies, review queue and relations from the scored pairs someone reads."""
    n = keys.height
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
    # a pair's score depends on its records' keys alone: pairs already scored keep theirs
    known = scored.select(INTRA_COLUMNS).join(intra, on=["i", "j"], how="semi")
    rest = intra.join(known, on=["i", "j"], how="anti")
    intra_scored = pl.concat(
        [known, score(keys, rest, settings, every=True, columns=INTRA_COLUMNS, workers=workers)]
    ).join(intra, on=["i", "j"])
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
    lap("clustering")
    result = _assemble(records, keys, labels, edges, scored, refused, compared)
    lap("studies assembled")
    return result


def deduplicate(
    records: pl.DataFrame,
    settings: DedupeSettings | None = None,
    decisions: pl.DataFrame | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Return (clusters, studies) for the imported records; see :func:`run` for the rest."""
    result = run(records, settings, decisions)
    return result.clusters, result.studies
