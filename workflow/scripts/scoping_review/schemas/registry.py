"""Every stage table's schema, in one tuple."""

from __future__ import annotations

from .base import TableSchema
from .dedupe_tables import CLUSTERS, RELATIONS, REVIEW_QUEUE, STUDIES
from .import_tables import FILES, RECORDS, REJECTS
from .ledger_tables import LEDGER, QUALITY
from .prioritisation_tables import RANKING, ROUNDS, STOPPING
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

ALL: tuple[TableSchema, ...] = (
    FILES,
    RECORDS,
    REJECTS,
    CLUSTERS,
    STUDIES,
    DECISIONS,
    STATUS,
    AGREEMENT,
    CONFLICTS,
    CARRYOVER,
    CHARTING,
    SEGMENTS,
    PREVALENCE,
    THEMES,
    QUALITY,
    LEDGER,
    CHARACTERISTICS,
    CODEBOOK,
    OVERARCHING,
    COOCCURRENCE,
    EVIDENCE_MAP,
    REVIEW_QUEUE,
    RELATIONS,
)

ALL = (*ALL, CHANGES, VERSION_INCLUDED, RANKING, ROUNDS, STOPPING)
