"""Adapter: studies per source and overlap between sources, as ledger counts (rule sources)."""

import polars as pl

from scoping_review import job, ledger, schemas, storage
from scoping_review.sources import source_counts


def main(smk: job.Job) -> None:
    log = storage.open_log(smk.log[0], "sources")
    records = pl.read_parquet(smk.input.records, columns=["record_id", "source_id", "database"])
    clusters = storage.read_table(smk.input.clusters, schemas.CLUSTERS)
    status = storage.read_table(smk.input.status, schemas.STATUS)
    counts = source_counts(records, clusters, status)
    storage.write_table(
        ledger.to_frame(counts, storage.input_hashes(smk.input)), smk.output.ledger, schemas.LEDGER
    )
    log.info(f"{len(counts)} source counts")


main(job.current())
