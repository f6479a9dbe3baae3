"""Adapter: render the report from the ledger and the stage tables (rule report)."""

import datetime
import hashlib
import os
import platform
from concurrent.futures import ThreadPoolExecutor
from importlib import metadata
from pathlib import Path

import polars as pl

from scoping_review import __version__, job, phases, report, schemas, storage
from scoping_review.report.explain import lookup_frame
from scoping_review.report.listings import count_listings

PACKAGES = (
    "snakemake",
    "polars",
    "pyarrow",
    "altair",
    "vl-convert-python",
    "jinja2",
    "bibtexparser",
)


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def run_time() -> tuple[str, str]:
    """The run time to print, and where it came from.

    Only SOURCE_DATE_EPOCH (the reproducible-builds convention) stamps the report: a clock
    reading would make two runs on the same inputs differ.
    """
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not epoch:
        return "", ""
    stamp = datetime.datetime.fromtimestamp(int(epoch), tz=datetime.UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%SZ"), "SOURCE_DATE_EPOCH"


def write_listings(ledger: pl.DataFrame, lookup: pl.DataFrame, counts_dir: Path) -> int:
    """Every count of things gets its own listing, so a click-through never depends on
    embedding; returns how many were written."""
    counts_dir.mkdir(parents=True, exist_ok=True)
    written = 0
    for count_id, listing in count_listings(ledger, lookup, neutralised=True):
        path = storage.child_path(counts_dir, f"{count_id}.csv")
        storage.write_csv(listing, path, neutralised=True)
        written += 1
    return written


def main(smk: job.Job) -> None:
    log = storage.open_log(smk.log[0], "report")
    clock = phases.PhaseClock()
    ledger = storage.read_table(smk.input.ledger, schemas.LEDGER)
    records = storage.read_columns(smk.input.records, ["record_id", "title", "year", "database"])
    studies = storage.read_columns(smk.input.studies, ["study_id", "title", "year", "databases"])
    issues = storage.read_table(smk.input.issues, schemas.QUALITY)
    lookup = lookup_frame(records, studies, issues)
    # the listings (polars: joins and CSV writing, off the GIL) are written while the page
    # and figures are built; the overlap is the listings' polars work: vl-convert's
    # vegalite_to_svg holds the GIL (measured: a 0.28 s Python loop took 1.05 s beside it)
    with ThreadPoolExecutor(max_workers=1) as pool:
        listings = pool.submit(write_listings, ledger, lookup, Path(smk.output.counts))
        out = write_report(smk, ledger, lookup, issues, clock)
        log.info(f"listings written: {listings.result()} counts")
        clock.lap("listings awaited")  # what the listings took beyond the page and figures
    log.info(
        f"figures: {out.figures_drawn} renderings drawn, {out.figures_reused} reused "
        f"from {smk.params.figure_cache}"
    )
    log.info(f"report written: {smk.output.html}")
    log.info(f"report phases, wall s: {clock.summary()}")


def write_report(
    smk: job.Job,
    ledger: pl.DataFrame,
    lookup: pl.DataFrame,
    issues: pl.DataFrame,
    clock: phases.PhaseClock,
) -> report.ReportOutputs:
    """Build the page, flow diagram, checklist and figures, and write them; ``clock`` times
    the phases."""
    config_bytes = b"".join(Path(p).read_bytes() for p in smk.input.config_file)
    hashes = sorted({(i["name"], i["sha256"]) for row in ledger["inputs"].to_list() for i in row})
    stamp, stamp_source = run_time()
    provenance = {
        "tool_version": __version__,
        "python_version": platform.python_version(),
        "run_time": stamp,
        "run_time_source": stamp_source,
        "config_sha256": hashlib.sha256(config_bytes).hexdigest(),
        "packages": {name: _version(name) for name in PACKAGES},
        "inputs": [{"name": n, "sha256": h} for n, h in hashes],
    }
    cfg = smk.params.config
    figure_cache = storage.DirectoryStore(smk.params.figure_cache)
    report_inputs = report.ReportInputs(
        ledger=ledger,
        issues=issues,
        charting=storage.read_table(smk.input.charting, schemas.CHARTING),
        charting_fields=list((cfg.get("charting") or {}).get("fields") or []),
        prevalence=storage.read_table(smk.input.prevalence, schemas.PREVALENCE),
        themes=storage.read_table(smk.input.themes, schemas.THEMES),
        files=storage.read_table(smk.input.files, schemas.FILES),
        lookup=lookup,
        config=cfg,
        provenance=provenance,
        characteristics=storage.read_table(smk.input.characteristics, schemas.CHARACTERISTICS),
        overarching=storage.read_table(smk.input.overarching, schemas.OVERARCHING),
        cooccurrence=storage.read_table(smk.input.cooccurrence, schemas.COOCCURRENCE),
        evidence_map=storage.read_table(smk.input.evidence_map, schemas.EVIDENCE_MAP),
        templates_dir=smk.params.templates,
        prisma_dir=smk.params.prisma,
        screening_status=storage.read_table(smk.input.screening_status, schemas.STATUS),
        carryover=storage.read_table(smk.input.carryover, schemas.CARRYOVER),
        stages=dict(smk.params.stages),
        ranking=storage.read_table(smk.input.ranking, schemas.RANKING),
        figure_cache=figure_cache,
    )
    clock.lap("inputs read")
    out = report.build_report(report_inputs, lap=clock.lap)
    # the cache keeps this run's renderings only: the next run reuses what did not change
    figure_cache.keep_only(out.figure_keys)
    storage.write_text(out.html, smk.output.html)
    storage.write_text(out.flow_svg, smk.output.flow_svg)
    Path(smk.output.flow_png).write_bytes(out.flow_png)
    storage.write_text(out.flow_vegalite, smk.output.flow_vegalite)
    Path(smk.output.flow_pdf).write_bytes(out.flow_pdf)
    storage.write_text(out.checklist_markdown, smk.output.checklist_md)
    storage.write_text(out.checklist_csv, smk.output.checklist_csv)
    figures_dir = Path(smk.output.figures)
    figures_dir.mkdir(parents=True, exist_ok=True)
    for name, svg in sorted(out.figures.items()):
        storage.write_text(svg, figures_dir / f"{name}.svg")
        export = out.figure_exports[name]
        (figures_dir / f"{name}.png").write_bytes(export.png)
        storage.write_text(export.vegalite, figures_dir / f"{name}.vl.json")
    clock.lap("outputs written")
    return out


main(job.current())
