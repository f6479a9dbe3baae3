"""The coding stage's vocabulary (formats, statuses, markers), its error and the prevalence
threshold.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from .. import schemas

METRICS = ("n_studies", "n_segments")
STATUSES = ("ok", "unknown_document", "not_included", "unknown_code")
FORMATS = ("taguette", "generic", "qdpx")
ORIGINS = ("deductive", "inductive")
DEDUCTIVE_MARKER = "(deductive)"
NO_THEME = "(no theme)"
NO_OVERARCHING = "(no overarching theme)"

CODEBOOK_COLUMNS: dict[str, pl.DataType] = dict(schemas.CODEBOOK.columns)


class CodingError(ValueError):
    """Coding inputs that cannot be used; the message names file and row."""


@dataclass(frozen=True)
class Threshold:
    metric: str = "n_studies"
    drop_at_or_below: int = 0

    def __post_init__(self) -> None:
        if self.metric not in METRICS:
            raise CodingError(f"prevalence metric {self.metric!r} must be one of {METRICS}")

    def describe(self) -> str:
        return f"codes with {self.metric} at or below {self.drop_at_or_below} are dropped"
