"""What ``run`` says on the terminal before and after the workflow: saved searches not
fetched yet, frozen rounds the config changes, the import's rejects. :mod:`.cli` imports
this module for ``--help`` too, so the heavy imports stay inside the functions."""

from __future__ import annotations

import sys
from pathlib import Path


def import_summary(directory: Path) -> None:
    """Say on the terminal what the import rejected or noted (the report details it)."""
    files = directory / "results" / "01_import" / "files.parquet"
    if not files.is_file():
        return
    import polars as pl

    from .importing.counts import import_summary as summary_of

    said = summary_of(pl.read_parquet(files, columns=["n_rejected", "notes"]))
    if said is not None:
        print(said, file=sys.stderr)


def unfetched(directory: Path) -> bool:
    """Say which saved (API) searches have no fetched round, which ``run`` cannot import;
    True when no search is left to import at all (nothing to run)."""
    from . import storage
    from .connectors import rounds

    config = storage.read_yaml(directory / "config" / "config.yaml")
    fetched = rounds.read_manifests(directory, config)
    missing = [str(s["id"]) for s in rounds.api_searches(config) if not fetched.get(str(s["id"]))]
    for sid in missing:
        print(f"note: saved search {sid!r} has no fetched round yet; `scoping-review search "
              f"--directory {directory}` (or `update`) fetches it", file=sys.stderr)  # fmt: skip
    if missing and not rounds.effective_searches(config, directory):
        print("error: nothing to import: every search is a saved search not fetched yet",
              file=sys.stderr)  # fmt: skip
        return True
    return False


def note_frozen_round_changes(directory: Path) -> None:
    """``run`` freezes nothing and so refuses nothing, but says what ``update`` would refuse:
    a change to a round a frozen version holds (:mod:`.versions.closed`)."""
    if not any((directory / "results" / "versions").glob("v[0-9][0-9][0-9]/version.json")):
        return  # no version frozen: nothing to compare (and nothing imported to say so)
    from . import storage, update
    from .connectors import rounds

    config = storage.read_yaml(directory / "config" / "config.yaml")
    changed = update.closed_round_changes(directory, rounds.effective_searches(config, directory))
    for line in changed:
        print(f"note: {line} (`update` refuses this without --reopen-rounds)", file=sys.stderr)


def dedupe_queue(directory: Path, said_by: str = "dedupe") -> None:
    """Say how many record pairs await a same/different decision (the report says it too)."""
    ledger = directory / "results" / "ledger" / "counts.parquet"
    if not ledger.is_file():
        return
    import polars as pl

    row = pl.read_parquet(ledger, columns=["count_id", "value"]).filter(
        pl.col("count_id") == "dedupe.review_queue"
    )
    if row.height and row["value"][0]:
        queue = directory / "results" / "02_dedupe" / "review_queue.xlsx"
        print(
            f"{said_by}: {row['value'][0]} record pair(s) await a same/different decision (each "
            f"counts as two studies until then): {queue}",
            file=sys.stderr,
        )
