"""Synthesis figures (Altair → SVG through vl-convert), values read from ledger counts.

The prevalence table supplies only *which* codes exist, their theme and whether they were
kept; every bar length is the ledger count ``code.<slug>.n_segments`` or
``code.<slug>.n_studies``.
"""

from __future__ import annotations

from .charts import (
    FONT,
    PALETTE,
    Bar,
    Cell,
    CodeBar,
    bar_chart,
    code_chart,
    count_href,
    heatmap_chart,
    inline_data,
    kept_codes,
    theme_order,
)
from .export import (
    FigureExport,
    export,
    inline_svg,
    spec_json,
    standalone_svg,
    to_pdf,
    to_png,
    to_svg,
)
from .renderer import BlobStore, Renderer, single_weight
from .report_figures import (
    characteristics_chart,
    database_ids,
    matrix_chart,
    overlap_key,
    records_per_source,
    search_ids,
    source_overlap,
    themes_chart,
)

__all__ = [
    "FONT",
    "PALETTE",
    "Bar",
    "BlobStore",
    "Cell",
    "CodeBar",
    "FigureExport",
    "Renderer",
    "bar_chart",
    "characteristics_chart",
    "code_chart",
    "count_href",
    "database_ids",
    "export",
    "heatmap_chart",
    "inline_data",
    "inline_svg",
    "kept_codes",
    "matrix_chart",
    "overlap_key",
    "records_per_source",
    "search_ids",
    "single_weight",
    "source_overlap",
    "spec_json",
    "standalone_svg",
    "theme_order",
    "themes_chart",
    "to_pdf",
    "to_png",
    "to_svg",
]
