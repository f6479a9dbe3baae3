"""Data-quality findings on the exports themselves: what the readers noted, the records they
rejected, how a file's text was decoded where that was a guess or lost characters, the same
file under two searches, a search dated in the future. Pure functions, as in :mod:`.quality`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

from .quality import _issue
from .vocabulary import REJECT_ID

# how an export's text was decoded when nothing needed a guess or a repair
PLAIN_ENCODING_NOTES = frozenset(
    {
        "valid UTF-8",
        "byte-order mark",
        "declared in config",
        "UTF-16 without byte-order mark (zero bytes)",
        "spreadsheet (no text encoding)",
    }
)
# words of a decoding note that say text was dropped or replaced (else it was a guess)
_LOSSY = ("dropped", "replacement", "truncated", "invalid bytes", "mojibake")


def import_findings(files: pl.DataFrame) -> list[dict[str, object]]:
    """What the readers noticed in each export and kept going (records are still counted),
    and how its text was decoded where that was a guess (info) or lost or mended characters
    (warning): a wrong guess garbles titles, a cut character is a truncated download."""
    findings = [
        _issue("import_note", "warning", f"{path} {i}", f"{path}: {note}", path)
        for path, notes in files.select("path", "notes").rows()
        for i, note in enumerate(notes or [])
    ]
    for path, encoding, note in files.select("path", "encoding", "encoding_note").rows():
        if not note or note in PLAIN_ENCODING_NOTES:
            continue
        severity = "warning" if any(word in note for word in _LOSSY) else "info"
        message = f"{path}: text read as {encoding}: {note}"
        findings.append(_issue("import_encoding", severity, path, message, path))
    return findings


def reject_findings(rejects: pl.DataFrame) -> list[dict[str, object]]:
    """One finding per raw record an export's reader rejected (counted among the records
    removed for other reasons), with its file, line and reason: what to mend in the export."""
    return [
        _issue(
            "import_reject",
            "warning",
            f"{path} {line}",
            f"{path}, line {line}: {reason}",
            f"{path}, line {line}",
            [REJECT_ID.format(source, path, line)],
        )
        for source, path, line, reason in rejects.select(
            "source_id", "file", "line", "reason"
        ).rows()
    ]


def search_findings(
    files: pl.DataFrame, searches: Sequence[Mapping[str, Any]], today: str
) -> list[dict[str, object]]:
    """The same export file (same bytes) under two searches; a search dated after ``today``.

    A file listed twice is read twice: its records count once per search and then merge as
    duplicates, which inflates records identified. A future search date is most likely a typo.
    """
    findings = []
    # two rounds of one saved (API) search may fetch byte-identical pages (the overlap,
    # nothing new): those are one search, not a file listed twice
    owner = {str(s.get("id")): str(s.get("api_search") or s.get("id")) for s in searches}
    same = (
        files.with_columns(
            pl.col("source_id").replace_strict(owner, default=pl.col("source_id")).alias("_search")
        )
        .group_by("sha256")
        .agg(
            pl.col("source_id").unique().sort(),
            pl.col("path").unique().sort(),
            pl.col("_search").n_unique().alias("_searches"),
        )
        .filter(pl.col("_searches") > 1)
        .sort("sha256")
    )
    for sources, paths in same.select("source_id", "path").rows():
        shown = " and ".join(paths)
        findings.append(
            _issue(
                "same_file_in_two_searches",
                "warning",
                shown,
                f"{shown}: the same export file is listed under searches "
                f"{', '.join(sources)}; its records are counted in each search and then merged "
                "as duplicates",
                "config/config.yaml: searches",
            )
        )
    for i, search in enumerate(searches):
        date = str(search.get("date", ""))[:10]
        if date > today:
            findings.append(
                _issue(
                    "search_date_future",
                    "warning",
                    str(search.get("id")),
                    f"search {search.get('id')!r} is dated {date}, after the run date {today}",
                    f"config/config.yaml: searches/{i}/date",
                )
            )
    return findings


def untitled_findings(studies: pl.DataFrame) -> list[dict[str, object]]:
    """One finding for the studies none of whose records has a title: a record cut short or
    read from a damaged export (fields under the wrong names) most often, and a study a
    screener cannot judge by its title. The IDs are the studies'."""
    untitled = studies.filter(
        pl.col("title").is_null() | (pl.col("title").str.strip_chars() == "")
    )["study_id"].sort()
    if untitled.len() == 0:
        return []
    shown = ", ".join(untitled.head(5).to_list()) + (", ..." if untitled.len() > 5 else "")
    message = (
        f"{untitled.len()} studies have no title in any of their records ({shown}): a record "
        "cut short, or an export read with its fields under the wrong names? Check the "
        "exports they come from"
    )
    return [_issue("untitled_studies", "warning", "untitled", message, "exports", untitled)]
