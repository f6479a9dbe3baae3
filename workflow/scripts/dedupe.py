"""Adapter: deduplicate the imported records (rule dedupe).

The next run's state (``results/02_dedupe/state/``, not a declared output: Snakemake deletes
outputs before a job runs) is read here and written atomically; a missing, stale or unreadable
state means a run from scratch, said in the log.
"""

import json
import os
import shutil
from logging import Logger
from pathlib import Path

import polars as pl

from scoping_review import dedupe, job, ledger, phases, schemas, storage
from scoping_review.app import sheet as app_sheet


def main(smk: job.Job) -> None:
    log = storage.open_log(smk.log[0], "dedupe")
    clock = phases.PhaseClock()
    # the columns deduplication reads (not the import's provenance: raw tags and values)
    records = storage.read_columns(smk.input.records, dedupe.RECORD_COLUMNS)
    records = dedupe.with_search_rounds(records, dict(smk.params.search_rounds))
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
    meta = dedupe.state_meta(str(smk.params.code_version), settings)
    state_dir = Path(smk.output.clusters).parent / "state"
    # the state is handed over, not kept here: the pipeline lets it go once the candidate
    # pairs are updated (about 0.9 GB at 1M records, which the clustering's peak would add)
    held = [read_state(state_dir, meta, log)]
    reused = held[0] is not None
    clock.lap("inputs read")
    try:
        result, state = dedupe.run_with_state(
            records,
            settings,
            decisions,
            held.pop(),
            meta,
            workers=smk.threads,
            lap=clock.lap,
            checked=True,  # read_state found it fit for ``meta``
        )
    except Exception as error:  # a state that passed its checks but cannot be applied
        if not reused:
            raise
        log.warning(
            f"dedupe state: not reused, applying it failed ({type(error).__name__}: {error}); "
            "deduplicating from scratch"
        )
        result, state = dedupe.run_with_state(
            records, settings, decisions, None, meta, workers=smk.threads
        )
    counts = dedupe.dedupe_counts(result.clusters, result.review_queue, result.relations)
    storage.write_table(result.clusters, smk.output.clusters, schemas.CLUSTERS)
    storage.write_table(result.studies, smk.output.studies, schemas.STUDIES)
    storage.write_table(result.review_queue, smk.output.review_queue, schemas.REVIEW_QUEUE)
    storage.write_table(result.relations, smk.output.relations, schemas.RELATIONS)
    storage.write_xlsx([dedupe.review_worksheet(result.review_queue)], smk.output.review_xlsx)
    frame = ledger.to_frame(counts, storage.input_hashes(smk.input))
    storage.write_table(frame, smk.output.ledger, schemas.LEDGER)
    clock.lap("outputs written")
    write_state(state, state_dir)
    clock.lap("state written")
    log.info(f"dedupe phases, wall s: {clock.summary()}")
    log.info(
        f"{records.height} records -> {result.studies.height} studies; "
        f"{result.pairs_compared} pairs compared, {result.review_queue.height} to review, "
        f"{result.relations.height} relations, "
        f"{0 if decisions is None else decisions.height} decisions applied"
    )


FRAMES = ("keys", "pairs", "kept")


def read_state(folder: Path, meta: dict[str, str], log: Logger) -> dedupe.DedupeState | None:
    """The previous run's state, or None (and why, in the log) when it cannot be reused."""
    if not (folder / "meta.json").exists():
        log.info(f"dedupe state: none at {folder}; deduplicating from scratch")
        return None
    try:
        frames = {name: pl.read_ipc(folder / f"{name}.arrow") for name in FRAMES}
        state = dedupe.DedupeState(meta=json.loads((folder / "meta.json").read_text()), **frames)
        reason = dedupe.stale_reason(state, meta)
    except Exception as error:  # an unreadable state is only a slower run
        reason = f"unreadable ({type(error).__name__}: {error})"
    if reason is not None:
        log.info(f"dedupe state: not reused, {reason}; deduplicating from scratch")
        return None
    log.info(
        f"dedupe state: reusing {state.keys.height} records' keys and "
        f"{state.pairs.height} candidate pairs"
    )
    return state


def write_state(state: dedupe.DedupeState, folder: Path) -> None:
    """Write ``state`` beside the outputs: into a fresh folder, then swapped in, so a reader
    sees the old state, the new one or none (never half of one)."""
    fresh = folder.with_name(f"{folder.name}.new-{os.getpid()}")
    old = folder.with_name(f"{folder.name}.old-{os.getpid()}")
    # what a killed run left half-written
    for left in folder.parent.glob(f"{folder.name}.*-*"):
        shutil.rmtree(left, ignore_errors=True)
    fresh.mkdir(parents=True)
    for name in FRAMES:
        getattr(state, name).write_ipc(fresh / f"{name}.arrow", compression="lz4")
    (fresh / "meta.json").write_text(json.dumps(state.meta, indent=1, sort_keys=True) + "\n")
    if folder.exists():
        folder.rename(old)
    fresh.rename(folder)
    shutil.rmtree(old, ignore_errors=True)


main(job.current())
