"""Automatic exclusions from config rules (one row per excluded study and rule)."""

from __future__ import annotations

import re
from collections.abc import Sequence

import polars as pl

from .settings import AUTOMATION_KINDS, TEXT_FIELDS, AutomationRule

# -- automation ------------------------------------------------------------------------------


def _rule_condition(rule: AutomationRule, studies: pl.DataFrame) -> pl.Expr:
    if rule.kind in ("year_before", "year_after"):
        if len(rule.values) != 1 or not rule.values[0].lstrip("-").isdigit():
            raise ValueError(f"automation rule {rule.rule_id!r}: {rule.kind} needs one year")
        year = int(rule.values[0])
        return pl.col("year") < year if rule.kind == "year_before" else pl.col("year") > year
    if rule.kind == "language_not_in":
        wanted = [v.lower() for v in rule.values]
        lang = pl.col("language").str.to_lowercase()
        return lang.is_not_null() & ~lang.is_in(wanted)
    if rule.kind == "publication_type_in":
        wanted = [v.lower() for v in rule.values]
        return pl.col("publication_type").str.to_lowercase().is_in(wanted)
    if rule.kind in ("field_contains", "field_matches", "field_missing"):
        if rule.field not in TEXT_FIELDS or rule.field not in studies.columns:
            raise ValueError(
                f"automation rule {rule.rule_id!r}: {rule.kind} needs `field`, one of "
                f"{TEXT_FIELDS} (got {rule.field!r})"
            )
        col = pl.col(rule.field)
        if rule.kind == "field_missing":
            return col.is_null() | (col.str.strip_chars() == "")
        if not rule.values:
            raise ValueError(f"automation rule {rule.rule_id!r}: {rule.kind} needs values")
        if rule.kind == "field_contains":
            pattern = "(?i)(" + "|".join(re.escape(v) for v in rule.values) + ")"
        else:
            for v in rule.values:
                try:
                    re.compile(v)
                except re.error as err:
                    raise ValueError(
                        f"automation rule {rule.rule_id!r}: bad pattern {v!r}: {err}"
                    ) from err
            pattern = "(" + ")|(".join(rule.values) + ")"
        return col.str.contains(pattern)
    raise ValueError(
        f"automation rule {rule.rule_id!r}: unknown kind {rule.kind!r} (one of {AUTOMATION_KINDS})"
    )


def automatic_exclusions(studies: pl.DataFrame, rules: Sequence[AutomationRule]) -> pl.DataFrame:
    """study_id, rule_id, reason, rule_ids for each study an automation rule excludes.

    The first matching rule (config order) is the one the study is counted under
    (``excluded_automatic.<rule>``); ``rule_ids`` lists every rule that matched it.
    """
    ids = [r.rule_id for r in rules]
    if len(set(ids)) != len(ids):
        raise ValueError(f"automation rule ids must be unique, got {ids}")
    hits: list[pl.DataFrame] = []
    for order, rule in enumerate(rules):
        cond = _rule_condition(rule, studies)
        hits.append(
            studies.filter(cond.fill_null(False)).select(
                "study_id",
                pl.lit(order).alias("_order"),
                pl.lit(rule.rule_id).alias("rule_id"),
                pl.lit(rule.reason).alias("reason"),
            )
        )
    empty = pl.DataFrame(
        schema={
            "study_id": pl.String,
            "rule_id": pl.String,
            "reason": pl.String,
            "rule_ids": pl.List(pl.String),
        }
    )
    if not hits:
        return empty
    every = pl.concat(hits).sort("study_id", "_order")
    return (
        every.group_by("study_id", maintain_order=True)
        .agg(
            pl.col("rule_id").first(),
            pl.col("reason").first(),
            pl.col("rule_id").alias("rule_ids"),
        )
        .sort("study_id")
        .select(empty.columns)
    )


def automation_hits(automatic: pl.DataFrame) -> dict[str, list[str]]:
    """rule_id → every study the rule matched (a study may match several rules)."""
    hits: dict[str, list[str]] = {}
    if "rule_ids" not in automatic.columns:
        for study, rule in automatic.select("study_id", "rule_id").rows():
            hits.setdefault(rule, []).append(study)
        return hits
    for study, rules in automatic.select("study_id", "rule_ids").rows():
        for rule in rules:
            hits.setdefault(rule, []).append(study)
    return hits
