"""Adapter: coded segments, codebook and prevalence (rule codes)."""

import logging
from pathlib import Path
from typing import Any

import polars as pl

from scoping_review import codes, job, ledger, schemas, storage
from scoping_review.io import qdpx


def _one(paths: Any) -> str:
    """The single path of a named input given as a one-item list (or as a string)."""
    return paths if isinstance(paths, str) else str(paths[0])


def _format(path: str, configured: str) -> str:
    if configured != "auto":
        return configured
    if Path(path).suffix.lower() in (".qdpx", ".qde"):
        return "qdpx"
    return codes.detect_format(storage.read_sheet(path).columns)


def read_segments(path: str, fmt: str, separator: str | None) -> pl.DataFrame:
    fmt = _format(path, fmt)
    if fmt == "qdpx":
        return codes.qdpx_segments(qdpx.read_qdpx(storage.read_bytes(path), path), path)
    sheet = storage.read_sheet(path)
    if fmt == "generic":
        return codes.generic_segments(sheet, path, separator)
    return codes.taguette_segments(sheet, path, separator)


def read_codebook(path: str, cfg: dict[str, Any]) -> pl.DataFrame:
    marker = cfg.get("deductive_marker", codes.DEDUCTIVE_MARKER)
    if Path(path).suffix.lower() in (".qdpx", ".qde"):
        project = qdpx.read_qdpx(storage.read_bytes(path), path)
        return codes.qdpx_codebook(project, path, marker)
    sheet = storage.read_sheet(path)
    if codes.detect_codebook(sheet.columns) == "taguette":
        return codes.taguette_codebook(sheet, path, cfg.get("hierarchy_separator"), marker)
    return codes.codebook_table(sheet, path, marker)


def not_started(smk: job.Job, log: logging.Logger) -> None:
    """No coding inputs in config yet: the stage's tables are written empty, with no counts."""
    storage.write_table(schemas.SEGMENTS.empty(), smk.output.segments, schemas.SEGMENTS)
    storage.write_table(schemas.PREVALENCE.empty(), smk.output.prevalence, schemas.PREVALENCE)
    storage.write_table(schemas.CODEBOOK.empty(), smk.output.codebook, schemas.CODEBOOK)
    storage.write_table(
        ledger.to_frame([], storage.input_hashes(smk.input)), smk.output.ledger, schemas.LEDGER
    )
    log.info("coding not started: no coded segments or codebook in config")


def main(smk: job.Job) -> None:
    log = storage.open_log(smk.log[0], "codes")
    cfg = smk.params.coding
    if not cfg:
        not_started(smk, log)
        return
    clusters = storage.read_table(smk.input.clusters, schemas.CLUSTERS)
    status = storage.read_table(smk.input.status, schemas.STATUS)
    included = status.filter(pl.col("final") == "included")["study_id"].to_list()
    separator = cfg.get("hierarchy_separator")
    raw = pl.concat(
        [read_segments(p, cfg.get("format", "taguette"), separator) for p in smk.input.highlights]
    )
    codebook = read_codebook(_one(smk.input.codebook), cfg)
    documents = storage.read_sheet(_one(smk.input.documents)) if smk.input.documents else None
    segments = codes.resolve_segments(raw, documents, clusters, codebook, included)
    for note in codes.retired_id_notes(raw, documents, clusters):
        log.warning(note)
    codes.check_unknown(segments, cfg.get("on_unknown", "warn"))
    threshold = codes.Threshold(**cfg.get("prevalence", {}))
    prevalence = codes.prevalence(segments, codebook, threshold)
    counts = codes.code_counts(segments, prevalence, threshold)
    storage.write_table(segments, smk.output.segments, schemas.SEGMENTS)
    storage.write_table(prevalence, smk.output.prevalence, schemas.PREVALENCE)
    storage.write_table(codebook, smk.output.codebook, schemas.CODEBOOK)
    storage.write_table(
        ledger.to_frame(counts, storage.input_hashes(smk.input)), smk.output.ledger, schemas.LEDGER
    )
    bad = segments.filter(pl.col("status") != "ok")
    if bad.height:
        log.warning(f"{bad.height} segments not counted: {bad.group_by('status').len().rows()}")
    log.info(f"prevalence rule: {threshold.describe()}")
    log.info(f"{segments.height} segments, {prevalence.filter(pl.col('kept')).height} codes kept")


main(job.current())
