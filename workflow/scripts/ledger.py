"""Adapter: assemble the counts ledger and check the PRISMA identities (rule ledger)."""

import polars as pl

from scoping_review import ledger, schemas, storage


def main(smk) -> None:
    log = storage.open_log(smk.log[0], "ledger")
    parts = [storage.read_table(p, schemas.LEDGER) for p in smk.input.parts]
    try:
        frame = ledger.assemble(parts)
    except ledger.LedgerError as err:
        log.error(str(err))
        raise
    storage.write_table(frame, smk.output.ledger, schemas.LEDGER)
    flow = frame.filter(
        pl.col("count_id").is_in(["database_results", "records_screened", "new_studies"])
    )
    log.info(
        f"{frame.height} counts; "
        + ", ".join(f"{c}={v}" for c, v in flow.select("count_id", "value").rows())
    )


main(snakemake)
