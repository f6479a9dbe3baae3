"""Adapter: deduplicate the imported records (rule dedupe)."""

from scoping_review import dedupe, ledger, schemas, storage


def main(smk) -> None:
    log = storage.open_log(smk.log[0], "dedupe")
    records = storage.read_table(smk.input.records, schemas.RECORDS)
    settings = dedupe.DedupeSettings(**smk.params.settings)
    clusters, studies = dedupe.deduplicate(records, settings)
    counts = dedupe.dedupe_counts(clusters)
    storage.write_table(clusters, smk.output.clusters, schemas.CLUSTERS)
    storage.write_table(studies, smk.output.studies, schemas.STUDIES)
    frame = ledger.to_frame(counts, storage.input_hashes(smk.input))
    storage.write_table(frame, smk.output.ledger, schemas.LEDGER)
    log.info(f"{records.height} records -> {studies.height} studies")


main(snakemake)
