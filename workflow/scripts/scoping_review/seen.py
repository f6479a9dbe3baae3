"""What each job's own input files (those outside ``results/``: screening and charting sheets,
the screening app's sheets, coded segments) were when the job began to read them, so that the
next run reruns it when one changed after that.

Snakemake reruns a job when an input is newer than its outputs. A decision the screening app
appends while the screen job runs, after the job read the sheet but before it wrote its
outputs, left the sheet *older* than the outputs: no later run saw it. Grain: one manifest per
job, ``.snakemake/scoping-review-seen/<rule>-<hash of its outputs>.json`` (beside Snakemake's
own metadata: not a result, which must not change with a file's time), ``{path: [size,
mtime_ns]}`` taken before the adapter reads anything (:func:`note`, called by
:func:`.job.current`). Before Snakemake starts, :func:`refresh` gives each file whose size or
time differs from its manifest the current time, so Snakemake sees it as new.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

SEEN = Path(".snakemake") / "scoping-review-seen"


def _paths(files: Iterable[Any]) -> list[str]:
    out: list[str] = []
    for item in files:
        if isinstance(item, str | os.PathLike):
            out.append(os.fspath(item))
        else:  # a nested list (an input function's list)
            out.extend(_paths(item))
    return out


def note(rule: str, inputs: Iterable[Any], outputs: Iterable[Any], root: Path = Path()) -> None:
    """Write the job's manifest: size and time of each input file outside ``results/``."""
    stats: dict[str, list[int]] = {}
    for path in sorted(set(_paths(inputs))):
        if Path(path).parts[:1] == ("results",):
            continue  # made by the workflow: Snakemake orders those itself
        try:
            st = (root / path).stat()
        except OSError:
            continue
        if not (root / path).is_dir():
            stats[path] = [st.st_size, st.st_mtime_ns]
    if not stats:
        return
    key = hashlib.sha1("\n".join(sorted(_paths(outputs))).encode()).hexdigest()[:12]
    folder = root / SEEN
    try:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{rule}-{key}.json").write_text(json.dumps(stats, sort_keys=True))
    except OSError:
        pass  # a read-only results folder: the job itself says what fails


def refresh(directory: Path) -> list[str]:
    """Give each input file that changed since its job read it the current time (so
    Snakemake reruns the job); returns those files, each once."""
    changed: set[str] = set()
    for manifest in sorted((directory / SEEN).glob("*.json")):
        try:
            stats = json.loads(manifest.read_text())
        except (OSError, ValueError):
            continue
        touched = False
        for path, (size, mtime_ns) in stats.items():
            file = directory / path
            try:
                st = file.stat()
                if (st.st_size, st.st_mtime_ns) == (size, mtime_ns):
                    continue
                if path not in changed:
                    os.utime(file)
                    changed.add(path)
                st = file.stat()
            except OSError:
                continue  # gone (Snakemake says so) or not ours to touch
            # the file is newer than the job's outputs now: note it as it stands, or a
            # manifest of a job that no longer runs would touch it on every run
            stats[path] = [st.st_size, st.st_mtime_ns]
            touched = True
        if touched:
            with contextlib.suppress(OSError):  # a read-only folder: no run writes anyway
                manifest.write_text(json.dumps(stats, sort_keys=True))
    return sorted(changed)


LINKED = Path("results") / "01_import" / "records.parquet"  # a directory of per-search parts
LINKED_FILES = Path("results") / "01_import" / "files.parquet"


def broken_linked_table(directory: Path) -> str | None:
    """Remove the import's linked records table when a search's part is gone from it (a file
    deleted by hand: Snakemake sees the directory, not its files), so the run rebuilds it;
    returns the note that says so. Before, dedupe read fewer records and screening failed
    with "unknown study or record ID" for each missing record, blaming the sheets."""
    table = directory / LINKED
    files = directory / LINKED_FILES
    if not table.is_dir() or not files.is_file():
        return None
    import polars as pl

    try:
        searches = set(pl.read_parquet(files, columns=["source_id"])["source_id"].to_list())
    except (OSError, pl.exceptions.PolarsError):
        return None
    present = {
        name.name.split("-", 1)[-1].removesuffix(".parquet") for name in table.glob("*.parquet")
    }
    missing = sorted(searches - present)
    if not missing:
        return None
    import shutil

    shutil.rmtree(table, ignore_errors=True)
    return (
        f"note: {LINKED} lacked the records of search(es) {', '.join(missing)} (a file deleted "
        "inside it?); the import's merge is run again"
    )
