"""Adapter: themes, overarching themes, code co-occurrence and evidence map (rule themes)."""

from scoping_review import job, ledger, schemas, storage, themes


def main(smk: job.Job) -> None:
    log = storage.open_log(smk.log[0], "themes")
    prevalence = storage.read_table(smk.input.prevalence, schemas.PREVALENCE)
    segments = storage.read_table(smk.input.segments, schemas.SEGMENTS)
    charting = storage.read_table(smk.input.charting, schemas.CHARTING)
    frame = themes.themes(prevalence)
    over = themes.overarching(prevalence)
    cooc = themes.cooccurrence(segments, prevalence)
    fields = list(smk.params.coding.get("evidence_map_fields") or [])
    evidence = themes.evidence_map(prevalence, charting, fields)
    storage.write_table(frame, smk.output.themes, schemas.THEMES)
    storage.write_table(over, smk.output.overarching, schemas.OVERARCHING)
    storage.write_table(cooc, smk.output.cooccurrence, schemas.COOCCURRENCE)
    storage.write_table(evidence, smk.output.evidence_map, schemas.EVIDENCE_MAP)
    counts = themes.theme_counts(frame) + themes.synthesis_counts(over, cooc, evidence)
    storage.write_table(
        ledger.to_frame(counts, storage.input_hashes(smk.input)), smk.output.ledger, schemas.LEDGER
    )
    log.info(f"{frame.height} themes, {cooc.height} co-occurring code pairs")


main(job.current())
