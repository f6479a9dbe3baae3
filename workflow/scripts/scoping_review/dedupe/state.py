"""What one dedupe run leaves for the next (grain: one state per results folder), and how an
update maps it onto the new records.

The state holds each record's per-record match keys with two hashes (of the fields they are
computed from, and of everything a pair's score reads), every candidate pair with the block
keys that paired it, and the scored pairs someone reads (links, maybes, relations). A pair's
score is a function of its two records' keys alone, so an update reuses a cached pair when
neither record's key hash changed; blocks that no record entered, left or changed keep their
pairs. The state is kept only when it was written by the same code, settings and libraries
(:func:`stale_reason`); otherwise the run starts from scratch.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

import numpy as np
import polars as pl
import rapidfuzz

from .settings import DedupeSettings

STATE_VERSION = "3"  # 2: key_hash from the input hash and the corpus keys; 3: row hashes
PAIRS_SCHEMA = {"i": pl.UInt32, "j": pl.UInt32, "mask": pl.UInt8}
# the columns of a scored pair that clustering, the review queue and relations read
KEPT = (
    "i",
    "j",
    "ti",
    "ti_set",
    "au",
    "yr",
    "doi",
    "pmid",
    "relation",
    "verdict",
    "rule",
    "evidence",
    "preprint_a",
    "conference_a",
    "notice_a",
)
HASHES = ("input_hash", "key_hash")


@dataclass(frozen=True)
class DedupeState:
    """``keys``: one row per record in ``record_id`` order (row number = position ``i``): its
    per-record keys and :data:`HASHES`. ``pairs``: candidate pairs (i, j, mask of block keys).
    ``kept``: the :data:`KEPT` columns of the candidate pairs whose verdict is not a plain
    "distinct". ``meta``: what wrote it (:func:`state_meta`)."""

    meta: dict[str, str]
    keys: pl.DataFrame
    pairs: pl.DataFrame
    kept: pl.DataFrame


def state_meta(code_version: str, settings: DedupeSettings) -> dict[str, str]:
    """What a state must have been written by to be reused."""
    return {
        "state_version": STATE_VERSION,
        "code_version": code_version,
        "settings": json.dumps(asdict(settings), sort_keys=True),
        "polars": pl.__version__,
        "rapidfuzz": rapidfuzz.__version__,
    }


def stale_reason(state: DedupeState, meta: dict[str, str]) -> str | None:
    """Why ``state`` cannot be reused by a run with ``meta`` (None when it can)."""
    for name, want in meta.items():
        if state.meta.get(name) != want:
            return f"{name} differs ({state.meta.get(name)!r} != {want!r})"
    if dict(state.pairs.schema) != PAIRS_SCHEMA:
        return f"pairs schema {dict(state.pairs.schema)}"
    if tuple(state.kept.columns) != KEPT:
        return f"kept columns {state.kept.columns}"
    if not {"record_id", *HASHES} <= set(state.keys.columns):
        return f"keys columns {state.keys.columns}"
    n = state.keys.height
    for frame in (state.pairs, state.kept):
        if frame.height and (frame["j"].max() >= n or (frame["i"] >= frame["j"]).any()):  # type: ignore[operator]
            return "pairs name records the state does not hold"
    if state.pairs.height and not bool(np.all(np.diff(pair_keys(*_ij(state.pairs))) > 0)):
        return "pairs are not sorted and distinct"
    if state.keys["record_id"].n_unique() != n or not state.keys["record_id"].is_sorted():
        return "keys are not one sorted row per record"
    return None


@dataclass(frozen=True)
class Mapping:
    """Old positions (in the state) to new ones, and the records an update made dirty.

    ``block_map``/``score_map``: new position of each old record, or ``NONE`` when it was
    removed or changed (its inputs; for ``score_map`` also its corpus-dependent keys).
    ``dirty``: new positions of records that are new or whose inputs changed. ``gone``: old
    positions of records removed or changed."""

    block_map: np.ndarray
    score_map: np.ndarray
    dirty: pl.Series
    gone: pl.Series


NONE = np.iinfo(np.uint32).max


def mapping(old: pl.DataFrame, new: pl.DataFrame) -> Mapping:
    """``old``: the state's keys; ``new``: (i, record_id, input_hash, key_hash) of this run."""
    joined = (
        old.select("record_id", *HASHES)
        .with_row_index("old")
        .join(new.rename({h: f"{h}_new" for h in HASHES}), on="record_id", how="left")
        .sort("old")
    )
    same_input = (pl.col("input_hash") == pl.col("input_hash_new")).fill_null(False)
    same_key = same_input & (pl.col("key_hash") == pl.col("key_hash_new")).fill_null(False)
    maps = joined.select(
        pl.when(same_input).then(pl.col("i")).otherwise(NONE).cast(pl.UInt32).alias("block"),
        pl.when(same_key).then(pl.col("i")).otherwise(NONE).cast(pl.UInt32).alias("score"),
    )
    clean = joined.filter(same_input)["i"]
    return Mapping(
        block_map=maps["block"].to_numpy(),
        score_map=maps["score"].to_numpy(),
        dirty=new.filter(~pl.col("i").is_in(clean.implode()))["i"],
        gone=joined.filter(~same_input)["old"],
    )


