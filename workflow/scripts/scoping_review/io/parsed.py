"""What every export reader returns: its fields in reading order (one row per field value), the
line each record starts at (one row per record) and the raw blocks it rejected with a reason."""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl


@dataclass(frozen=True)
class RawReject:
    line: int
    reason: str
    raw: str


@dataclass
class Parsed:
    fields: pl.DataFrame  # rec (UInt32/Int64), fid, tag, value
    starts: pl.DataFrame  # rec, line (1-based)
    rejects: list[RawReject]
    n_raw: int
    notes: list[str] = field(default_factory=list)
    stripped: bool = False  # every value is already stripped of surrounding white space

    @property
    def n_records(self) -> int:
        return self.starts.height

    @classmethod
    def from_lists(
        cls,
        rec: list[int],
        tags: list[str],
        values: list[str],
        lines: list[int],
        rejects: list[RawReject],
        n_raw: int,
        notes: list[str] | None = None,
        *,
        stripped: bool = False,
    ) -> Parsed:
        """A reader's result from parallel lists: field ``i`` is (``rec[i]``, ``tags[i]``,
        ``values[i]``) in reading order; record ``r`` starts at line ``lines[r]``."""
        fields = pl.DataFrame(
            {"rec": rec, "fid": range(len(rec)), "tag": tags, "value": values},
            schema={"rec": pl.Int64, "fid": pl.Int64, "tag": pl.String, "value": pl.String},
        )
        starts = pl.DataFrame(
            {"rec": range(len(lines)), "line": lines}, schema={"rec": pl.Int64, "line": pl.Int64}
        )
        return cls(fields, starts, rejects, n_raw, notes or [], stripped=stripped)
