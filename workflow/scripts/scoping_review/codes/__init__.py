"""05_codes: coded segments, codebook and prevalence.

Segments come from a Taguette highlights export (``id,document,tag,content``), a generic CSV
(``study,code,quote,page``) or a REFI-QDA project (:mod:`.io.qdpx`). The codebook is a table
(``code,theme,overarching_theme,origin,definition[,parent]``), a Taguette codebook export
(``tag,description,number of highlights[,number of documents]``; the tag hierarchy gives the
overarching theme and theme) or the codebook of a ``.qdpx`` project.

Segments whose document maps to no study, to a study that is not included, or whose code is
not in the codebook are kept in ``segments.parquet`` with a status saying so, counted in the
ledger and reported (or, with ``on_unknown="error"``, stop the run naming file and row); only
``status == "ok"`` segments count towards prevalence.
"""

from __future__ import annotations

from .codebook import codebook_table, detect_codebook, qdpx_codebook, taguette_codebook
from .counts import code_counts
from .model import (
    CODEBOOK_COLUMNS,
    DEDUCTIVE_MARKER,
    FORMATS,
    METRICS,
    NO_OVERARCHING,
    NO_THEME,
    ORIGINS,
    STATUSES,
    CodingError,
    Threshold,
)
from .prevalence import check_unknown, prevalence, resolve_segments, retired_id_notes
from .segments import detect_format, generic_segments, qdpx_segments, split_tag, taguette_segments

__all__ = [
    "CODEBOOK_COLUMNS",
    "DEDUCTIVE_MARKER",
    "FORMATS",
    "METRICS",
    "NO_OVERARCHING",
    "NO_THEME",
    "ORIGINS",
    "STATUSES",
    "CodingError",
    "Threshold",
    "check_unknown",
    "code_counts",
    "codebook_table",
    "detect_codebook",
    "detect_format",
    "generic_segments",
    "prevalence",
    "qdpx_codebook",
    "qdpx_segments",
    "resolve_segments",
    "retired_id_notes",
    "split_tag",
    "taguette_codebook",
    "taguette_segments",
]