def remap(frame: pl.DataFrame, to_new: np.ndarray) -> pl.DataFrame:
    """``frame``'s pairs (i, j) in new positions; pairs with a record ``to_new`` drops are
    dropped. Positions keep their order (records keep their ``record_id`` order), so ``i < j``."""
    if frame.is_empty():
        return frame
    i = to_new[frame["i"].to_numpy()]
    j = to_new[frame["j"].to_numpy()]
    return frame.with_columns(
        pl.Series("i", i, dtype=pl.UInt32), pl.Series("j", j, dtype=pl.UInt32)
    ).filter((pl.col("i") != NONE) & (pl.col("j") != NONE))


def _ij(frame: pl.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    return frame["i"].to_numpy(), frame["j"].to_numpy()


def pair_keys(i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Pairs as one sortable 64-bit key each (``i`` high, ``j`` low)."""
    return (i.astype(np.uint64) << np.uint64(32)) | j.astype(np.uint64)


def pairs_frame(keys: np.ndarray, masks: np.ndarray) -> pl.DataFrame:
    """(i, j, mask) from :func:`pair_keys` and their masks."""
    return pl.DataFrame(
        {
            "i": (keys >> np.uint64(32)).astype(np.uint32),
            "j": (keys & np.uint64(0xFFFFFFFF)).astype(np.uint32),
            "mask": masks.astype(np.uint8),
        },
        schema=PAIRS_SCHEMA,
    )


def merge_sorted(
    keys: np.ndarray, masks: np.ndarray, more: np.ndarray, more_masks: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The union of two sorted, distinct arrays of pair keys (``more`` the short one), each
    key's masks OR-ed: the few ``more`` are searched and inserted, rather than both arrays
    sorted again (at 1M records an update's 15 million pairs against a few hundred thousand).
    A mask is a number per key, or a row of them (a 2-D array, OR-ed column by column)."""
    at = np.searchsorted(keys, more)
    found = at < keys.size
    found[found] = keys[at[found]] == more[found]
    masks = masks.copy()
    masks[at[found]] |= more_masks[found]
    new = ~found
    return (
        np.insert(keys, at[new], more[new]),
        np.insert(masks, at[new], more_masks[new], axis=0),
    )


def contains(sorted_keys: np.ndarray, keys: np.ndarray) -> pl.Series:
    """Whether each of ``keys`` is in ``sorted_keys`` (sorted, distinct)."""
    if sorted_keys.size == 0 or keys.size == 0:
        return pl.Series(np.zeros(keys.size, dtype=bool))
    at = np.searchsorted(sorted_keys, keys).clip(max=sorted_keys.size - 1)
    return pl.Series(sorted_keys[at] == keys)
