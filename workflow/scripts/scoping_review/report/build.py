"""Report inputs (frames and plain values) to the report's strings and bytes: the page, figures and
PRISMA flow.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import polars as pl
import yaml
from altair.utils.schemapi import debug_mode
from markupsafe import Markup

from ..phases import Lap, no_lap
from . import (
    changes,
    checklist,
    checklist_exports,
    figures,
    flow,
    guard,
    prisma_s,
    progress,
    render,
    toc,
)
from .counts import Ledger
from .figures import BlobStore, FigureExport, Renderer
from .figures.charts import VALIDATE_SPECS


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
    ranking: pl.DataFrame | None = None  # 03_screen/ranking.parquet
    # synthesis tables of 04_extract / 06_themes (optional: sections are left out without them)
    characteristics: pl.DataFrame | None = None
    overarching: pl.DataFrame | None = None
    cooccurrence: pl.DataFrame | None = None
    evidence_map: pl.DataFrame | None = None
    # figure hooks for matrices whose counts other stages put in the ledger: name ->
    # frame of row, column, count_id (optional row_title, column_title), e.g.
    # {"evidence_map": ..., "cooccurrence": ...}; each becomes a heatmap figure
    matrices: dict[str, pl.DataFrame] = field(default_factory=dict)
    # optional stages with inputs in config ("screening", "charting", "coding" -> started);
    # None: all started. A stage not started is one line in the report, not empty tables.
    stages: dict[str, bool] | None = None
    # where renderings of unchanged figure specs are kept between runs (None: draw them all)
    figure_cache: BlobStore | None = None


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
    # cache keys of the renderings this report used, and how many were drawn or reused
    figure_keys: frozenset[str] = frozenset()
    figures_drawn: int = 0
    figures_reused: int = 0


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

DATABASE_OVERLAP_TITLE = (
    "Overlap between databases: distinct studies found by each database, all its searches "
    "together (diagonal), and by both databases of a pair"
)


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
        # one figure for all fields, unless 04_extract gave per-field tables (one figure each)
        "characteristics": None
        if inputs.characteristics is not None
        else figures.characteristics_chart(
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
    specs.update(_synthesis_specs(inputs, ledger))
    for name, frame in sorted(inputs.matrices.items()):
        specs[name] = figures.matrix_chart(frame, ledger)
    return {name: spec for name, spec in specs.items() if spec is not None}


def _field_labels(inputs: ReportInputs) -> dict[str, str]:
    return {str(f["name"]): str(f.get("label") or f["name"]) for f in inputs.charting_fields}


def _synthesis_specs(inputs: ReportInputs, ledger: Ledger) -> dict[str, dict[str, Any] | None]:
    """Studies per value of each charted field, the code co-occurrence matrix and one evidence
    map per mapped field, from the tables of 04_extract and 06_themes (values: ledger counts)."""
    labels = _field_labels(inputs)
    specs: dict[str, dict[str, Any] | None] = {}
    if inputs.characteristics is not None:
        for field_name in inputs.characteristics["field"].unique(maintain_order=True).to_list():
            part = inputs.characteristics.filter(pl.col("field") == field_name)
            specs[f"characteristics_{field_name}"] = figures.bar_chart(
                [
                    figures.Bar(label=str(v), count_id=str(c))
                    for v, c in part.select("value", "count_id").rows()
                ],
                ledger,
                axis_title="Studies",
                item_title=labels.get(field_name, field_name),
            )
    if inputs.cooccurrence is not None and inputs.cooccurrence.height:
        order = [b.code for b in figures.kept_codes(inputs.prevalence, inputs.themes)]
        pairs = inputs.cooccurrence.select(
            pl.col("code_a").alias("row"), pl.col("code_b").alias("column"), "count_id"
        )
        both = pl.concat(
            [
                pairs,
                pairs.select(
                    pl.col("column").alias("row"), pl.col("row").alias("column"), "count_id"
                ),
            ]
        )
        rank = {code: i for i, code in enumerate(order)}
        both = both.with_columns(
            pl.col("row").replace_strict(rank, default=len(rank)).alias("_r"),
            pl.col("column").replace_strict(rank, default=len(rank)).alias("_c"),
        ).sort("_r", "_c", "row", "column")
        specs["cooccurrence"] = figures.matrix_chart(
            both.drop("_r", "_c").with_columns(
                pl.lit("Code").alias("row_title"), pl.lit("Code").alias("column_title")
            ),
            ledger,
        )
    if inputs.evidence_map is not None and inputs.evidence_map.height:
        theme_rank = {str(t): i for i, t in enumerate(inputs.themes["theme"].to_list())}
        for field_name in sorted(set(inputs.evidence_map["field"].to_list())):
            part = (
                inputs.evidence_map.filter(pl.col("field") == field_name)
                .select(pl.col("theme").alias("row"), pl.col("value").alias("column"), "count_id")
                .with_columns(
                    pl.col("row").replace_strict(theme_rank, default=len(theme_rank)).alias("_r")
                )
                .sort("_r", "column")
                .drop("_r")
                .with_columns(
                    pl.lit("Theme").alias("row_title"),
                    pl.lit(labels.get(field_name, field_name)).alias("column_title"),
                )
            )
            specs[f"evidence_{field_name}"] = figures.matrix_chart(part, ledger)
    return specs


def _synthesis_titles(inputs: ReportInputs) -> dict[str, str]:
    labels = _field_labels(inputs)
    titles = {
        "cooccurrence": (
            "Code co-occurrence: studies coded with both codes (kept codes, in theme order)"
        )
    }
    for field_name in labels:
        titles[f"characteristics_{field_name}"] = (
            f"{labels[field_name]}: included studies per value"
        )
        titles[f"evidence_{field_name}"] = (
            f"Evidence map: studies per theme and {labels[field_name]}"
        )
    return titles


def build_report(inputs: ReportInputs, lap: Lap = no_lap) -> ReportOutputs:
    """Render the report, check it with the guard, and return it with the figure exports.

    ``lap`` is called after each phase (figure specs, figures drawn, page rendered, guard
    checked) with its name, for a caller that times them.

    Raises :class:`MissingCountError` when the report needs a count the ledger lacks, and
    :class:`ValueError` when the guard finds a number not traceable to the ledger.
    """
    ledger = Ledger(inputs.ledger)
    config = inputs.config
    template = flow.template_file(ledger)
    vocabulary = _read_yaml(inputs.prisma_dir, template)
    items = _read_yaml(inputs.prisma_dir, "checklist.yaml")["items"]

    diagram = flow.build_flow(vocabulary, ledger, config)
    characteristics = render.characteristics_view(inputs.charting, inputs.charting_fields, ledger)
    themes = render.themes_view(inputs.themes, inputs.prevalence, ledger)
    all_titles = FIGURE_TITLES | _synthesis_titles(inputs)
    if len(figures.database_ids(ledger, config)) >= 2:  # the overlap is drawn per database
        all_titles["source_overlap"] = DATABASE_OVERLAP_TITLE
    # Altair's debug mode checks each chart part against the schema as it is made: the
    # same check VALIDATE_SPECS leaves to the unit tests, and the same specs either way
    with debug_mode(VALIDATE_SPECS):
        design_note = str((config.get("review") or {}).get("design_note") or "")
        spec = flow.flow_spec(diagram, ledger, design_note)
        specs = _figure_specs(inputs, ledger, characteristics, themes)
    lap("flow and figure specs")
    # every spec laid out in turn, each PNG rasterised on a second thread meanwhile
    with ThreadPoolExecutor(max_workers=1) as raster:
        renderer = Renderer(inputs.figure_cache, raster)
        for s in [spec, *specs.values()]:
            renderer.start_png(s)
        exports = flow.export_flow(spec, renderer)
        fig_exports = {
            name: figures.export(name, all_titles.get(name, name.replace("_", " ")), s, renderer)
            for name, s in specs.items()
        }
    lap("figures drawn")
    titles = {"flow": "PRISMA 2020 flow diagram"} | {n: f.title for n, f in fig_exports.items()}
    stages = progress.stages_view(inputs.stages)
    checklist_rows = checklist.build_checklist(
        items, ledger, config, inputs.charting_fields, stages=stages
    )

    embed_max = int((config.get("report") or {}).get("embed_ids_max", 500))
    context: dict[str, Any] = {
        "stages": stages,
        "review": render.review_view(config, ledger),
        "searches": render.searches_view(config, ledger),
        "sources": render.sources_view(ledger, config),
        "database_sources": render.database_sources_view(ledger, config),
        "criteria": render.criteria_view(config),
        "screening": checklist.screening_text(config, ledger),
        "in_progress": checklist.progress_text(ledger) if checklist.in_progress(ledger) else None,
        "screening_results": render.screening_view(
            config,
            ledger,
            inputs.screening_status,
            inputs.carryover,
            inputs.lookup,
            inputs.ranking,
        ),
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
        "prevalence_rule": render.prevalence_rule_view(inputs.prevalence, ledger),
        "overarching": render.overarching_view(inputs.overarching, ledger),
        "cooccurrence": render.cooccurrence_view(inputs.cooccurrence, ledger),
        "evidence": render.evidence_view(
            inputs.evidence_map, inputs.themes, inputs.charting_fields, ledger
        ),
        "characteristic_figures": [
            name for name in fig_exports if name.startswith("characteristics_")
        ],
        "checklist": checklist_rows,
        "provenance": render.provenance_view(inputs.files, inputs.provenance),
        "ledger_json": render.ledger_json(ledger, inputs.lookup, embed_max),
        "changes": changes.changes_view(ledger, inputs.lookup),
        "search_rounds": changes.rounds_view(config),
        "search_appendix": prisma_s.appendix_view(config, ledger),
    }
    env = render.make_environment(inputs.templates_dir)
    html = toc.add_contents(render.render_html(env, context, ledger))
    lap("page rendered")
    guard.check_html(html, ledger.values(), ledger.units())
    lap("guard checked")
    return ReportOutputs(
        html=html,
        flow_svg=exports.svg,
        flow_png=exports.png,
        flow_vegalite=exports.vegalite,
        figures={n: figures.standalone_svg(f.svg, "../index.html") for n, f in fig_exports.items()},
        flow_pdf=exports.pdf,
        figure_exports=fig_exports,
        checklist_markdown=checklist_exports.checklist_markdown(
            checklist_rows,
            design_note=design_note,
        ),
        checklist_csv=checklist_exports.checklist_csv(checklist_rows),
        flow_template=template,
        figure_keys=frozenset(renderer.used),
        figures_drawn=renderer.drawn,
        figures_reused=renderer.reused,
    )
