"""Adapter: compare this run with the previous frozen version (rule changes)."""

import polars as pl

from scoping_review import job, ledger, schemas, storage, versions


def main(smk: job.Job) -> None:
    log = storage.open_log(smk.log[0], "changes")
    number = int(smk.params.previous_version)
    if not number:
        storage.write_table(schemas.CHANGES.empty(), smk.output.changes, schemas.CHANGES)
        storage.write_table(schemas.LEDGER.empty(), smk.output.ledger, schemas.LEDGER)
        log.info("no previous version: nothing to compare with")
        return
    prev_clusters, prev_status, prev_ledger = smk.input.previous
    previous = versions.PreviousVersion(
        number=number,
        clusters=pl.read_parquet(prev_clusters, columns=["record_id", "study_id"]),
        status=pl.read_parquet(prev_status, columns=["study_id", "final"]),
        ledger=storage.read_table(prev_ledger, schemas.LEDGER),
    )
    changes = versions.compute_changes(
        previous,
        storage.read_table(smk.input.records, schemas.RECORDS),
        storage.read_table(smk.input.clusters, schemas.CLUSTERS),
        storage.read_table(smk.input.status, schemas.STATUS),
    )
    current = pl.concat([storage.read_table(p, schemas.LEDGER) for p in smk.input.parts])
    counts = versions.change_counts(previous, changes, current)
    counts += versions.update_counts(
        previous, storage.read_table(smk.input.clusters, schemas.CLUSTERS), current
    )
    inputs = storage.input_hashes(
        [smk.input.records, smk.input.clusters, smk.input.status, *smk.input.previous]
    )
    storage.write_table(changes, smk.output.changes, schemas.CHANGES)
    storage.write_table(ledger.to_frame(counts, inputs), smk.output.ledger, schemas.LEDGER)
    summary = changes.group_by("change").len().sort("change").rows()
    log.info(f"changes since version {number}: {summary}")


main(job.current())
