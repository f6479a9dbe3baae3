"""Adapter: data-quality checks and manuscript claims vs the stage ledgers (rule quality)."""

import polars as pl

from scoping_review import job, ledger, quality, schemas, storage


def main(smk: job.Job) -> None:
    log = storage.open_log(smk.log[0], "quality")
    cfg = smk.params.quality
    # a stage not started yet is said once in the report, not raised here study by study
    started = smk.params.stages
    parts = pl.concat([storage.read_table(p, schemas.LEDGER) for p in smk.input.parts])
    studies = storage.read_table(smk.input.studies, schemas.STUDIES)
    charting = storage.read_table(smk.input.charting, schemas.CHARTING)
    unmatched = storage.read_table(smk.input.unmatched)
    segments = storage.read_table(smk.input.segments, schemas.SEGMENTS)
    findings = []
    labels = charting.select(
        "study_id",
        pl.col("study_label").alias("label"),
        pl.format("{}, row {}", "sheet", "row").alias("where"),
    )
    findings += quality.label_years(labels, studies, "charting label")
    if cfg.get("document_year_check", True):
        docs = (
            segments.filter(pl.col("study_id").is_not_null())
            .group_by("document", "study_id")
            .agg(pl.col("source").first(), pl.col("row").min())
            .sort("document")
            .select(
                "study_id",
                pl.col("document").alias("label"),
                pl.format("{}, row {}", "source", "row").alias("where"),
            )
        )
        findings += quality.label_years(docs, studies, "coded document")
    title_field = smk.params.charting.get("title_field")
    if title_field:
        findings += quality.title_mismatches(charting, studies, title_field)
    findings += quality.import_findings(storage.read_table(smk.input.files, schemas.FILES))
    findings += quality.segment_findings(segments)
    findings += quality.threshold_findings(
        storage.read_table(smk.input.prevalence, schemas.PREVALENCE)
    )
    # consistency audit: charting, coded segments and included studies
    status = storage.read_table(smk.input.status, schemas.STATUS)
    included = status.filter(pl.col("final") == "included")["study_id"].to_list()
    if started["coding"]:
        findings += quality.uncoded_findings(included, segments)
    findings += quality.name_mismatches(labels, studies, "charting label")
    coded_docs = (
        segments.filter(pl.col("study_id").is_not_null())
        .group_by("document", "study_id")
        .agg(pl.col("source").first(), pl.col("row").min())
        .sort("document")
        .select(
            "study_id",
            pl.col("document").alias("label"),
            pl.format("{}, row {}", "source", "row").alias("where"),
        )
    )
    findings += quality.name_mismatches(coded_docs, studies, "coded document")
    findings += quality.codebook_count_findings(
        storage.read_table(smk.input.codebook, schemas.CODEBOOK), segments
    )
    if started["charting"] and started["coding"]:
        findings += quality.field_theme_findings(
            charting,
            segments,
            storage.read_table(smk.input.prevalence, schemas.PREVALENCE),
            cfg.get("field_theme_checks") or [],
        )
    if started["charting"]:
        missing = unmatched.filter(pl.col("problem") == "missing")["study_id"].to_list()
        stray = unmatched.filter(pl.col("problem") == "not_included").select(
            "study_id", "sheet", "row"
        )
        findings += quality.charting_findings(missing, stray)
    if smk.input.claims:
        claims = storage.read_yaml(smk.input.claims[0]) or {}
        findings += quality.claim_findings(claims.get("claims", []), parts, smk.input.claims[0])
    frame = quality.findings_frame(findings)
    storage.write_table(frame, smk.output.issues, schemas.QUALITY)
    counts = quality.quality_counts(frame)
    inputs = storage.input_hashes(smk.input)
    storage.write_table(ledger.to_frame(counts, inputs), smk.output.ledger, schemas.LEDGER)
    for severity, n in frame.group_by("severity").len().sort("severity").rows():
        log.info(f"{n} {severity} findings")


main(job.current())
