"""Adapter: read the screening sheets and apply them (rule screen)."""

import polars as pl

from scoping_review import ledger, schemas, screen, storage


def main(smk) -> None:
    log = storage.open_log(smk.log[0], "screen")
    cfg = smk.params.screening
    clusters = storage.read_table(smk.input.clusters, schemas.CLUSTERS)
    studies = storage.read_table(smk.input.studies, schemas.STUDIES)
    sheets = [
        screen.Sheet(
            name=s["path"],
            stage=s["stage"],
            frame=storage.read_sheet(s["path"]),
            reviewer=s.get("reviewer"),
        )
        for s in cfg["sheets"]
    ]
    decisions = screen.read_decisions(sheets, clusters, smk.params.criteria)
    rules = [
        screen.AutomationRule(r["id"], r["kind"], tuple(str(v) for v in r["values"]), r["reason"])
        for r in cfg.get("automation", [])
    ]
    automatic = screen.automatic_exclusions(studies, rules)
    status = screen.screening_status(
        studies, decisions, automatic, cfg.get("reviewers_per_stage", 1)
    )
    screen.check_full_text_scope(decisions, status)
    # living update: studies included in the previous frozen version (PRISMA previous_studies)
    previous_ids = [
        i for p in smk.input.previous_included for i in pl.read_parquet(p)["study_id"].to_list()
    ]
    counts = screen.screen_counts(
        status, studies, automatic, smk.params.criteria, previous_study_ids=previous_ids
    )
    storage.write_table(decisions, smk.output.decisions, schemas.DECISIONS)
    storage.write_table(status, smk.output.status, schemas.STATUS)
    inputs = storage.input_hashes(
        [smk.input.clusters, smk.input.studies, *smk.input.sheets, *smk.input.previous_included]
    )
    storage.write_table(ledger.to_frame(counts, inputs), smk.output.ledger, schemas.LEDGER)
    summary = status.group_by("final").len().sort("final").rows()
    log.info(f"{decisions.height} decisions; final status: {summary}")


main(snakemake)
