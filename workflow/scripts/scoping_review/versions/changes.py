"""Changes since the previous version (one row per change and ID) and their ledger counts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from .. import schemas
from ..ledger import Count, CountSpec, Emitter, count_of, measure
from .freeze import EXCLUDED


def included_studies(status: pl.DataFrame, studies: pl.DataFrame) -> pl.DataFrame:
    """The studies a version includes, with enough bibliography to recognise them."""
    ids = status.filter(pl.col("final") == "included").select("study_id")
    frame = ids.join(studies, on="study_id", how="left").select(
        list(schemas.VERSION_INCLUDED.columns)
    )
    return schemas.validate(frame.sort("study_id"), schemas.VERSION_INCLUDED)


@dataclass(frozen=True)
class PreviousVersion:
    """The tables of the previous version that the changes are computed against."""

    number: int
    clusters: pl.DataFrame  # record_id, study_id
    status: pl.DataFrame  # study_id, final
    ledger: pl.DataFrame  # the version's counts ledger


def _rows(change: str, frame: pl.DataFrame, id_kind: str) -> pl.DataFrame:
    cols = {c: pl.lit(None, pl.String) for c in ("source_id", "study_id", "previous", "current")}
    cols.update({c: pl.col(c) for c in frame.columns if c in cols})
    return frame.select(
        pl.lit(change).alias("change"), pl.col("id"), pl.lit(id_kind).alias("id_kind"), **cols
    )


def compute_changes(
    previous: PreviousVersion,
    records: pl.DataFrame,
    clusters: pl.DataFrame,
    status: pl.DataFrame,
) -> pl.DataFrame:
    """One row per record or study that is new, gone or decided differently since ``previous``."""
    prev_records = set(previous.clusters["record_id"].to_list())
    prev_study = dict(
        zip(previous.clusters["record_id"], previous.clusters["study_id"], strict=True)
    )
    prev_final = dict(zip(previous.status["study_id"], previous.status["final"], strict=True))
    prev_included = {s for s, f in prev_final.items() if f == "included"}
    known_studies = set(previous.clusters["study_id"].to_list())

    recs = records.select("record_id", "source_id").join(
        clusters.select("record_id", "study_id"), on="record_id", how="left"
    )
    new_recs = recs.filter(~pl.col("record_id").is_in(list(prev_records))).rename(
        {"record_id": "id"}
    )
    dup_known = new_recs.filter(pl.col("study_id").is_in(list(known_studies)))
    dup_included = new_recs.filter(pl.col("study_id").is_in(list(prev_included)))
    removed = pl.DataFrame(
        {
            "id": sorted(prev_records - set(recs["record_id"].to_list())),
        },
        schema={"id": pl.String},
    ).with_columns(
        pl.col("id")
        .replace_strict(prev_study, default=None, return_dtype=pl.String)
        .alias("study_id")
    )
    current_studies = set(status["study_id"].to_list())
    now = status.select(
        pl.col("study_id").alias("id"),
        pl.col("study_id"),
        pl.col("final").alias("current"),
        pl.col("study_id")
        .replace_strict(prev_final, default=None, return_dtype=pl.String)
        .alias("previous"),
        pl.col("study_id").is_in(list(known_studies)).alias("_known"),
    )
    # a study not known before holds a new record, or was split off a known study (a
    # person's "different", a rule's change) from records all known before
    with_new = set(new_recs["study_id"].drop_nulls().to_list())
    unknown = now.filter(~pl.col("_known"))
    new_studies = unknown.filter(pl.col("study_id").is_in(sorted(with_new)))
    split_off = unknown.filter(~pl.col("study_id").is_in(sorted(with_new)))
    newly_included = now.filter(
        (pl.col("current") == "included") & (pl.col("previous").fill_null("") != "included")
    )
    newly_excluded = now.filter(
        pl.col("current").is_in(list(EXCLUDED))
        & ~pl.col("previous").fill_null("").is_in(list(EXCLUDED))
    )
    pending = now.filter(pl.col("current") == "pending")
    changed = now.filter(pl.col("_known") & (pl.col("previous") != pl.col("current")))
    gone = pl.DataFrame(
        {"id": sorted(known_studies - current_studies)}, schema={"id": pl.String}
    ).with_columns(
        pl.col("id").alias("study_id"),
        pl.col("id")
        .replace_strict(prev_final, default=None, return_dtype=pl.String)
        .alias("previous"),
    )
    parts = [
        _rows("new_record", new_recs, "record_id"),
        _rows("duplicate_of_known", dup_known, "record_id"),
        _rows("duplicate_of_included", dup_included, "record_id"),
        _rows("record_removed", removed, "record_id"),
        _rows("new_study", new_studies.drop("_known"), "study_id"),
        _rows("split_study", split_off.drop("_known"), "study_id"),
        _rows("included", newly_included.drop("_known"), "study_id"),
        _rows("excluded", newly_excluded.drop("_known"), "study_id"),
        _rows("pending", pending.drop("_known"), "study_id"),
        _rows("status_changed", changed.drop("_known"), "study_id"),
        _rows("study_removed", gone, "study_id"),
    ]
    frame = pl.concat(parts, how="vertical").sort("change", "id")
    return schemas.validate(frame, schemas.CHANGES)


# change kind -> (count id, unit, label); the report's "changes" section lists them in order
def _change(kind: str) -> Callable[[pl.DataFrame], pl.Series]:
    """Selector: the IDs of the changes table's rows of one kind of change."""
    return lambda changes: changes.filter(pl.col("change") == kind)["id"]


