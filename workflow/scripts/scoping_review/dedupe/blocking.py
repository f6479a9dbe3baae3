"""Candidate pairs by blocking: records are compared only when they share a block key.

Each key groups records; inside a group, records are ordered by title and each is paired with
the next ``window`` records (a sorted neighbourhood). Small groups so give all their pairs; a
huge group (a common surname and year, a generic title) gives at most ``window`` pairs per
record. Every step is a shift of the sorted rows, so the work grows with records × keys ×
window.
"""

from __future__ import annotations

import polars as pl

# (name, key expression); a record with a null key takes no part in that block
BLOCK_KEYS: tuple[tuple[str, pl.Expr], ...] = (
    ("doi", pl.col("doi_base")),
    ("pmid", pl.col("pmid")),
    ("title_head", pl.col("t_head")),
    ("title_tail", pl.col("t_tail")),
    ("author_year", pl.concat_str(pl.col("au1"), pl.col("year").cast(pl.String), separator="|")),
    (
        "volume_page",
        pl.concat_str(pl.col("vol"), pl.col("sp"), pl.col("year").cast(pl.String), separator="|"),
    ),
)
# a pair is one 64-bit key (i * _HIGH + j) while blocks are paired: made distinct and grouped
# by one column, not two (about twice as fast)
_HIGH = 1 << 32


def block_values(keys: pl.DataFrame) -> pl.DataFrame:
    """Each record's value of every block key (columns ``i`` and ``k0`` … ``k5``)."""
    return keys.select("i", *[expr.alias(f"k{b}") for b, (_, expr) in enumerate(BLOCK_KEYS)])


def _sorted_blocks(keys: pl.DataFrame, expr: pl.Expr) -> pl.LazyFrame:
    """Records with a value of one block key, ordered by block then title, authors and ``i``;
    ``block`` numbers the blocks (equal neighbours share a block)."""
    frame = keys.lazy().select("i", "t", "au", expr.alias("k")).filter(pl.col("k").is_not_null())
    return frame.sort("k", "t", "au", "i", nulls_last=True).select(
        "i", (pl.col("k") != pl.col("k").shift(1)).fill_null(True).cum_sum().alias("block")
    )


def block_pairs(keys: pl.DataFrame, window: int) -> pl.DataFrame:
    """Distinct pairs ``(i, j)``, ``i < j``, that share a block key, with ``mask``: bit ``b`` set
    when block key ``b`` (of :data:`BLOCK_KEYS`) pairs them.

    Inside a block sorted by title, each record is paired with the next ``window`` records: on
    the sorted rows, with the rows up to ``window`` below it in the same block (no join).
    A window's pair depends only on its records' keys and their order by ``i``, so an update
    keeps the windows no record entered, left or changed (:func:`repaired_pairs`)."""
    parts: list[pl.LazyFrame] = []
    for b, (_name, expr) in enumerate(BLOCK_KEYS):
        ranked = _sorted_blocks(keys, expr)
        steps = [
            ranked.select(
                pl.col("i").cast(pl.UInt64),
                pl.col("i").shift(-step).cast(pl.UInt64).alias("i_b"),
                (pl.col("block") == pl.col("block").shift(-step)).fill_null(False).alias("_same"),
            )
            .filter("_same")
            .select(
                (pl.min_horizontal("i", "i_b") * _HIGH + pl.max_horizontal("i", "i_b")).alias("key")
            )
            for step in range(1, window + 1)
        ]
        if steps:
            parts.append(
                pl.concat(steps).unique().with_columns(pl.lit(1 << b, pl.UInt8).alias("mask"))
            )
    if not parts:
        return pl.DataFrame(schema={"i": pl.UInt32, "j": pl.UInt32, "mask": pl.UInt8})
    return (
        pl.concat(parts)
        .group_by("key")
        .agg(pl.col("mask").sum().cast(pl.UInt8))
        .sort("key")
        .select(
            (pl.col("key") // _HIGH).cast(pl.UInt32).alias("i"),
            (pl.col("key") % _HIGH).cast(pl.UInt32).alias("j"),
            "mask",
        )
        .collect()
    )


def repaired_pairs(
    rows: pl.DataFrame, gone: pl.DataFrame, window: int
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The pairs one block key gives in the blocks an update touched that a sorted
    neighbourhood without the update did not give, and where each record stands.

    ``rows``: this run's records in those blocks (``i``, ``k`` the key's value, ``t``, ``au``,
    ``o`` an order that sorts as ``i`` does, ``dirty`` for new or changed records); ``gone``:
    the previous run's records there that were removed or changed (``k``, ``t``, ``au``, ``o``
    placing each among this run's records by its ID). In the sorted order of both, a window
    whose span holds no dirty or gone record is a window of the previous run's order too, so
    its pair is kept; only the windows over a dirty or gone record are paired again (returned
    as ``key``, :data:`_HIGH`-packed ``i, j``). ``level`` (per ``i`` of ``rows``): how many dirty
    or gone records sort up to it; a kept pair whose two records' levels differ has one between
    them, so the previous run's pair may no longer be a neighbour and is paired again here."""
    both = pl.concat(
        [
            rows.select("i", "k", "t", "au", "o", pl.col("dirty").alias("moved")),
            gone.select(
                pl.lit(None, pl.UInt32).alias("i"), "k", "t", "au", "o", pl.lit(True).alias("moved")
            ),
        ]
    ).sort("k", "t", "au", "o", nulls_last=True)
    both = both.with_columns(
        (pl.col("k") != pl.col("k").shift(1)).fill_null(True).cum_sum().alias("block"),
        pl.col("moved").cast(pl.UInt32).cum_sum().alias("level"),
    )
    here = both.filter(pl.col("i").is_not_null()).lazy()
    # moved records from a window's first record to its last, both counted
    steps = [
        here.select(
            pl.col("i").cast(pl.UInt64),
            pl.col("i").shift(-step).cast(pl.UInt64).alias("i_b"),
            (
                (pl.col("block") == pl.col("block").shift(-step))
                & (
                    pl.col("level").shift(-step) - pl.col("level") + pl.col("moved").cast(pl.UInt32)
                    > 0
                )
            )
            .fill_null(False)
            .alias("_take"),
        )
        .filter("_take")
        .select(
            (pl.min_horizontal("i", "i_b") * _HIGH + pl.max_horizontal("i", "i_b")).alias("key")
        )
        for step in range(1, window + 1)
    ]
    pairs = (
        pl.concat(steps).unique().collect() if steps else pl.DataFrame(schema={"key": pl.UInt64})
    )
    return pairs, here.select("i", "level").collect()


def candidate_pairs(keys: pl.DataFrame, window: int) -> pl.DataFrame:
    """Distinct pairs ``(i, j)`` with ``i < j`` that share at least one block key."""
    return block_pairs(keys, window).select("i", "j")
