"""Adapter: validate and normalise the charting sheet (rule extract)."""

import polars as pl

from scoping_review import extract, job, ledger, schemas, storage

UNMATCHED = schemas.TableSchema(
    name="unmatched",
    path="04_extract/unmatched.parquet",
    grain="one row per charting problem",
    key=("study_id", "problem"),
    columns={
        "study_id": pl.String(),
        "problem": pl.String(),
        "sheet": pl.String(),
        "row": pl.Int64(),
    },
)


def main(smk: job.Job) -> None:
    log = storage.open_log(smk.log[0], "extract")
    cfg = smk.params.charting
    fields = [extract.Field.from_config(f) for f in cfg["fields"]]
    clusters = storage.read_table(smk.input.clusters, schemas.CLUSTERS)
    status = storage.read_table(smk.input.status, schemas.STATUS)
    included = status.filter(pl.col("final") == "included")["study_id"].to_list()
    charted = extract.chart(
        storage.read_sheet(smk.input.sheet),
        smk.input.sheet,
        fields,
        clusters,
        included,
        key_column=cfg.get("key_column", "record_id"),
        label_column=cfg.get("label_column", "study_label"),
    )
    unmatched = pl.concat(
        [
            pl.DataFrame(
                {"study_id": charted.missing, "problem": ["missing"] * len(charted.missing)},
                schema={"study_id": pl.String, "problem": pl.String},
            ).with_columns(sheet=pl.lit(None, pl.String), row=pl.lit(None, pl.Int64)),
            charted.not_included.select(
                "study_id", pl.lit("not_included").alias("problem"), "sheet", "row"
            ),
        ]
    )
    storage.write_table(charted.charting, smk.output.charting, schemas.CHARTING)
    storage.write_table(
        extract.characteristics(charted, fields, len(included)),
        smk.output.characteristics,
        schemas.CHARACTERISTICS,
    )
    storage.write_table(unmatched, smk.output.unmatched, UNMATCHED)
    counts = extract.charting_counts(charted, fields)
    storage.write_table(
        ledger.to_frame(counts, storage.input_hashes(smk.input)), smk.output.ledger, schemas.LEDGER
    )
    for note in charted.notes:
        log.warning(note)
    log.info(f"{charted.charting.height} studies charted")


main(job.current())
