"""The PRISMA 2020 updated-review arm: main-flow counts restricted to what is new since the
previous version.
"""

from __future__ import annotations

import polars as pl

from ..ledger import Count, CountSpec, Emitter
from .changes import RULE, STAGE, PreviousVersion

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


# id, label, unit, id kind of the arm's own counts (the others mirror a ledger row as update.*)
DUPLICATES = CountSpec(
    "update.duplicates",
    "Duplicate records removed (new records of this update merged into another study, "
    "including studies known before)",
    "records",
    "record_id",
)
WITHDRAWN = CountSpec(
    "update.withdrawn_studies",
    "Studies included in the previous version that are not included now (excluded or awaiting "
    "a decision on re-assessment, or merged into another study)",
    "studies",
    "study_id",
)
RECONSIDERED = CountSpec(
    "update.reconsidered_studies",
    "Studies known before this update that are included now but were not in the previous version",
    "studies",
    "study_id",
)


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
      version nor new in this update (a known study included on re-assessment);
    * ``update.withdrawn_studies``: studies of the previous version that are not included now
      (excluded on re-assessment, awaiting it, or merged into another study), so that
      ``previous_studies − update.withdrawn_studies + update.new_studies +
      update.reconsidered_studies = total_studies``.
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
    counts = [emit.of(DUPLICATES, identified - arm["records"] - other)]
    for cid in sorted(rows):
        kind = update_arm(cid)
        if kind is None:
            continue
        row = rows[cid]
        ids = [i for i in row["ids"] if i in arm[kind]]
        is_part = "." in cid and not cid.startswith("pending.")
        # a search first run in this update is listed with what it found, 0 included (it was
        # searched); other empty parts are left out
        searched_now = cid.startswith("database_results.") and cid not in prev_rows
        if is_part and not ids and not searched_now:
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
    if "previous_studies" in rows:  # what the flow's previous box shows
        prev_included = set(rows["previous_studies"]["ids"])
    total = set(rows["total_studies"]["ids"]) if "total_studies" in rows else set()
    new_included = {i for i in rows.get("new_studies", {"ids": []})["ids"] if i in arm["studies"]}
    counts.append(emit.of(WITHDRAWN, prev_included - total))
    counts.append(emit.of(RECONSIDERED, total - prev_included - new_included))
    return counts
