"""Screening vocabulary (stages, decisions, automation kinds) and the settings read from config."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .. import vocabulary

STAGES = vocabulary.SCREEN_STAGES  # the command line offers them without loading this package

DECISIONS: dict[str, tuple[str, ...]] = {
    "title_abstract": ("include", "exclude", "maybe"),
    "full_text": ("include", "exclude", "not_retrieved"),
}
NEEDS_REASON = {"exclude", "not_retrieved"}
CONSENSUS = "consensus"
MAX_INDEPENDENT = 2
REASON_SEPARATORS = re.compile(r"[;|,]")
STAGE_COUNT_PREFIX = {"title_abstract": "records", "full_text": "dbr"}
PENDING_KINDS = ("not_screened", "awaiting_reviewer", "conflict", "maybe")
AUTOMATION_KINDS = (
    "year_before",
    "year_after",
    "language_not_in",
    "publication_type_in",
    "field_contains",
    "field_matches",
    "field_missing",
)
TEXT_FIELDS = ("title", "abstract", "journal", "publication_type", "language", "doi")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


class ScreeningError(ValueError):
    """Decision sheets that cannot be applied; the message lists every problem found."""


@dataclass(frozen=True)
class AutomationRule:
    rule_id: str
    kind: str  # one of AUTOMATION_KINDS
    values: tuple[str, ...]
    reason: str
    field: str | None = None  # for the field_* kinds

    @classmethod
    def from_config(cls, rule: Mapping[str, Any]) -> AutomationRule:
        return cls(
            str(rule["id"]),
            str(rule["kind"]),
            tuple(str(v) for v in rule.get("values") or ()),
            str(rule["reason"]),
            rule.get("field"),
        )


@dataclass(frozen=True)
class StageSettings:
    """How one stage is screened: independent reviewers needed, and who screens it."""

    reviewers: int = 1
    names: tuple[str, ...] = ()


@dataclass(frozen=True)
class Settings:
    stages: dict[str, StageSettings]
    rules: tuple[AutomationRule, ...] = ()

    @classmethod
    def from_config(cls, screening: Mapping[str, Any]) -> Settings:
        default = int(screening.get("reviewers_per_stage", 1))
        per_stage = screening.get("stages") or {}
        stages = {}
        for stage in STAGES:
            cfg = per_stage.get(stage) or {}
            stages[stage] = StageSettings(
                reviewers=int(cfg.get("reviewers", default)),
                names=tuple(str(n) for n in cfg.get("names") or ()),
            )
        rules = tuple(AutomationRule.from_config(r) for r in screening.get("automation") or ())
        return cls(stages=stages, rules=rules)

    def needed(self) -> dict[str, int]:
        return {stage: s.reviewers for stage, s in self.stages.items()}
