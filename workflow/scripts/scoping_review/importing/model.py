"""The import stage's vocabulary: export formats, list fields, the error and the per-export result
types.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from .. import vocabulary

# the format names live in :mod:`..vocabulary` (the command line offers them without loading
# this package)
TAGGED = vocabulary.TAGGED_FORMATS
TABLE_PRESETS = vocabulary.TABLE_PRESETS
FORMATS = vocabulary.IMPORT_FORMATS

LIST_FIELDS = ("authors", "keywords", "issn", "isbn")

# canonical field -> tags, first present wins (list fields take all values of the first present tag)
FieldMap = dict[str, tuple[str, ...]]


class ImportError_(ValueError):
    """An export cannot be imported at all (unknown format, records unaccounted for)."""


@dataclass(frozen=True)
class SourceMeta:
    source_id: str
    database: str
    search_date: str
    path: str  # as written in config: provenance only, never opened here


@dataclass
class Imported:
    records: pl.DataFrame
    rejects: pl.DataFrame
    file_row: dict[str, object]
    notes: list[str]
