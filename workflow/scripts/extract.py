"""Adapter: validate and normalise the charting sheet (rule extract)."""

import logging

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


def not_started(smk: job.Job, log: logging.Logger) -> None:
    """No charting sheet in config yet: the stage's tables are written empty, with no counts."""
    storage.write_table(schemas.CHARTING.empty(), smk.output.charting, schemas.CHARTING)
    storage.write_table(
        schemas.CHARACTERISTICS.empty(), smk.output.characteristics, schemas.CHARACTERISTICS
    )
    storage.write_table(UNMATCHED.empty(), smk.output.unmatched, UNMATCHED)
    storage.write_table(
        ledger.to_frame([], storage.input_hashes(smk.input)), smk.output.ledger, schemas.LEDGER
    )
    log.info("charting not started: no charting sheet in config")


def main(smk: job.Job) -> None:
    log = storage.open_log(smk.log[0], "extract")
    cfg = smk.params.charting
    if not cfg:
        not_started(smk, log)
        return
    sheet = str(smk.input.sheet[0])  # a one-item list: [] before charting starts
    fields = [extract.Field.from_config(f) for f in cfg["fields"]]
    clusters = storage.read_table(smk.input.clusters, schemas.CLUSTERS)
    status = storage.read_table(smk.input.status, schemas.STATUS)
    included = status.filter(pl.col("final") == "included")["study_id"].to_list()
    charted = extract.chart(
        storage.read_sheet(sheet),
        sheet,
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