# id, label, unit, id kind, selector (over the changes table); the report lists them in order
CHANGE_COUNTS: tuple[CountSpec, ...] = (
    CountSpec("changes.records", "New records identified since the previous version",
              "records", "record_id", _change("new_record")),
    CountSpec("changes.duplicates_of_known",
              "New records that are duplicates of studies already known",
              "records", "record_id", _change("duplicate_of_known")),
    CountSpec("changes.duplicates_of_included",
              "New records that are duplicates of previously included studies",
              "records", "record_id", _change("duplicate_of_included")),
    CountSpec("changes.new_studies", "New studies (not known before)", "studies", "study_id",
              _change("new_study")),
    CountSpec("changes.split_studies",
              "Studies split off a study known before, from records known before (a person's "
              "'different' decision, or a changed rule)", "studies", "study_id",
              _change("split_study")),
    CountSpec("changes.included", "Studies newly included", "studies", "study_id",
              _change("included")),
    CountSpec("changes.excluded", "Studies newly excluded", "studies", "study_id",
              _change("excluded")),
    CountSpec("changes.pending", "Studies awaiting screening", "studies", "study_id",
              _change("pending")),
    CountSpec("changes.status_changed", "Previously known studies whose screening outcome changed",
              "studies", "study_id", _change("status_changed")),
    CountSpec("changes.records_removed", "Records of the previous version no longer present",
              "records", "record_id", _change("record_removed")),
    CountSpec("changes.studies_removed",
              "Studies of the previous version no longer present (merged or removed)",
              "studies", "study_id", _change("study_removed")),
)  # fmt: skip
BY_SOURCE = CountSpec(
    "changes.records.{source_id}", "New records from search {source_id}", "records", "record_id"
)
COUNTS_CHANGED = CountSpec(
    "changes.counts_changed",
    "Ledger counts whose value changed since the previous version",
    "counts",
    "count_id",
)
STAGE = "08_changes"
RULE = "changes"


def change_counts(
    previous: PreviousVersion, changes: pl.DataFrame, current_ledger: pl.DataFrame
) -> list[Count]:
    """``changes.*`` ledger counts: the version compared with, what is new, what changed.

    ``current_ledger`` holds the run's other ledger rows (the stage parts); every count whose
    value differs from the previous version's gets ``changes.previous.<count_id>`` with the
    previous value and IDs, and ``changes.counts_changed`` lists those count IDs.
    """
    emit = Emitter(STAGE, RULE)
    counts = [
        emit.measure(
            "changes.previous_version",
            previous.number,
            unit="version",
            label="Number of the previous version this run is compared with",
        )
    ]
    counts += emit.table(CHANGE_COUNTS, changes)
    new = changes.filter(pl.col("change") == "new_record")
    sources = sorted(set(new["source_id"].drop_nulls().to_list()))
    counts += emit.groups(BY_SOURCE, new, "source_id", sources, "id")
    prev = {r["count_id"]: r for r in previous.ledger.iter_rows(named=True)}
    changed_ids: list[str] = []
    previous_counts: list[Count] = []
    now = {
        r["count_id"]: r["value"]
        for r in current_ledger.select("count_id", "value").rows(named=True)
    }
    # a count the previous version had and this one lacks fell to nothing (a charted value
    # no included study has now): changed too, shown as no longer counted
    gone = sorted(
        c
        for c, r in prev.items()
        if c not in now and r["value"] and not c.startswith(("changes.", "update."))
    )
    for cid in sorted([*now, *gone]):
        old = prev.get(cid)
        if cid.startswith("changes.") or old is None or old["value"] == now.get(cid):
            continue
        changed_ids.append(cid)
        label = f"{old['label']} (version {previous.number})"
        if old["id_kind"] == "none":
            previous_counts.append(
                measure(
                    f"changes.previous.{cid}",
                    int(old["value"]),
                    unit=old["unit"],
                    label=label,
                    stage=STAGE,
                    rule=RULE,
                )
            )
        else:
            previous_counts.append(
                count_of(
                    f"changes.previous.{cid}",
                    old["ids"],
                    unit=old["unit"],
                    label=label,
                    stage=STAGE,
                    rule=RULE,
                    id_kind=old["id_kind"],
                )
            )
    counts.append(emit.of(COUNTS_CHANGED, changed_ids))
    return counts + previous_counts


# what the terminal says an update changed: ledger count IDs and their words
SUMMARY = (
    ("changes.records", "new records"),
    ("changes.duplicates_of_known", "duplicates of known studies"),
    ("changes.new_studies", "new studies"),
    ("changes.included", "newly included"),
    ("changes.excluded", "newly excluded"),
    ("changes.pending", "awaiting screening"),
)


def change_summary(values: dict[str, int], round_: int | None = None) -> str | None:
    """One line of what changed since the previous version, from the ledger's change counts
    (``values``: count ID to value); None when the run has no previous version.

    With ``round_`` (the config's newest round) the line says which round is compared with
    which version: round R's report compares with the version before round R, which is not
    the newest version once round R itself has been frozen."""
    previous = values.get("changes.previous_version")
    if previous is None:
        return None
    said = ", ".join(f"{values[cid]} {words}" for cid, words in SUMMARY if cid in values)
    if round_ is None:
        return f"since version {previous}: {said}"
    return f"round {round_} against version {previous}: {said}"
