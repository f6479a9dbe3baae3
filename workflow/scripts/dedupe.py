"""Adapter: deduplicate the imported records (rule dedupe)."""

from pathlib import Path

from scoping_review import dedupe, job, ledger, schemas, storage
from scoping_review.app import sheet as app_sheet


def main(smk: job.Job) -> None:
    log = storage.open_log(smk.log[0], "dedupe")
    records = storage.read_table(smk.input.records, schemas.RECORDS)
    settings = dedupe.DedupeSettings.from_config(dict(smk.params.settings))
    # the screening app's dedupe sheets are append-only: the latest line per pair decides
    app_dir = Path(smk.params.app_directory) / app_sheet.DEDUPE_FOLDER
    sheets = [
        dedupe.decisions_from_sheet(
            app_sheet.current(storage.read_sheet(path), app_sheet.PAIR_KEY)
            if Path(path).parent == app_dir
            else storage.read_sheet(path),
            str(path),
        )
        for path in smk.input.decisions
    ]
    decisions = dedupe.combine_decisions(sheets)
    result = dedupe.run(records, settings, decisions)
    counts = dedupe.dedupe_counts(result.clusters, result.review_queue, result.relations)
    storage.write_table(result.clusters, smk.output.clusters, schemas.CLUSTERS)
    storage.write_table(result.studies, smk.output.studies, schemas.STUDIES)
    storage.write_table(result.review_queue, smk.output.review_queue, schemas.REVIEW_QUEUE)
    storage.write_table(result.relations, smk.output.relations, schemas.RELATIONS)
    storage.write_xlsx([dedupe.review_worksheet(result.review_queue)], smk.output.review_xlsx)
    frame = ledger.to_frame(counts, storage.input_hashes(smk.input))
    storage.write_table(frame, smk.output.ledger, schemas.LEDGER)
    log.info(
        f"{records.height} records -> {result.studies.height} studies; "
        f"{result.pairs_compared} pairs compared, {result.review_queue.height} to review, "
        f"{result.relations.height} relations, "
        f"{0 if decisions is None else decisions.height} decisions applied"
    )


main(job.current())
