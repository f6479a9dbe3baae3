"""Living updates: search rounds, frozen numbered versions and what changed between them.

A review's searches carry a ``round`` (1 for the first review, then 2, 3, ... for updates).
Each completed update (nothing awaiting screening) is frozen as a numbered version under
``results/versions/vNNN/`` with the ledger, the included studies, the record-to-study map,
the screening status, the report and a run manifest. The *previous version* of a run is the
newest frozen version whose newest round is older than the run's current round, so re-running
a round that was already frozen changes nothing, and the report of round R always compares
with the version that closed round R-1 (or an earlier one).

Everything here is pure: frames and plain values in, frames, counts and dicts out. The
``update`` command and the ``changes`` rule's adapter do the I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from . import schemas
from .ledger import Count, Emitter, count_of, measure

VERSIONS_DIR = "results/versions"
EXCLUDED = ("excluded_title_abstract", "excluded_full_text", "not_retrieved", "excluded_automatic")

# exit statuses of `scoping-review update` (documented in the README)
EXIT_OK = 0  # a new version was frozen, or nothing changed since the newest version
EXIT_ERROR = 1  # the workflow failed (bad input, broken contract, ...): a real error
EXIT_USAGE = 2  # bad command line or configuration
EXIT_PENDING = 3  # ran cleanly, but studies await human screening: no version frozen
EXIT_LOCKED = 4  # another run or update of the same review holds its write lock


@dataclass(frozen=True)
class VersionInfo:
    """What ``version.json`` of a frozen version says about it."""

    number: int
    max_round: int
    ledger_sha256: str

    @property
    def dirname(self) -> str:
        return version_dirname(self.number)


def version_dirname(number: int) -> str:
    return f"v{number:03d}"


def current_round(searches: Sequence[Mapping[str, Any]]) -> int:
    """The newest search round in the config (searches without ``round`` are round 1)."""
    return max((int(s.get("round", 1)) for s in searches), default=1)


def rounds(searches: Sequence[Mapping[str, Any]]) -> dict[int, list[str]]:
    """Search IDs by round, rounds in order."""
    out: dict[int, list[str]] = {}
    for s in searches:
        out.setdefault(int(s.get("round", 1)), []).append(str(s["id"]))
    return dict(sorted(out.items()))


def parse_version_info(data: Mapping[str, Any]) -> VersionInfo:
    return VersionInfo(int(data["number"]), int(data["max_round"]), str(data["ledger_sha256"]))


def previous_version(versions: Iterable[VersionInfo], round_: int) -> VersionInfo | None:
    """The newest frozen version whose newest round is older than ``round_``."""
    older = [v for v in versions if v.max_round < round_]
    return max(older, key=lambda v: v.number) if older else None


def latest_version(versions: Iterable[VersionInfo]) -> VersionInfo | None:
    return max(versions, key=lambda v: v.number, default=None)


@dataclass(frozen=True)
class FreezeDecision:
    action: str  # "freeze" | "pending" | "unchanged"
    number: int  # the version frozen, or the newest one when unchanged (0: none)
    message: str


def decide_freeze(
    versions: Sequence[VersionInfo], ledger_sha256: str, pending: int, round_: int
) -> FreezeDecision:
    """Freeze a new version only when nothing awaits screening and the ledger changed."""
    latest = latest_version(versions)
    if pending:
        return FreezeDecision(
            "pending",
            latest.number if latest else 0,
            f"{pending} studies await screening; no version frozen (round {round_})",
        )
    if latest is not None and latest.ledger_sha256 == ledger_sha256:
        return FreezeDecision(
            "unchanged", latest.number, f"nothing changed since version {latest.number}"
        )
    number = latest.number + 1 if latest else 1
    return FreezeDecision("freeze", number, f"froze version {number} (round {round_})")


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
    new_studies = now.filter(~pl.col("_known"))
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
        _rows("included", newly_included.drop("_known"), "study_id"),
        _rows("excluded", newly_excluded.drop("_known"), "study_id"),
        _rows("pending", pending.drop("_known"), "study_id"),
        _rows("status_changed", changed.drop("_known"), "study_id"),
        _rows("study_removed", gone, "study_id"),
    ]
    frame = pl.concat(parts, how="vertical").sort("change", "id")
    return schemas.validate(frame, schemas.CHANGES)


# change kind -> (count id, unit, label); the report's "changes" section lists them in order
CHANGE_COUNTS: tuple[tuple[str, str, str, str], ...] = (
    (
        "new_record",
        "changes.records",
        "records",
        "New records identified since the previous version",
    ),
    (
        "duplicate_of_known",
        "changes.duplicates_of_known",
        "records",
        "New records that are duplicates of studies already known",
    ),
    (
        "duplicate_of_included",
        "changes.duplicates_of_included",
        "records",
        "New records that are duplicates of previously included studies",
    ),
    ("new_study", "changes.new_studies", "studies", "New studies (not known before)"),
    ("included", "changes.included", "studies", "Studies newly included"),
    ("excluded", "changes.excluded", "studies", "Studies newly excluded"),
    ("pending", "changes.pending", "studies", "Studies awaiting screening"),
    (
        "status_changed",
        "changes.status_changed",
        "studies",
        "Previously known studies whose screening outcome changed",
    ),
    (
        "record_removed",
        "changes.records_removed",
        "records",
        "Records of the previous version no longer present",
    ),
    (
        "study_removed",
        "changes.studies_removed",
        "studies",
        "Studies of the previous version no longer present (merged or removed)",
    ),
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
    for change, count_id, unit, label in CHANGE_COUNTS:
        ids = changes.filter(pl.col("change") == change)["id"].to_list()
        kind = "record_id" if unit == "records" else "study_id"
        counts.append(emit.count(count_id, ids, unit=unit, label=label, id_kind=kind))
    new = changes.filter(pl.col("change") == "new_record")
    for source in sorted(set(new["source_id"].drop_nulls().to_list())):
        counts.append(
            emit.count(
                f"changes.records.{source}",
                new.filter(pl.col("source_id") == source)["id"].to_list(),
                unit="records",
                label=f"New records from search {source}",
                id_kind="record_id",
            )
        )
    prev = {r["count_id"]: r for r in previous.ledger.iter_rows(named=True)}
    changed_ids: list[str] = []
    previous_counts: list[Count] = []
    for row in current_ledger.sort("count_id").iter_rows(named=True):
        cid = row["count_id"]
        old = prev.get(cid)
        if cid.startswith("changes.") or old is None or old["value"] == row["value"]:
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
    counts.append(
        emit.count(
            "changes.counts_changed",
            changed_ids,
            unit="counts",
            label="Ledger counts whose value changed since the previous version",
            id_kind="count_id",
        )
    )
    return counts + previous_counts


# PRISMA 2020 updated-review template: the identification/screening arm of the update counts
# only what is new since the previous version. Each ``update.<count_id>`` is the main flow
# count restricted to the update's records or studies (same unit, same IDs, same identities).
UPDATE_IDENTIFIED = ("database_results", "excluded_other")  # restricted to new records
UPDATE_RECORD_FLOW = (
    "excluded_automatic",
    "records_screened",
    "records_excluded",
    "records_pending",
)
UPDATE_STUDY_FLOW = (
    "dbr_sought_reports",
    "dbr_notretrieved_reports",
    "dbr_assessed",
    "dbr_excluded",
    "dbr_pending",
    "new_reports",
    "new_studies",
)
UPDATE_RECORD_PREFIXES = ("excluded_automatic.", "records_excluded.", "pending.title_abstract.")
UPDATE_STUDY_PREFIXES = ("dbr_excluded.", "dbr_notretrieved_reports.", "pending.full_text.")


def update_arm(cid: str) -> str | None:
    """Which set ``cid`` is restricted to in the update arm: identified, records, studies."""
    if cid in UPDATE_IDENTIFIED or cid.startswith("database_results."):
        return "identified"
    if cid in UPDATE_RECORD_FLOW or cid.startswith(UPDATE_RECORD_PREFIXES):
        return "records"
    if cid in UPDATE_STUDY_FLOW or cid.startswith(UPDATE_STUDY_PREFIXES):
        return "studies"
    return None


def update_counts(
    previous: PreviousVersion, clusters: pl.DataFrame, current_ledger: pl.DataFrame
) -> list[Count]:
    """``update.*`` counts: the PRISMA flow of this update alone (updated-review template).

    * identified: ``database_results`` IDs (records and unreadable export entries) that the
      previous version did not have;
    * the update's studies: studies not known in the previous version whose representative
      record is one of those new records; their representative records are the update's
      screened records, the studies themselves its reports;
    * ``update.duplicates``: the other new records, merged into another study (including
      duplicates of studies the previous version knew);
    * ``update.reconsidered_studies``: included studies that are neither in the previous
      version nor new in this update (a known study included on re-assessment), so that
      ``previous_studies + update.new_studies + update.reconsidered_studies = total_studies``.
    """
    emit = Emitter(STAGE, RULE)
    rows = {r["count_id"]: r for r in current_ledger.iter_rows(named=True)}
    prev_rows = {r["count_id"]: r for r in previous.ledger.iter_rows(named=True)}
    seen = set(previous.clusters["record_id"].to_list())
    if "database_results" in prev_rows:
        seen |= set(prev_rows["database_results"]["ids"])
    identified = {i for i in rows["database_results"]["ids"] if i not in seen}
    known = set(previous.clusters["study_id"].to_list())
    reps = clusters.filter(
        pl.col("is_representative")
        & pl.col("record_id").is_in(sorted(identified))
        & ~pl.col("study_id").is_in(sorted(known))
    )
    arm = {
        "identified": identified,
        "records": set(reps["record_id"].to_list()),
        "studies": set(reps["study_id"].to_list()),
    }
    other = identified & set(rows.get("excluded_other", {"ids": []})["ids"])
    counts = [
        emit.count(
            "update.duplicates",
            sorted(identified - arm["records"] - other),
            unit="records",
            label="Duplicate records removed (new records of this update merged into another "
            "study, including studies known before)",
            id_kind="record_id",
        )
    ]
    for cid in sorted(rows):
        kind = update_arm(cid)
        if kind is None:
            continue
        row = rows[cid]
        ids = [i for i in row["ids"] if i in arm[kind]]
        is_part = "." in cid and not cid.startswith("pending.")
        if is_part and not ids:
            continue
        counts.append(
            emit.count(
                f"update.{cid}",
                ids,
                unit=row["unit"],
                label=f"{row['label']} (this update)",
                id_kind=row["id_kind"],
            )
        )
    prev_included = set(previous.status.filter(pl.col("final") == "included")["study_id"])
    total = set(rows["total_studies"]["ids"]) if "total_studies" in rows else set()
    new_included = {i for i in rows.get("new_studies", {"ids": []})["ids"] if i in arm["studies"]}
    counts.append(
        emit.count(
            "update.reconsidered_studies",
            sorted(total - prev_included - new_included),
            unit="studies",
            label="Studies known before this update that are included now but were not in "
            "the previous version",
            id_kind="study_id",
        )
    )
    return counts


def manifest(
    *,
    number: int,
    round_: int,
    review_title: str,
    tool_version: str,
    config_path: str,
    config_sha256: str,
    inputs: Sequence[tuple[str, str]],
    outputs: Sequence[tuple[str, str]],
    packages: Mapping[str, str],
    start_time: str,
    end_time: str,
    command: str,
    previous: int | None,
) -> dict[str, Any]:
    """A Workflow Run RO-Crate (Process Run Crate profile) describing one frozen version.

    ``inputs``/``outputs`` are (path, sha256); output paths are relative to the version folder.
    """
    profile = "https://w3id.org/ro/wfrun/process/0.5"
    in_ids = [{"@id": f"#input/{p}"} for p, _ in inputs]
    out_ids = [{"@id": p} for p, _ in outputs]
    graph: list[dict[str, Any]] = [
        {
            "@id": "ro-crate-metadata.json",
            "@type": "CreativeWork",
            "conformsTo": [{"@id": "https://w3id.org/ro/crate/1.1"}, {"@id": profile}],
            "about": {"@id": "./"},
        },
        {
            "@id": "./",
            "@type": "Dataset",
            "name": f"{review_title}: version {number}",
            "description": f"Frozen version {number} of a living scoping review "
            f"(search round {round_})"
            + (f"; previous version {previous}" if previous else "; first version"),
            "datePublished": end_time,
            "conformsTo": {"@id": profile},
            "hasPart": out_ids,
            "mentions": {"@id": "#run"},
            "version": str(number),
        },
        {"@id": profile, "@type": "CreativeWork", "name": "Process Run Crate", "version": "0.5"},
        {
            "@id": "#run",
            "@type": "CreateAction",
            "name": f"scoping-review update (version {number})",
            "description": command,
            "startTime": start_time,
            "endTime": end_time,
            "actionStatus": {"@id": "http://schema.org/CompletedActionStatus"},
            "instrument": {"@id": "#scoping-review"},
            "object": [{"@id": "#config"}, *in_ids],
            "result": out_ids,
        },
        {
            "@id": "#scoping-review",
            "@type": "SoftwareApplication",
            "name": "scoping-review",
            "version": tool_version,
            "softwareRequirements": [{"@id": f"#package/{n}"} for n in sorted(packages)],
        },
        {
            "@id": "#config",
            "@type": "File",
            "name": config_path,
            "sha256": config_sha256,
            "encodingFormat": "application/yaml",
        },
    ]
    graph += [
        {"@id": f"#package/{n}", "@type": "SoftwareApplication", "name": n, "version": v}
        for n, v in sorted(packages.items())
    ]
    graph += [{"@id": f"#input/{p}", "@type": "File", "name": p, "sha256": h} for p, h in inputs]
    graph += [{"@id": p, "@type": "File", "name": p, "sha256": h} for p, h in outputs]
    return {"@context": "https://w3id.org/ro/crate/1.1/context", "@graph": graph}
