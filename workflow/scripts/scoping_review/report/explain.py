"""Ledger counts as plain text, for ``scoping-review explain`` and ``scoping-review counts``.

The same facts the report's click-through panel shows: a count's value, rule, stage, input
hashes and the records or studies behind it (ID, title, year, source).
"""

from __future__ import annotations

from typing import Any

import polars as pl

from .counts import THOUSANDTHS, format_count

LOOKUP_SCHEMA = {
    "id": pl.String,
    "kind": pl.String,
    "title": pl.String,
    "year": pl.Int64,
    "source": pl.String,
}


def lookup_frame(
    records: pl.DataFrame, studies: pl.DataFrame, issues: pl.DataFrame | None = None
) -> pl.DataFrame:
    """ID → kind, title, year, source for every record and study and, with ``issues`` (the
    quality findings), every data-quality finding: kind ``finding``, its message as the title
    and its location as the source, so that a check's listing says what each finding is.

    ``records`` needs ``record_id``, ``title``, ``year``, ``database``; ``studies`` needs
    ``study_id``, ``title``, ``year``, ``databases`` (a list); ``issues`` ``issue_id``,
    ``message``, ``where``.
    """
    parts = [
        records.select(
            pl.col("record_id").alias("id"),
            pl.lit("record").alias("kind"),
            "title",
            pl.col("year").cast(pl.Int64),
            pl.col("database").alias("source"),
        ),
        studies.select(
            pl.col("study_id").alias("id"),
            pl.lit("study").alias("kind"),
            "title",
            pl.col("year").cast(pl.Int64),
            pl.col("databases").list.join(", ").alias("source"),
        ),
    ]
    if issues is not None:
        parts.append(
            issues.select(
                pl.col("issue_id").alias("id"),
                pl.lit("finding").alias("kind"),
                pl.col("message").alias("title"),
                pl.lit(None, dtype=pl.Int64).alias("year"),
                pl.col("where").alias("source"),
            )
        )
    return pl.concat([p.cast(LOOKUP_SCHEMA) for p in parts])  # type: ignore[arg-type]


def _one_line(text: Any) -> str:
    return " ".join(str(text).split()) if text is not None else ""


def _value(row: dict[str, Any]) -> str:
    """``36 studies``; a value in thousandths as its decimal (``0.417 (417 thousandths)``)."""
    unit = str(row["unit"] or "")
    if unit == THOUSANDTHS:
        return f"{format_count(int(row['value']), unit)} ({row['value']} {unit})"
    if row["value"] == 1 and unit in _SINGULAR:
        unit = _SINGULAR[unit]
    return f"{row['value']} {unit}".strip()


_SINGULAR = {"studies": "study", "records": "record", "reports": "report", "codes": "code",
             "segments": "segment", "themes": "theme", "files": "file", "pairs": "pair",
             "searches": "search", "databases": "database", "decisions": "decision"}  # fmt: skip
# a long ID (a code co-occurrence's) pads no other line past this width
ID_WIDTH = 48


def explain_lines(row: dict[str, Any], lookup: pl.DataFrame | None = None) -> list[str]:
    """The text ``scoping-review explain`` prints for one ledger row.

    With ``lookup`` each ID is followed by its year, source and title (tab-separated).
    """
    lines = [
        f"{row['count_id']} = {_value(row)}: {row['label']}",
        f"  stage {row['stage']}, rule {row['rule']}",
    ]
    for item in row["inputs"] or []:
        lines.append(f"  input {item['name']}  sha256 {item['sha256']}")
    if row["id_kind"] == "none":
        lines.append("  a measured value, not a count of identifiable things")
        return lines
    ids = [str(i) for i in row["ids"] or []]
    kind = str(row["id_kind"])
    kinds = kind[:-1] + "ies" if kind.endswith("y") else kind + "s"  # study -> studies
    lines.append(f"  {kinds} ({len(ids)}):")
    info: dict[str, dict[str, Any]] = {}
    if lookup is not None and ids:
        hits = lookup.filter(pl.col("id").is_in(ids)).unique("id", keep="first")
        info = {str(r["id"]): r for r in hits.iter_rows(named=True)}
    for i in ids:
        rec = info.get(i)
        if rec is None:
            lines.append(f"    {i}")
        else:
            year = "" if rec["year"] is None else str(rec["year"])
            lines.append(f"    {i}\t{year}\t{_one_line(rec['source'])}\t{_one_line(rec['title'])}")
    return lines


def counts_lines(ledger: pl.DataFrame, prefix: str = "") -> list[str]:
    """One line per ledger count (``count_id  value unit  stage/rule  label``), by id."""
    frame = ledger.sort("count_id")
    if prefix:
        frame = frame.filter(pl.col("count_id").str.starts_with(prefix))
    rows = list(frame.iter_rows(named=True))
    width = min(max((len(str(r["count_id"])) for r in rows), default=8), ID_WIDTH)
    out = []
    for r in rows:
        value = _value(r)
        out.append(
            f"{str(r['count_id']).ljust(width)}  {value:<16}  "
            f"{r['stage']}/{r['rule']}  {_one_line(r['label'])}"
        )
    return out
