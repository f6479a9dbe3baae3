"""Candidate pairs by blocking: records are compared only when they share a block key.

Each key groups records; inside a group, records are ordered by title and each is paired with
the next ``window`` records (a sorted neighbourhood). Small groups so give all their pairs; a
huge group (a common surname and year, a generic title) gives at most ``window`` pairs per
record. Every step is a polars join, so the work grows with records × keys × window.
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


def candidate_pairs(keys: pl.DataFrame, window: int) -> pl.DataFrame:
    """Distinct pairs ``(i, j)`` with ``i < j`` that share at least one block key."""
    parts: list[pl.LazyFrame] = []
    for _name, expr in BLOCK_KEYS:
        ranked = (
            keys.lazy()
            .select("i", "t", "au", expr.alias("k"))
            .filter(pl.col("k").is_not_null())
            .sort("k", "t", "au", "i", nulls_last=True)
            .with_columns(pl.int_range(pl.len(), dtype=pl.Int64).over("k").alias("r"))
            .select("i", "k", "r")
        )
        for step in range(1, window + 1):
            parts.append(
                ranked.join(
                    ranked.with_columns(pl.col("r") - step),
                    on=["k", "r"],
                    suffix="_b",
                ).select(
                    pl.min_horizontal("i", "i_b").alias("i"),
                    pl.max_horizontal("i", "i_b").alias("j"),
                )
            )
    if not parts:
        return pl.DataFrame(schema={"i": pl.UInt32, "j": pl.UInt32})
    return pl.concat(parts).unique().sort("i", "j").collect()
