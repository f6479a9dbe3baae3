"""Adapter: read the screening sheets and apply them (rule screen).

Statuses, agreement, conflicts, carry-over and the stopping rule: what the rest of the workflow
waits for. The ranking of pending studies, the living rounds and the worklists in rank order
are rule rank's (rank.py), which runs beside extraction, coding, themes and sources.
"""

from pathlib import Path

import polars as pl

from scoping_review import (
    job,
    ledger,
    phases,
    preload,
    prioritisation,
    schemas,
    screen,
    storage,
    worklists,
)
from scoping_review.app import sheet as app_sheet


def main(smk: job.Job) -> None:
    log = storage.open_log(smk.log[0], "screen")
    clock = phases.PhaseClock()
    cfg = smk.params.screening
    criteria = smk.params.criteria
    settings = screen.Settings.from_config(cfg)
    prio = prioritisation.Settings.from_config(cfg.get("prioritisation"))
    testing = prio.enabled and prio.stopping is not None
    # the stopping rule's distribution (scipy.stats, a second to import) loads meanwhile
    loading = preload.start(preload.STOPPING if testing else [])
    clusters = storage.read_table(smk.input.clusters, schemas.CLUSTERS)
    studies = storage.read_table(smk.input.studies, schemas.STUDIES)
    # carry-over needs each record's search (its round) and whether it has an abstract: the
    # flag is kept, not the text (every record's abstract is most of the records' memory)
    records = (
        pl.scan_parquet(smk.input.records)
        .select(
            "record_id",
            "source_id",
            "search_date",
            screen.has_abstract(pl.col("abstract")).alias("has_abstract"),
        )
        .collect(engine="streaming")
        .rechunk()  # storage.contiguous: the streaming engine returns it in pieces
    )
    sheets = [
        screen.Sheet(
            name=s["path"],
            stage=s["stage"],
            frame=storage.read_sheet(s["path"], s.get("worksheet")),
            reviewer=s.get("reviewer"),
            consensus=bool(s.get("consensus", False)),
        )
        for s in cfg.get("sheets") or []
    ]
    # the screening app's append-only sheets: each study's latest line is the decision
    app_dir = Path(cfg.get("app_directory") or "screening")
    sheets += [
        screen.Sheet(
            name=str(path),
            stage=stage,
            frame=app_sheet.current(storage.read_sheet(path)),
            consensus=consensus,
        )
        for stage, path, consensus in app_sheet.sheets(app_dir, screen.STAGES)
    ]
    clock.lap("inputs read")
    decisions = screen.read_decisions(sheets, clusters, criteria)
    screen.check_configured_reviewers(decisions, settings)
    clock.lap("decisions read")
    automatic = screen.automatic_exclusions(studies, settings.rules)
    status = screen.screening_status(studies, decisions, automatic, settings.needed(), criteria)
    clock.lap("statuses")
    # prioritised screening: the stopping rule (opt-in) may set the never-screened remainder
    # aside as an automation exclusion; then the statuses are recomputed with it
    outcome = None
    if testing and prio.stopping is not None:
        loading.wait()
        sheet_order = [s.name for s in sheets]  # config sheets, then the app's
        outcome = prioritisation.stopping_test(status, decisions, sheet_order, prio.stopping)
        if outcome.set_aside:
            automatic = prioritisation.with_stopping(automatic, outcome)
            status = screen.screening_status(
                studies, decisions, automatic, settings.needed(), criteria
            )
        clock.lap("stopping rule")
    screen.check_full_text_scope(decisions, status)
    # living update: studies included in the previous frozen version (PRISMA previous_studies)
    previous_ids = [
        i for p in smk.input.previous_included for i in pl.read_parquet(p)["study_id"].to_list()
    ]
    search_rounds = {
        str(search["id"]): int(search.get("round", 1)) for search in smk.params.searches
    }
    agreement = screen.agreement_table(decisions, settings)
    conflicts = screen.conflicts_table(decisions)
    carried = screen.carry_over(clusters, records, decisions, search_rounds)
    clock.lap("dual review and carry-over")
    counts = [
        *screen.screen_counts(
            status, studies, automatic, criteria, previous_study_ids=previous_ids
        ),
        *screen.dual_counts(conflicts, decisions),
        *screen.carry_over_counts(carried),
        *screen.automation_counts(automatic, studies),
        *([] if outcome is None else prioritisation.stopping_counts(outcome, studies)),
    ]
    clock.lap("counts")
    storage.write_table(decisions, smk.output.decisions, schemas.DECISIONS)
    storage.write_table(status, smk.output.status, schemas.STATUS)
    storage.write_table(agreement, smk.output.agreement, schemas.AGREEMENT)
    storage.write_table(conflicts, smk.output.conflicts, schemas.CONFLICTS)
    storage.write_table(carried, smk.output.carryover, schemas.CARRYOVER)
    storage.write_table(
        schemas.STOPPING.empty() if outcome is None else prioritisation.stopping_table(outcome),
        smk.output.stopping,
        schemas.STOPPING,
    )
    storage.write_xlsx(
        worklists.conflict_sheets(conflicts, studies, criteria), smk.output.conflicts_xlsx
    )
    inputs = storage.input_hashes(
        [
            smk.input.clusters,
            smk.input.studies,
            smk.input.records,
            *smk.input.sheets,
            *smk.input.previous_included,
        ]
    )
    storage.write_table(ledger.to_frame(counts, inputs), smk.output.ledger, schemas.LEDGER)
    clock.lap("outputs written")
    summary = status.group_by("final").len().sort("final").rows()
    log.info(f"{decisions.height} decisions; final status: {summary}")
    if outcome is not None:
        r = outcome.result
        log.info(
            f"stopping rule: {r.n_screened} of {r.n_total} screened, p = {r.p_value:.4g}, "
            f"stop = {r.stop}, set aside = {len(outcome.set_aside)}"
        )
    log.info(f"screen phases, wall s: {clock.summary()}")


main(job.current())
