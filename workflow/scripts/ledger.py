"""Adapter: assemble the counts ledger and check the PRISMA identities (rule ledger)."""

import polars as pl

from scoping_review import conservation, job, ledger, schemas, storage


def main(smk: job.Job) -> None:
    log = storage.open_log(smk.log[0], "ledger")
    parts = [storage.read_table(p, schemas.LEDGER) for p in smk.input.parts]
    try:
        frame = ledger.assemble(parts)
    except ledger.LedgerError as err:
        log.error(str(err))
        raise
    # only the columns the checks read (conservation.COLUMNS): the records' texts would
    # otherwise be most of this rule's memory on a large review
    tables = conservation.StageTables(
        **{
            name: storage.read_columns(getattr(smk.input, name), columns)
            for name, columns in conservation.COLUMNS.items()
        }
    )
    try:
        conservation.check(
            frame,
            tables,
            smk.params.searches,
            conservation.skipped_boundaries(smk.params.stages),
        )
    except conservation.ConservationError as err:
        log.error(str(err))
        raise
    log.info("conservation: every record accounted for at every stage boundary")
    storage.write_table(frame, smk.output.ledger, schemas.LEDGER)
    flow = frame.filter(
        pl.col("count_id").is_in(["database_results", "records_screened", "new_studies"])
    )
    log.info(
        f"{frame.height} counts; "
        + ", ".join(f"{c}={v}" for c, v in flow.select("count_id", "value").rows())
    )


main(job.current())
