"""The report layer: one self-contained HTML page whose every number comes from the ledger.

:func:`build_report` is the only entry point the Snakemake adapter calls. It takes frames and
plain values (:class:`ReportInputs`), reads nothing but the packaged templates and PRISMA
resources from the directories it is given, and returns strings and bytes
(:class:`ReportOutputs`); the adapter writes them. The same inputs give the same bytes.
"""

from __future__ import annotations

from ..normalize import slug
from .build import FIGURE_TITLES, ReportInputs, ReportOutputs, build_report
from .counts import Ledger, MissingCountError, format_count, format_pct
from .figures import FigureExport

__all__ = [
    "FIGURE_TITLES",
    "FigureExport",
    "Ledger",
    "MissingCountError",
    "ReportInputs",
    "ReportOutputs",
    "build_report",
    "format_count",
    "format_pct",
    "slug",
]
