"""The screening stage's ledger counts: screened, excluded with reasons, pending, dual review,
carry-over, automation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

from .. import agreement as agr
from ..ledger import Count, Emitter
from .automation import automation_hits
from .dual import independent_pairs
from .settings import PENDING_KINDS, STAGES

# -- ledger ----------------------------------------------------------------------------------


def screen_counts(
    status: pl.DataFrame,
    studies: pl.DataFrame,
    automatic: pl.DataFrame,
    criteria: Sequence[Mapping[str, Any]],
    previous_study_ids: Sequence[str] = (),
) -> list[Count]:
    """PRISMA flow counts from the per-study status (records use representative record IDs)."""
    emit = Emitter("03_screen", "screen")
    rep = dict(zip(studies["study_id"], studies["representative_record_id"], strict=True))
    joined = status.with_columns(
        pl.col("study_id").replace_strict(rep, return_dtype=pl.String).alias("record_id")
    )

    def ids(cond: pl.Expr, col: str = "study_id") -> list[str]:
        return joined.filter(cond.fill_null(False))[col].to_list()

    def c(cid: str, values: list[str], unit: str, label: str, kind: str) -> Count:
        return emit.count(cid, values, unit=unit, label=label, id_kind=kind)

    screened = pl.col("title_abstract").is_not_null()
    ta_excl = pl.col("title_abstract") == "exclude"
    sought = pl.col("title_abstract") == "include"
    not_retrieved = pl.col("full_text") == "not_retrieved"
    assessed = sought & ~not_retrieved
    ft_excl = pl.col("full_text") == "exclude"
    included = pl.col("final") == "included"
    labels = {cr["code"]: cr["label"] for cr in criteria}
    included_ids = ids(included)
    counts = [
        c(
            "excluded_automatic",
            ids(pl.col("final") == "excluded_automatic", "record_id"),
            "records",
            "Records removed by automation rules",
            "record_id",
        ),
        c(
            "records_screened",
            ids(screened, "record_id"),
            "records",
            "Records screened",
            "record_id",
        ),
        c(
            "records_excluded",
            ids(ta_excl, "record_id"),
            "records",
            "Records excluded at title/abstract",
            "record_id",
        ),
        c(
            "records_pending",
            ids(pl.col("title_abstract") == "pending", "record_id"),
            "records",
            "Records awaiting title/abstract screening",
            "record_id",
        ),
        c("dbr_sought_reports", ids(sought), "reports", "Reports sought for retrieval", "study_id"),
        c(
            "dbr_notretrieved_reports",
            ids(not_retrieved),
            "reports",
            "Reports not retrieved",
            "study_id",
        ),
        c("dbr_assessed", ids(assessed), "reports", "Reports assessed for eligibility", "study_id"),
        c("dbr_excluded", ids(ft_excl), "reports", "Reports excluded at full text", "study_id"),
        c(
            "dbr_pending",
            ids(pl.col("full_text") == "pending"),
            "reports",
            "Reports awaiting full-text assessment",
            "study_id",
        ),
        c("new_reports", included_ids, "reports", "Reports of new included studies", "study_id"),
        c("new_studies", included_ids, "studies", "New studies included in review", "study_id"),
        c(
            "previous_studies",
            list(previous_study_ids),
            "studies",
            "Studies included in previous version of review",
            "study_id",
        ),
        c(
            "total_studies",
            [*included_ids, *previous_study_ids],
            "studies",
            "Total studies included in review",
            "study_id",
        ),
    ]
    for code in sorted({r for r in joined.filter(ta_excl)["title_abstract_reason"].to_list() if r}):
        counts.append(
            c(
                f"records_excluded.{code}",
                ids(ta_excl & (pl.col("title_abstract_reason") == code), "record_id"),
                "records",
                f"Excluded at title/abstract: {labels.get(code, code)}",
                "record_id",
            )
        )
    for prefix, cond in (("dbr_excluded", ft_excl), ("dbr_notretrieved_reports", not_retrieved)):
        for code in sorted({r for r in joined.filter(cond)["full_text_reason"].to_list() if r}):
            counts.append(
                c(
                    f"{prefix}.{code}",
                    ids(cond & (pl.col("full_text_reason") == code)),
                    "reports",
                    f"{labels.get(code, code)}",
                    "study_id",
                )
            )
    for rule_id in sorted(set(automatic["rule_id"].to_list())):
        auto_ids = automatic.filter(pl.col("rule_id") == rule_id)["study_id"].to_list()
        counts.append(
            c(
                f"excluded_automatic.{rule_id}",
                [rep[s] for s in auto_ids],
                "records",
                f"Removed by automation rule {rule_id}",
                "record_id",
            )
        )
    # why work is pending, per stage (title/abstract in records, full text in reports)
    for stage, col, kind, unit in (
        ("title_abstract", "record_id", "record_id", "records"),
        ("full_text", "study_id", "study_id", "reports"),
    ):
        for pk in PENDING_KINDS:
            cond = (pl.col(stage) == "pending") & (pl.col("pending_kind") == pk)
            if pk == "maybe" and stage == "full_text":
                continue
            counts.append(
                c(
                    f"pending.{stage}.{pk}",
                    ids(cond, col),
                    unit,
                    f"Awaiting {stage.replace('_', '/')} screening: {pk.replace('_', ' ')}",
                    kind,
                )
            )
    return counts


def dual_counts(conflicts: pl.DataFrame, decisions: pl.DataFrame) -> list[Count]:
    """Agreement counts and measures per stage (statistics stored in thousandths)."""
    emit = Emitter("03_screen", "screen")
    counts: list[Count] = []
    for stage in STAGES:
        pairs = independent_pairs(decisions, stage)
        same = pairs.filter(pl.col("decision_a") == pl.col("decision_b"))
        where = f"at {stage.replace('_', '/')}"
        counts.append(
            emit.count(
                f"agreement.{stage}.compared",
                pairs["study_id"].to_list(),
                unit="studies",
                label=f"Studies decided by two independent reviewers {where}",
                id_kind="study_id",
            )
        )
        counts.append(
            emit.count(
                f"agreement.{stage}.agreed",
                same["study_id"].to_list(),
                unit="studies",
                label=f"Studies on which both reviewers made the same decision {where}",
                id_kind="study_id",
            )
        )
        mine = conflicts.filter(pl.col("stage") == stage)
        counts.append(
            emit.count(
                f"conflicts.{stage}",
                mine["study_id"].to_list(),
                unit="studies",
                label=f"Conflicts between reviewers {where}",
                id_kind="study_id",
            )
        )
        counts.append(
            emit.count(
                f"conflicts.{stage}.unresolved",
                mine.filter(~pl.col("resolved"))["study_id"].to_list(),
                unit="studies",
                label=f"Conflicts {where} awaiting a consensus decision",
                id_kind="study_id",
            )
        )
        stats = agr.agreement(list(pairs.select("decision_a", "decision_b").iter_rows()))
        for stat, name in (
            ("percent", "Percent agreement"),
            ("kappa", "Cohen's kappa"),
            ("ac1", "Gwet's AC1"),
        ):
            value = agr.thousandths(getattr(stats, stat))
            if value is None:
                continue
            counts.append(
                emit.measure(
                    f"agreement.{stage}.{stat}",
                    value,
                    unit="thousandths",
                    label=f"{name} {where}, in thousandths (see agreement.{stage}.compared)",
                )
            )
    return counts


def carry_over_counts(carried: pl.DataFrame) -> list[Count]:
    emit = Emitter("03_screen", "screen")
    return [
        emit.count(
            "screen.carried_over",
            carried["record_id"].to_list(),
            unit="records",
            label="Records that joined an already-screened study and inherit its decisions",
            id_kind="record_id",
        ),
        emit.count(
            "screen.recheck_abstract",
            carried.filter(pl.col("adds_abstract"))["record_id"].to_list(),
            unit="records",
            label="Inherited decisions to look at again: the new record adds an abstract",
            id_kind="record_id",
        ),
    ]


def automation_counts(automatic: pl.DataFrame, studies: pl.DataFrame) -> list[Count]:
    """Every rule's hits (a study matched by two rules is a hit of both)."""
    emit = Emitter("03_screen", "screen")
    rep = dict(zip(studies["study_id"], studies["representative_record_id"], strict=True))
    return [
        emit.count(
            f"automation.{rule}.hits",
            [rep[s] for s in hit],
            unit="records",
            label=f"Records matched by automation rule {rule}",
            id_kind="record_id",
        )
        for rule, hit in sorted(automation_hits(automatic).items())
    ]
