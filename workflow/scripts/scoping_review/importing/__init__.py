"""01_import: exports (already read as bytes by the adapter) to canonical records.

Pipeline, the same for every format: bytes → :mod:`.io.decode` (encoding decided and recorded)
→ a reader (:mod:`.io.tagged`, :mod:`.io.bibtex`, :mod:`.io.tables`, :mod:`.io.xmlrefs`) that
returns a long frame of ``(rec, fid, tag, value)`` fields plus rejects and ``n_raw`` (record
starts counted independently of the reader) → reconciliation ``n_raw == parsed + rejected``
→ :func:`canonical_frame`, which maps tags to canonical fields with polars (the fields are
partitioned by tag once; no pivot, no Python loop per record) → the records table.

Field maps are data: for each format, the tags (or column names) that feed each canonical field,
in order of preference (the first tag present in a record wins; list fields take every value of
that tag). Every tag the export carried is also kept verbatim in ``raw_tags``/``raw_values``.
"""

from __future__ import annotations

from ..io import bibtex, tables, tagged, xmlrefs
from ..io.decode import Decoded, decode
from .canonical import canonical_frame
from .counts import import_counts, reconciliation
from .detect import binary_reason, detect_format, detect_table_preset, generic_map
from .fieldmaps import (
    EXTRACT,
    EXTRACT_BY_FORMAT,
    FIELD_MAPS,
    GENERIC_ALIASES,
    LANGUAGES,
    PUBLICATION_TYPES,
    SPLITS,
)
from .model import (
    FORMATS,
    LIST_FIELDS,
    TABLE_PRESETS,
    TAGGED,
    FieldMap,
    Imported,
    ImportError_,
    SourceMeta,
)
from .pipeline import RECORD_MARKED, combine, import_export, parse_text

__all__ = [
    "EXTRACT",
    "EXTRACT_BY_FORMAT",
    "FIELD_MAPS",
    "FORMATS",
    "GENERIC_ALIASES",
    "LANGUAGES",
    "LIST_FIELDS",
    "PUBLICATION_TYPES",
    "RECORD_MARKED",
    "SPLITS",
    "TABLE_PRESETS",
    "TAGGED",
    "Decoded",
    "FieldMap",
    "ImportError_",
    "Imported",
    "SourceMeta",
    "bibtex",
    "binary_reason",
    "canonical_frame",
    "combine",
    "decode",
    "detect_format",
    "detect_table_preset",
    "generic_map",
    "import_counts",
    "import_export",
    "parse_text",
    "reconciliation",
    "tables",
    "tagged",
    "xmlrefs",
]
