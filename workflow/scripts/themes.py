"""Adapter: group kept codes into themes (rule themes)."""

from scoping_review import ledger, schemas, storage, themes


def main(smk) -> None:
    log = storage.open_log(smk.log[0], "themes")
    prevalence = storage.read_table(smk.input.prevalence, schemas.PREVALENCE)
    frame = themes.themes(prevalence)
    storage.write_table(frame, smk.output.themes, schemas.THEMES)
    counts = themes.theme_counts(frame)
    storage.write_table(
        ledger.to_frame(counts, storage.input_hashes(smk.input)), smk.output.ledger, schemas.LEDGER
    )
    log.info(f"{frame.height} themes")


main(snakemake)
