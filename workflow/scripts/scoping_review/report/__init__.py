"""The report layer: one self-contained HTML page whose every number comes from the ledger.

:func:`build_report` is the only entry point the Snakemake adapter calls. It takes frames and
plain values (:class:`ReportInputs`), reads nothing but the packaged templates and PRISMA
resources from the directories it is given, and returns strings and bytes
(:class:`ReportOutputs`); the adapter writes them. The same inputs give the same bytes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import polars as pl
import yaml
from markupsafe import Markup

from . import changes, checklist, figures, flow, guard, render
from .counts import Ledger, MissingCountError, format_count, format_pct, slug

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
    screening_status: pl.DataFrame | None = None  # 03_screen/status.parquet
    carryover: pl.DataFrame | None = None  # 03_screen/carryover.parquet
    # synthesis tables of 04_extract / 06_themes (optional: sections are left out without them)
    characteristics: pl.DataFrame | None = None
    overarching: pl.DataFrame | None = None
    cooccurrence: pl.DataFrame | None = None
    evidence_map: pl.DataFrame | None = None


@dataclass(frozen=True)
class ReportOutputs:
    html: str
    flow_svg: str
    flow_png: bytes
    flow_vegalite: str
    figures: dict[str, str]


def _read_yaml(directory: str, name: str) -> dict[str, Any]:
    with open(os.path.join(directory, name), encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    if not isinstance(data, dict):
        raise ValueError(f"{name} in {directory} is not a YAML mapping")
    return data


def _synthesis_figures(
    inputs: ReportInputs, ledger: Ledger, titles: dict[str, str]
) -> dict[str, dict[str, Any]]:
    """Characteristics bars per counted field, code co-occurrence and evidence-map heatmaps;
    every value drawn is a ledger count."""
    specs: dict[str, dict[str, Any]] = {}
    if inputs.characteristics is not None:
        labels = {str(f["name"]): str(f.get("label") or f["name"]) for f in inputs.charting_fields}
        for field in inputs.characteristics["field"].unique(maintain_order=True).to_list():
            part = inputs.characteristics.filter(pl.col("field") == field)
            rows = [(str(v), str(c)) for v, c in part.select("value", "count_id").rows()]
            name = f"characteristics_{field}"
            specs[name] = figures.characteristic_chart(rows, ledger, "Studies")
            titles[name] = f"{labels.get(field, field)}: included studies per value"
    if inputs.cooccurrence is not None and inputs.cooccurrence.height:
        order = [b.code for b in figures.kept_codes(inputs.prevalence, inputs.themes)]
        cells = [
            (str(a), str(b), str(c))
            for a, b, c in inputs.cooccurrence.select("code_a", "code_b", "count_id").rows()
        ]
        cells += [(b, a, c) for a, b, c in cells]
        specs["cooccurrence"] = figures.heatmap(cells, ledger, order, order, "Code", "Code")
        titles["cooccurrence"] = (
            "Code co-occurrence: studies coded with both codes (kept codes, in theme order)"
        )
    if inputs.evidence_map is not None and inputs.evidence_map.height:
        labels = {str(f["name"]): str(f.get("label") or f["name"]) for f in inputs.charting_fields}
        theme_order = [str(t) for t in inputs.themes["theme"].to_list()]
        for field in sorted(set(inputs.evidence_map["field"].to_list())):
            part = inputs.evidence_map.filter(pl.col("field") == field)
            cells = [
                (str(v), str(t), str(c))
                for v, t, c in part.select("value", "theme", "count_id").rows()
            ]
            values = sorted({c[0] for c in cells})
            name = f"evidence_{field}"
            specs[name] = figures.heatmap(
                cells, ledger, values, theme_order, labels.get(field, field), "Theme"
            )
            titles[name] = f"Evidence map: studies per theme and {labels.get(field, field)}"
    return specs


def build_report(inputs: ReportInputs) -> ReportOutputs:
    """Render the report, check it with the guard, and return it with the figure exports.

    Raises :class:`MissingCountError` when the report needs a count the ledger lacks, and
    :class:`ValueError` when the guard finds a number not traceable to the ledger.
    """
    ledger = Ledger(inputs.ledger)
    config = inputs.config
    vocabulary = _read_yaml(inputs.prisma_dir, "flow_boxes.yaml")
    items = _read_yaml(inputs.prisma_dir, "checklist.yaml")["items"]

    diagram = flow.build_flow(vocabulary, ledger, config)
    spec = flow.flow_spec(diagram, ledger)
    exports = flow.export_flow(spec)

    bars = figures.kept_codes(inputs.prevalence, inputs.themes)
    titles: dict[str, str] = {}
    fig_specs = {
        "code_frequency": figures.code_chart(bars, ledger, "n_segments", "Coded segments"),
        "code_studies": figures.code_chart(bars, ledger, "n_studies", "Studies"),
    }
    fig_specs.update(_synthesis_figures(inputs, ledger, titles))
    fig_svgs = {name: figures.to_svg(s) for name, s in fig_specs.items()}
    titles |= {
        "flow": "PRISMA 2020 flow diagram",
        "code_frequency": "Code frequency: coded segments per code, coloured by theme",
        "code_studies": "Number of studies per code, coloured by theme",
    }

    embed_max = int((config.get("report") or {}).get("embed_ids_max", 500))
    context: dict[str, Any] = {
        "review": render.review_view(config, ledger),
        "searches": render.searches_view(config, ledger),
        "criteria": render.criteria_view(config),
        "screening": checklist.screening_text(config),
        "screening_results": render.screening_view(
            config, ledger, inputs.screening_status, inputs.carryover, inputs.lookup
        ),
        "flow": flow.flow_view(diagram),
        "flow_svg": Markup(figures.inline_svg(exports.svg, "flow", titles["flow"])),
        "characteristics": render.characteristics_view(
            inputs.charting, inputs.charting_fields, ledger
        ),
        "charting_table": render.charting_table_view(inputs.charting, inputs.charting_fields),
        "themes": render.themes_view(inputs.themes, inputs.prevalence, ledger),
        "figures": {
            name: Markup(figures.inline_svg(svg, f"fig-{name}", titles[name]))
            for name, svg in fig_svgs.items()
        },
        "figure_titles": titles,
        "quality": render.quality_view(inputs.issues, ledger),
        "prevalence_rule": render.prevalence_rule_view(inputs.prevalence, ledger),
        "overarching": render.overarching_view(inputs.overarching, ledger),
        "cooccurrence": render.cooccurrence_view(inputs.cooccurrence, ledger),
        "evidence": render.evidence_view(
            inputs.evidence_map, inputs.themes, inputs.charting_fields, ledger
        ),
        "characteristic_figures": [
            name for name in fig_svgs if name.startswith("characteristics_")
        ],
        "checklist": checklist.build_checklist(items, ledger, config, inputs.charting_fields),
        "provenance": render.provenance_view(inputs.files, inputs.provenance),
        "ledger_json": render.ledger_json(ledger, inputs.lookup, embed_max),
        "changes": changes.changes_view(ledger, inputs.lookup),
        "search_rounds": changes.rounds_view(config),
    }
    env = render.make_environment(inputs.templates_dir)
    html = render.render_html(env, context, ledger)
    guard.check_html(html, ledger.values())
    return ReportOutputs(
        html=html,
        flow_svg=exports.svg,
        flow_png=exports.png,
        flow_vegalite=exports.vegalite,
        figures=fig_svgs,
    )
