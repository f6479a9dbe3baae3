"""Adapter: the per-search imports as one records table, and the 01_import ledger counts."""

from pathlib import Path

import polars as pl

from scoping_review import importing, job, ledger, schemas, storage


def main(smk: job.Job) -> None:
    log = storage.open_log(smk.log[0], "import_merge")
    # the records (most of the data) are not rewritten: the output is a directory of the
    # searches' own tables, linked, which reads as one table sorted by record ID; the counts
    # need only each record's ID and search
    parts = [(Path(path).parent.name, path) for path in smk.input.records]
    storage.link_table_parts(parts, smk.output.records, schemas.RECORDS, "record_id")
    records = storage.read_columns(smk.output.records, ["record_id", "source_id"])
    rejects = pl.concat([storage.read_table(p, schemas.REJECTS) for p in smk.input.rejects])
    files = pl.concat([storage.read_table(p, schemas.FILES) for p in smk.input.files])
    rejects = rejects.sort("file", "line")
    files = files.sort("source_id", "path")
    counts = importing.import_counts(records, rejects, files, smk.params.searches)
    inputs = dict(zip(files["path"], files["sha256"], strict=True))
    storage.write_table(rejects, smk.output.rejects, schemas.REJECTS)
    storage.write_table(files, smk.output.files, schemas.FILES)
    storage.write_table(ledger.to_frame(counts, inputs), smk.output.ledger, schemas.LEDGER)
    log.info(f"{records.height} records, {rejects.height} rejects from {files.height} files")


main(job.current())
