"""Clusters from duplicate links, with a guard against chaining and people's decisions applied.

1. Connected components of the duplicate links (vectorised label propagation).
2. The chaining guard: inside every component of three or more records, all member pairs are
   checked; a component holding two records that cannot be the same study (different DOIs,
   years more than one apart, unrelated titles, a relation such as erratum, or a person's
   "different") is rebuilt link by link, strongest first, and a link is skipped when it would
   join two groups holding such a pair. One weak link so never pulls in a third record.
3. People's decisions: "same" adds a link stronger than any rule; "different" removes the link
   and forbids the two records from ending in one study.
"""

from __future__ import annotations

import polars as pl

OVERRIDE_PRIORITY = 100


def components(n: int, edges: pl.DataFrame) -> pl.DataFrame:
    """``i`` → ``label`` (smallest ``i`` of its component) for ``n`` nodes and edges (i, j)."""
    labels = pl.DataFrame({"i": pl.arange(0, n, dtype=pl.UInt32, eager=True)}).with_columns(
        pl.col("i").alias("label")
    )
    if edges.is_empty():
        return labels
    both = pl.concat(
        [
            edges.select(pl.col("i").alias("src"), pl.col("j").alias("dst")),
            edges.select(pl.col("j").alias("src"), pl.col("i").alias("dst")),
        ]
    )
    while True:
        nb = (
            both.join(labels, left_on="dst", right_on="i")
            .group_by("src")
            .agg(pl.col("label").min().alias("nb"))
        )
        new = (
            labels.join(nb, left_on="i", right_on="src", how="left")
            .with_columns(pl.min_horizontal("label", "nb").alias("label"))
            .drop("nb")
        )
        # pointer jumping: take the label of the label
        new = new.join(
            new.select(pl.col("i").alias("_l"), pl.col("label").alias("_ll")),
            left_on="label",
            right_on="_l",
        ).select("i", pl.min_horizontal("label", "_ll").alias("label"))
        new = new.sort("i")
        if new["label"].equals(labels["label"]):
            return new
        labels = new


class _Groups:
    """Union-find over a few records, keeping each group's members for the cannot-link check."""

    def __init__(self, nodes: list[int]) -> None:
        self.parent = {x: x for x in nodes}
        self.members = {x: {x} for x in nodes}

    def find(self, x: int) -> int:
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def can_join(self, a: int, b: int, cannot: set[tuple[int, int]]) -> bool:
        ma, mb = self.members[self.find(a)], self.members[self.find(b)]
        return not any((min(x, y), max(x, y)) in cannot for x in ma for y in mb)

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        keep, drop = min(ra, rb), max(ra, rb)
        self.parent[drop] = keep
        self.members[keep] |= self.members.pop(drop)


def rebuild(
    edges: pl.DataFrame,
    cannot_auto: set[tuple[int, int]],
    cannot_human: set[tuple[int, int]],
) -> tuple[dict[int, int], set[tuple[int, int]]]:
    """Greedy clustering of one or more flagged components.

    ``edges`` (i, j, priority, score) are taken strongest first; a person's "same" (priority
    :data:`OVERRIDE_PRIORITY`) is refused only by a person's "different". Returns the label of
    every node and the links that were refused.
    """
    nodes = sorted(set(edges["i"].to_list()) | set(edges["j"].to_list()))
    groups = _Groups(nodes)
    refused: set[tuple[int, int]] = set()
    ordered = edges.sort(["priority", "score", "i", "j"], descending=[True, True, False, False])
    for i, j, priority in ordered.select("i", "j", "priority").iter_rows():
        if groups.find(i) == groups.find(j):
            continue
        cannot = cannot_human if priority >= OVERRIDE_PRIORITY else cannot_auto | cannot_human
        if groups.can_join(i, j, cannot):
            groups.union(i, j)
        else:
            refused.add((i, j))
    return {x: groups.find(x) for x in nodes}, refused
