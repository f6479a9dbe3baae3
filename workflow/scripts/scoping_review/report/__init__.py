"""The report layer: one self-contained HTML page whose every number comes from the ledger.

:func:`build_report` is the only entry point the Snakemake adapter calls. It takes frames and
plain values (:class:`ReportInputs`), reads nothing but the packaged templates and PRISMA
resources from the directories it is given, and returns strings and bytes
(:class:`ReportOutputs`); the adapter writes them. The same inputs give the same bytes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import polars as pl
import yaml
from markupsafe import Markup

from . import checklist, figures, flow, guard, render
from .counts import Ledger, MissingCountError, format_count, format_pct, slug
from .figures import FigureExport

__all__ = [
    "Ledger",
    "MissingCountError",
    "ReportInputs",
    "ReportOutputs",
    "build_report",
    "format_count",
    "format_pct",
    "slug",
]


@dataclass(frozen=True)
class ReportInputs:
    ledger: pl.DataFrame
    issues: pl.DataFrame
    charting: pl.DataFrame
    charting_fields: list[dict[str, Any]]
    prevalence: pl.DataFrame
    themes: pl.DataFrame
    files: pl.DataFrame
    lookup: pl.DataFrame
    config: dict[str, Any]
    provenance: dict[str, Any]
    templates_dir: str
    prisma_dir: str
    # figure hooks for matrices whose counts other stages put in the ledger: name ->
    # frame of row, column, count_id (optional row_title, column_title), e.g.
    # {"evidence_map": ..., "cooccurrence": ...}; each becomes a heatmap figure
    matrices: dict[str, pl.DataFrame] = field(default_factory=dict)


@dataclass(frozen=True)
class ReportOutputs:
    html: str
    flow_svg: str
    flow_png: bytes
    flow_vegalite: str
    figures: dict[str, str]  # name -> standalone SVG (for results/07_report/figures/)
    flow_pdf: bytes = b""
    figure_exports: dict[str, FigureExport] = field(default_factory=dict)
    checklist_markdown: str = ""
    checklist_csv: str = ""
    flow_template: str = flow.NEW_REVIEW


# figure name -> caption; the order is the order of the exports
FIGURE_TITLES: dict[str, str] = {
    "records_per_source": "Records identified per database search",
    "source_overlap": (
        "Overlap between sources: distinct studies found by each search (diagonal) and by "
        "both searches of a pair"
    ),
    "characteristics": "Characteristics of the included studies: studies per charted value",
    "code_frequency": "Code frequency: coded segments per code, coloured by theme",
    "code_studies": "Number of studies per code, coloured by theme",
    "themes": "Number of studies per theme, coloured by overarching theme",
    "evidence_map": "Evidence map",
    "cooccurrence": "Code co-occurrence (studies coded with both codes)",
}


def _read_yaml(directory: str, name: str) -> dict[str, Any]:
    with open(os.path.join(directory, name), encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    if not isinstance(data, dict):
        raise ValueError(f"{name} in {directory} is not a YAML mapping")
    return data


def _figure_specs(
    inputs: ReportInputs,
    ledger: Ledger,
    characteristics: list[dict[str, Any]],
    themes: list[dict[str, Any]],
) -> dict[str, dict[str, Any]]:
    config = inputs.config
    bars = figures.kept_codes(inputs.prevalence, inputs.themes)
    specs: dict[str, dict[str, Any] | None] = {
        "records_per_source": figures.records_per_source(ledger, config),
        "source_overlap": figures.source_overlap(ledger, config),
        "characteristics": figures.characteristics_chart(
            [
                (str(f["plain_label"]), [(str(r["plain_label"]), r["count_id"]) for r in f["rows"]])
                for f in characteristics
            ],
            ledger,
        ),
        "code_frequency": figures.code_chart(bars, ledger, "n_segments", "Coded segments"),
        "code_studies": figures.code_chart(bars, ledger, "n_studies", "Studies"),
        "themes": figures.themes_chart(
            [
                (str(group["plain_name"]), str(t["plain_name"]), t["n_studies_id"])
                for group in themes
                for t in group["themes"]
                if t["n_studies_id"]
            ],
            ledger,
        ),
    }
    for name, frame in sorted(inputs.matrices.items()):
        specs[name] = figures.matrix_chart(frame, ledger)
    return {name: spec for name, spec in specs.items() if spec is not None}


def build_report(inputs: ReportInputs) -> ReportOutputs:
    """Render the report, check it with the guard, and return it with the figure exports.

    Raises :class:`MissingCountError` when the report needs a count the ledger lacks, and
    :class:`ValueError` when the guard finds a number not traceable to the ledger.
    """
    ledger = Ledger(inputs.ledger)
    config = inputs.config
    template = flow.template_file(ledger)
    vocabulary = _read_yaml(inputs.prisma_dir, template)
    items = _read_yaml(inputs.prisma_dir, "checklist.yaml")["items"]

    diagram = flow.build_flow(vocabulary, ledger, config)
    spec = flow.flow_spec(diagram, ledger)
    exports = flow.export_flow(spec)

    characteristics = render.characteristics_view(inputs.charting, inputs.charting_fields, ledger)
    themes = render.themes_view(inputs.themes, inputs.prevalence, ledger)
    fig_exports = {
        name: figures.export(name, FIGURE_TITLES.get(name, name.replace("_", " ")), s)
        for name, s in _figure_specs(inputs, ledger, characteristics, themes).items()
    }
    titles = {"flow": "PRISMA 2020 flow diagram"} | {n: f.title for n, f in fig_exports.items()}
    checklist_rows = checklist.build_checklist(items, ledger, config, inputs.charting_fields)

    embed_max = int((config.get("report") or {}).get("embed_ids_max", 500))
    context: dict[str, Any] = {
        "review": render.review_view(config, ledger),
        "searches": render.searches_view(config, ledger),
        "sources": render.sources_view(ledger, config),
        "criteria": render.criteria_view(config),
        "screening": checklist.screening_text(config),
        "flow": flow.flow_view(diagram),
        "flow_svg": Markup(figures.inline_svg(exports.raw_svg, "flow", titles["flow"])),
        "characteristics": characteristics,
        "charting_table": render.charting_table_view(inputs.charting, inputs.charting_fields),
        "themes": themes,
        "figures": {
            name: Markup(figures.inline_svg(f.svg, f"fig-{name}", f.title))
            for name, f in fig_exports.items()
        },
        "figure_titles": titles,
        "quality": render.quality_view(inputs.issues, ledger),
        "checklist": checklist_rows,
        "provenance": render.provenance_view(inputs.files, inputs.provenance),
        "ledger_json": render.ledger_json(ledger, inputs.lookup, embed_max),
    }
    env = render.make_environment(inputs.templates_dir)
    html = render.render_html(env, context, ledger)
    guard.check_html(html, ledger.values())
    return ReportOutputs(
        html=html,
        flow_svg=exports.svg,
        flow_png=exports.png,
        flow_vegalite=exports.vegalite,
        figures={n: figures.standalone_svg(f.svg, "../index.html") for n, f in fig_exports.items()},
        flow_pdf=exports.pdf,
        figure_exports=fig_exports,
        checklist_markdown=checklist.checklist_markdown(checklist_rows),
        checklist_csv=checklist.checklist_csv(checklist_rows),
        flow_template=template,
    )
