"""03_screen: decisions from reviewers' sheets, validated, applied to studies stage by stage.

Sheets may name a study by ``study_id`` or by any member ``record_id`` (the tool resolves it),
so a team can screen from a database's own export. Problems are collected, not raised one by
one: :class:`ScreeningError` lists every bad row with its sheet and row number.

A stage is screened by one reviewer or by two independent reviewers (config). With two, a
study is decided when both agree or a consensus row exists; otherwise it stays pending (the
run does not fail) and is listed as a conflict. Decisions are keyed by study, so a record that
joins an already-screened study in a later search inherits its decisions
(:func:`carry_over` flags it when it brings an abstract the screened records lacked).
"""

from __future__ import annotations

from ..normalize import slug
from .automation import automatic_exclusions, automation_hits
from .carryover import carry_over, has_abstract
from .counts import automation_counts, carry_over_counts, dual_counts, screen_counts
from .dual import agreement_table, conflicts_table, independent_pairs
from .outcomes import check_full_text_scope, screening_status, stage_outcomes
from .reasons import best_reason, reason_rank, split_reasons
from .settings import (
    AUTOMATION_KINDS,
    CONSENSUS,
    DECISIONS,
    MAX_INDEPENDENT,
    NEEDS_REASON,
    PENDING_KINDS,
    REASON_SEPARATORS,
    STAGE_COUNT_PREFIX,
    STAGES,
    TEXT_FIELDS,
    AutomationRule,
    ScreeningError,
    Settings,
    StageSettings,
)
from .sheets import Sheet, check_configured_reviewers, read_decisions

__all__ = [
    "AUTOMATION_KINDS",
    "CONSENSUS",
    "DECISIONS",
    "MAX_INDEPENDENT",
    "NEEDS_REASON",
    "PENDING_KINDS",
    "REASON_SEPARATORS",
    "STAGES",
    "STAGE_COUNT_PREFIX",
    "TEXT_FIELDS",
    "AutomationRule",
    "ScreeningError",
    "Settings",
    "Sheet",
    "StageSettings",
    "agreement_table",
    "automatic_exclusions",
    "automation_counts",
    "automation_hits",
    "best_reason",
    "carry_over",
    "carry_over_counts",
    "check_configured_reviewers",
    "check_full_text_scope",
    "conflicts_table",
    "dual_counts",
    "has_abstract",
    "independent_pairs",
    "read_decisions",
    "reason_rank",
    "screen_counts",
    "screening_status",
    "slug",
    "split_reasons",
    "stage_outcomes",
]
