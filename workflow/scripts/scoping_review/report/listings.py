"""The click-through listings next to the report (``counts/<count_id>.csv``): the IDs behind
each count with their kind, title, year and source.

Grain: one row per ID of one ledger count, in the count's ID order. Every count of things
(``id_kind`` other than ``none``) gets a listing, an empty one (header only) when it has no
IDs. The join with the lookup runs in polars over batches of counts holding at most
``batch_ids`` IDs together (one count larger than that is a batch of its own), so memory is
bounded by the batch, not by all the ledger's IDs at once.
"""

from __future__ import annotations

from collections.abc import Iterator

import polars as pl

from ..spreadsheet import neutralise
from .explain import LOOKUP_SCHEMA

BATCH_IDS = 2_000_000
LISTING_SCHEMA = {"id": pl.String} | LOOKUP_SCHEMA


def _batches(sizes: list[int], batch_ids: int) -> Iterator[tuple[int, int]]:
    """(start, end) row ranges whose sizes add up to at most ``batch_ids`` (or one row)."""
    start, total = 0, 0
    for i, size in enumerate(sizes):
        if i > start and total + size > batch_ids:
            yield start, i
            start, total = i, 0
        total += size
    if start < len(sizes):
        yield start, len(sizes)


def count_listings(
    ledger: pl.DataFrame,
    lookup: pl.DataFrame,
    batch_ids: int = BATCH_IDS,
    neutralised: bool = False,
) -> Iterator[tuple[str, pl.DataFrame]]:
    """(count id, listing) for every count of things in ``ledger``, by count id.

    A listing has the columns ``id`` and those of ``lookup`` (:data:`LISTING_SCHEMA`): each
    of the count's IDs left-joined with its lookup row (kind, title, year and source; nulls
    for an ID the lookup lacks).

    With ``neutralised`` every text cell is already formula-neutralised (what
    :func:`~scoping_review.spreadsheet.neutralise` of each listing gives): the lookup's text
    is neutralised once, before the join, instead of once per listing row it lands in (at
    100k records the listings hold about a hundred times more rows than the lookup).
    """
    counts = (
        ledger.filter(pl.col("id_kind") != "none")
        .select("count_id", "ids")
        .sort("count_id", maintain_order=True)
    )
    lookup = lookup.select(list(LOOKUP_SCHEMA))
    if neutralised:
        # the join key stays raw; the listed ID is neutralised after the join
        lookup = pl.concat([lookup.select("id"), neutralise(lookup.drop("id"))], how="horizontal")
    sizes = counts.get_column("ids").list.len().to_list()
    for start, end in _batches(sizes, batch_ids):
        batch = counts.slice(start, end - start)
        exploded = (
            batch.filter(pl.col("ids").list.len() > 0)
            .explode("ids")
            .rename({"ids": "id"})
            .join(lookup, on="id", how="left", maintain_order="left")
        )
        if neutralised:
            exploded = exploded.with_columns(neutralise(exploded.select("id")))
        parts = exploded.partition_by("count_id", maintain_order=True, as_dict=True)
        for count_id in batch.get_column("count_id").to_list():
            part = parts.get((count_id,))
            if part is None:
                yield count_id, pl.DataFrame(schema=LISTING_SCHEMA)
            else:
                yield count_id, part.drop("count_id")
