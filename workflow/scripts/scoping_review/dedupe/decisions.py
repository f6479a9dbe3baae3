"""People's same/different decisions on record pairs: read from sheets (one row per pair),
combined, and the review worksheet written for them.
"""

from __future__ import annotations

import re

import polars as pl

from ..spreadsheet import Worksheet

DECISION_VALUES = ("same", "different")


class DecisionError(ValueError):
    """A row of a dedupe decisions sheet is unusable; the message names the sheet and row."""


def _decision_pairs(decisions: pl.DataFrame | None, keys: pl.DataFrame) -> pl.DataFrame:
    """People's decisions as (i, j, human, note), checked: known IDs, same/different."""
    schema = {"i": pl.UInt32, "j": pl.UInt32, "human": pl.String, "human_note": pl.String}
    if decisions is None or decisions.is_empty():
        return pl.DataFrame(schema=schema)
    frame = decisions
    for col in ("sheet", "row", "note"):
        if col not in frame.columns:
            frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias(col))
    frame = frame.with_columns(
        pl.col("decision").str.strip_chars().str.to_lowercase(),
        pl.col("record_id_a").str.strip_chars(),
        pl.col("record_id_b").str.strip_chars(),
    )
    index = keys.select("record_id", "i")
    frame = frame.join(
        index.rename({"record_id": "record_id_a", "i": "ia"}), on="record_id_a", how="left"
    ).join(index.rename({"record_id": "record_id_b", "i": "ib"}), on="record_id_b", how="left")
    for row in frame.iter_rows(named=True):
        where = f"{row['sheet'] or 'decisions'}: row {row['row']}"
        for side in ("a", "b"):
            if row[f"i{side}"] is None:
                given = row[f"record_id_{side}"]
                hint = (
                    ": it is a study ID, and a dedupe decision names two records (their IDs "
                    "are in results/02_dedupe/review_queue.xlsx and clusters.parquet)"
                    if re.fullmatch(r"S-[0-9a-f]{10}(?:[0-9a-f]{10})?", str(given))
                    else ""
                )
                raise DecisionError(
                    f"{where}: record_id_{side} {given!r} is not a known record{hint}"
                )
        if row["decision"] not in DECISION_VALUES:
            raise DecisionError(
                f"{where}: decision {row['decision']!r} is not one of {list(DECISION_VALUES)}"
            )
        if row["ia"] == row["ib"]:
            raise DecisionError(f"{where}: a record is paired with itself")
    pairs = frame.select(
        pl.min_horizontal("ia", "ib").alias("i"),
        pl.max_horizontal("ia", "ib").alias("j"),
        pl.col("decision").alias("human"),
        pl.col("note").alias("human_note"),
        pl.format(
            "{}: row {}",
            pl.col("sheet").fill_null("decisions"),
            pl.col("row").cast(pl.String).fill_null("?"),
        ).alias("where"),
    )
    clash = pairs.group_by("i", "j").agg(pl.col("human").n_unique()).filter(pl.col("human") > 1)
    if clash.height:
        ids = keys["record_id"]
        i, j = clash.row(0)[:2]
        rows = pairs.filter((pl.col("i") == i) & (pl.col("j") == j))
        shown = "; ".join(f"{h} at {w}" for h, w in rows.select("human", "where").iter_rows())
        raise DecisionError(
            f"decisions say both same and different for {ids[i]} and {ids[j]} ({shown})"
        )
    _check_transitive(pairs, keys["record_id"])
    return pairs.drop("where").unique(["i", "j"], keep="last").cast(schema)  # type: ignore[arg-type]


def _check_transitive(pairs: pl.DataFrame, ids: pl.Series) -> None:
    """People's "same" decisions join records into one study through each other (A same B, B
    same C: A and C are one study); a person's "different" for two records they join is a
    contradiction, refused with every row concerned (else one of them is silently overruled)."""
    same = pairs.filter(pl.col("human") == "same")
    different = pairs.filter(pl.col("human") == "different")
    if not same.height or not different.height:
        return
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, j in same.select("i", "j").iter_rows():
        parent[find(i)] = find(j)
    for i, j, where in different.select("i", "j", "where").iter_rows():
        if i in parent and j in parent and find(i) == find(j):
            root = find(i)
            chain = [
                f"{ids[a]} same as {ids[b]} at {w}"
                for a, b, w in same.select("i", "j", "where").iter_rows()
                if find(a) == root
            ]
            raise DecisionError(
                f"{where}: different for {ids[i]} and {ids[j]}, but people's 'same' decisions "
                f"join them into one study ({'; '.join(chain[:6])}"
                f"{'; ...' if len(chain) > 6 else ''}); correct one of these rows"
            )


DECISION_COLUMNS = ("record_id_a", "record_id_b", "decision")


def decisions_from_sheet(frame: pl.DataFrame, sheet: str) -> pl.DataFrame:
    """A decisions sheet (all text) with its ``sheet`` name and ``row`` number (header = 1)
    added; rows without a decision are skipped (not decided yet) and missing columns are an
    error naming the sheet. The review queue's workbook, whose header is on row 2 below an
    instruction line, is read as it is."""
    first_row = 2  # the header is row 1
    missing = [c for c in DECISION_COLUMNS if c not in frame.columns]
    if missing and frame.height and set(DECISION_COLUMNS) <= set(frame.row(0)):
        # the review queue's own workbook: an instruction line above the header row
        names = [str(v) if v is not None else f"_{i}" for i, v in enumerate(frame.row(0))]
        if len(set(names)) < len(names):
            raise DecisionError(f"{sheet}: row 2 (its header) names a column twice: {names}")
        frame = frame.slice(1).rename(dict(zip(frame.columns, names, strict=True)))
        first_row, missing = 3, []
    if missing:
        raise DecisionError(f"{sheet}: missing columns {missing} (needs {list(DECISION_COLUMNS)})")
    out = frame.with_row_index("row", offset=first_row).select(
        "record_id_a",
        "record_id_b",
        "decision",
        (pl.col("note") if "note" in frame.columns else pl.lit(None, dtype=pl.String)).alias(
            "note"
        ),
        pl.lit(sheet).alias("sheet"),
        pl.col("row").cast(pl.Int64),
    )
    # a row without a decision is a pair not decided yet (the review queue's own rows)
    blank = pl.col("decision").str.strip_chars().replace("", None).is_null()
    return out.filter(~blank)


def review_worksheet(review_queue: pl.DataFrame) -> Worksheet:
    """The review queue as a worklist sheet: decision is a same/different dropdown; rows
    copied into a ``dedupe.decisions`` sheet are applied on the next run."""
    return Worksheet(
        name="review_queue",
        frame=review_queue,
        dropdowns={"decision": list(DECISION_VALUES)},
        widths={"title_a": 50, "title_b": 50, "evidence": 40, "reason": 24},
        note="Decide each pair: same or different. Copy decided rows into a sheet listed under "
        "dedupe.decisions in the config; they are applied on every later run.",
    )


def combine_decisions(sheets: list[pl.DataFrame]) -> pl.DataFrame | None:
    """All decisions sheets (from :func:`decisions_from_sheet`) as one frame, or None."""
    frames = [s for s in sheets if s.height]
    return pl.concat(frames) if frames else None
