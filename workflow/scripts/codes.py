"""Adapter: coded segments, codebook and prevalence (rule codes)."""

import polars as pl

from scoping_review import codes, ledger, schemas, storage


def main(smk) -> None:
    log = storage.open_log(smk.log[0], "codes")
    cfg = smk.params.coding
    clusters = storage.read_table(smk.input.clusters, schemas.CLUSTERS)
    status = storage.read_table(smk.input.status, schemas.STATUS)
    included = status.filter(pl.col("final") == "included")["study_id"].to_list()
    raw = pl.concat(
        [
            codes.taguette_segments(storage.read_sheet(p), p, cfg.get("hierarchy_separator"))
            for p in smk.input.highlights
        ]
    )
    codebook = storage.read_sheet(smk.input.codebook)
    documents = storage.read_sheet(smk.input.documents)
    segments = codes.resolve_segments(raw, documents, clusters, codebook, included)
    threshold = codes.Threshold(**cfg.get("prevalence", {}))
    prevalence = codes.prevalence(segments, codebook, threshold)
    counts = codes.code_counts(segments, prevalence, threshold)
    storage.write_table(segments, smk.output.segments, schemas.SEGMENTS)
    storage.write_table(prevalence, smk.output.prevalence, schemas.PREVALENCE)
    storage.write_table(
        ledger.to_frame(counts, storage.input_hashes(smk.input)), smk.output.ledger, schemas.LEDGER
    )
    bad = segments.filter(pl.col("status") != "ok")
    if bad.height:
        log.warning(f"{bad.height} segments not counted: {bad.group_by('status').len().rows()}")
    log.info(f"{segments.height} segments, {prevalence.filter(pl.col('kept')).height} codes kept")


main(snakemake)
