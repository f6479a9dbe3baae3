"""The data contract: one declared schema per stage table, with its grain and key.

Every stage adapter validates what it writes with :func:`validate`, so a table that breaks
its contract stops the run at the boundary where it was produced, not three stages later.
"""

from __future__ import annotations

from .base import Bool, InputHash, Int, SchemaError, Str, StrList, TableSchema, validate
from .dedupe_tables import CLUSTERS, RELATIONS, REVIEW_QUEUE, STUDIES
from .import_tables import FILES, RECORDS, REJECTS
from .ledger_tables import LEDGER, QUALITY
from .prioritisation_tables import RANKING, ROUNDS, STOPPING
from .registry import ALL
from .screen_tables import AGREEMENT, CARRYOVER, CONFLICTS, DECISIONS, STATUS
from .synthesis_tables import (
    CHARACTERISTICS,
    CHARTING,
    CODEBOOK,
    COOCCURRENCE,
    EVIDENCE_MAP,
    OVERARCHING,
    PREVALENCE,
    SEGMENTS,
    THEMES,
)
from .version_tables import CHANGES, VERSION_INCLUDED

__all__ = [
    "AGREEMENT",
    "ALL",
    "CARRYOVER",
    "CHANGES",
    "CHARACTERISTICS",
    "CHARTING",
    "CLUSTERS",
    "CODEBOOK",
    "CONFLICTS",
    "COOCCURRENCE",
    "DECISIONS",
    "EVIDENCE_MAP",
    "FILES",
    "LEDGER",
    "OVERARCHING",
    "PREVALENCE",
    "QUALITY",
    "RANKING",
    "RECORDS",
    "REJECTS",
    "RELATIONS",
    "REVIEW_QUEUE",
    "ROUNDS",
    "SEGMENTS",
    "STATUS",
    "STOPPING",
    "STUDIES",
    "THEMES",
    "VERSION_INCLUDED",
    "Bool",
    "InputHash",
    "Int",
    "SchemaError",
    "Str",
    "StrList",
    "TableSchema",
    "validate",
]
