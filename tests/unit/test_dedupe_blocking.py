"""Blocking against a plain-Python sorted neighbourhood."""

from __future__ import annotations

import random

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from scoping_review.dedupe import blocking


def _keys(rng: random.Random, n: int) -> pl.DataFrame:
    def pick(values: list[str]) -> str | None:
        return rng.choice([*values, None])

    return pl.DataFrame(
        {
            "i": list(range(n)),
            "t": [pick(["a b", "a c", "b"]) for _ in range(n)],
            "au": [pick(["x", "y"]) for _ in range(n)],
            "doi_base": [pick(["10.1/a", "10.1/b"]) for _ in range(n)],
            "pmid": [pick(["1", "2", "3"]) for _ in range(n)],
            "t_head": [pick(["ab", "ac"]) for _ in range(n)],
            "t_tail": [pick(["bc"]) for _ in range(n)],
            "au1": [pick(["x", "y"]) for _ in range(n)],
            "year": [rng.choice([2020, 2021, None]) for _ in range(n)],
            "vol": [pick(["1", "2"]) for _ in range(n)],
            "sp": [pick(["5"]) for _ in range(n)],
        },
        schema_overrides={"i": pl.UInt32, "year": pl.Int64},
    )


def _reference(keys: pl.DataFrame, window: int) -> pl.DataFrame:
    masks: dict[tuple[int, int], int] = {}
    values = blocking.block_values(keys).join(keys.select("i", "t", "au"), on="i")
    for b in range(len(blocking.BLOCK_KEYS)):
        rows = [r for r in values.iter_rows(named=True) if r[f"k{b}"] is not None]
        # by block, then title, authors (nulls last) and position
        rows.sort(key=lambda r: (r[f"k{b}"], r["t"] is None, r["t"] or "", r["au"] is None,
                                 r["au"] or "", r["i"]))  # fmt: skip
        for p, r in enumerate(rows):
            for s in rows[p + 1 : p + 1 + window]:
                if s[f"k{b}"] == r[f"k{b}"]:
                    pair = (min(r["i"], s["i"]), max(r["i"], s["i"]))
                    masks[pair] = masks.get(pair, 0) | (1 << b)
    return pl.DataFrame(
        [(i, j, m) for (i, j), m in sorted(masks.items())],
        schema={"i": pl.UInt32, "j": pl.UInt32, "mask": pl.UInt8},
        orient="row",
    )


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("window", [0, 1, 3])
def test_block_pairs_are_the_sorted_neighbourhood(seed: int, window: int) -> None:
    rng = random.Random(seed)
    keys = _keys(rng, rng.randint(0, 40))
    assert_frame_equal(blocking.block_pairs(keys, window), _reference(keys, window))
