"""Dedupe thresholds (config), the duplicate rule names and the result type of a run."""

from __future__ import annotations

from dataclasses import dataclass, fields

import polars as pl

from .. import schemas
from .scoring import DUPLICATE_RULES

RULES = (*DUPLICATE_RULES, "override")
# the import's provenance columns (each record's raw tags and values, its file's hash): no
# step of deduplication reads them, and at 1M records raw_values alone is about a gigabyte
UNREAD_COLUMNS = ("raw_values", "raw_tags", "source_sha256")
RECORD_COLUMNS = tuple(c for c in schemas.RECORDS.columns if c not in UNREAD_COLUMNS)
_PRIORITY = {rule: len(DUPLICATE_RULES) - k for k, rule in enumerate(DUPLICATE_RULES)}


@dataclass(frozen=True)
class DedupeSettings:
    """Thresholds (0-100 similarities). Every field is a ``dedupe:`` config key."""

    min_title_similarity: float = 90.0
    min_title_words: int = 4
    fuzzy_title_similarity: float = 95.0
    maybe_title_similarity: float = 85.0
    min_author_similarity: float = 80.0
    min_journal_similarity: float = 90.0
    guard_min_title_similarity: float = 70.0
    block_window: int = 10

    @classmethod
    def from_config(cls, config: dict[str, object]) -> DedupeSettings:
        """Settings from the ``dedupe:`` config section (keys that are not thresholds, such as
        ``decisions``, are ignored here)."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in config.items() if k in names})  # type: ignore[arg-type]


@dataclass(frozen=True)
class DedupeResult:
    clusters: pl.DataFrame
    studies: pl.DataFrame
    review_queue: pl.DataFrame
    relations: pl.DataFrame
    pairs_compared: int
    # pairs scored by this run (fewer than compared when an earlier run's scores were reused)
    pairs_scored: int = 0
