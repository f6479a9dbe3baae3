"""Adapter: data-quality checks and manuscript claims vs the stage ledgers (rule quality)."""

import datetime
import os

import polars as pl

from scoping_review import job, ledger, quality, quality_audit, quality_exports, schemas, storage


def run_date() -> str:
    """Today (UTC), or the day of ``SOURCE_DATE_EPOCH`` when set (reproducible builds)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    moment = (
        datetime.datetime.fromtimestamp(int(epoch), datetime.UTC)
        if epoch
        else datetime.datetime.now(datetime.UTC)
    )
    return moment.date().isoformat()


def main(smk: job.Job) -> None:
    log = storage.open_log(smk.log[0], "quality")
    parts = pl.concat([storage.read_table(p, schemas.LEDGER) for p in smk.input.parts])
    claims = None
    if smk.input.claims:
        claims = (storage.read_yaml(smk.input.claims[0]) or {}).get("claims", [])
    files = storage.read_table(smk.input.files, schemas.FILES)
    studies = storage.read_table(smk.input.studies, schemas.STUDIES)
    findings = quality_audit.audit(
        studies=studies,
        status=storage.read_table(smk.input.status, schemas.STATUS),
        files=files,
        charting=storage.read_table(smk.input.charting, schemas.CHARTING),
        unmatched=storage.read_table(smk.input.unmatched),
        segments=storage.read_table(smk.input.segments, schemas.SEGMENTS),
        codebook=storage.read_table(smk.input.codebook, schemas.CODEBOOK),
        prevalence=storage.read_table(smk.input.prevalence, schemas.PREVALENCE),
        parts=parts,
        settings=smk.params.quality,
        title_field=smk.params.charting.get("title_field"),
        # a stage not started yet is said once in the report, not raised here study by study
        started=smk.params.stages,
        claims=claims,
        claims_file=smk.input.claims[0] if smk.input.claims else "",
    )
    # the raw records the readers rejected, each with its file, line and reason
    findings += quality_exports.reject_findings(
        storage.read_table(smk.input.rejects, schemas.REJECTS)
    )
    # the same export under two searches; a search dated after the run date
    findings += quality_exports.search_findings(files, smk.params.searches, run_date())
    findings += quality_exports.untitled_findings(studies)
    frame = quality.findings_frame(findings)
    storage.write_table(frame, smk.output.issues, schemas.QUALITY)
    counts = quality.quality_counts(frame)
    inputs = storage.input_hashes(smk.input)
    storage.write_table(ledger.to_frame(counts, inputs), smk.output.ledger, schemas.LEDGER)
    for severity, n in frame.group_by("severity").len().sort("severity").rows():
        log.info(f"{n} {severity} findings")


main(job.current())
