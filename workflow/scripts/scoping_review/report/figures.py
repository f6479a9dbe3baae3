"""Synthesis figures (Altair → SVG through vl-convert), values read from ledger counts.

The prevalence table supplies only *which* codes exist, their theme and whether they were
kept; every bar length is the ledger count ``code.<slug>.n_segments`` or
``code.<slug>.n_studies``.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from typing import Any

import altair as alt
import polars as pl
import vl_convert as vlc

from .counts import Ledger, slug
from .labels import search_labels

FONT = "DejaVu Sans, Liberation Sans, Arial, sans-serif"
# Colour-blind-safe qualitative palette (Okabe–Ito, then Tableau), fixed for determinism.
PALETTE = [
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#000000",
    "#4E79A7",
    "#F28E2B",
    "#59A14F",
    "#B07AA1",
]


def inline_data(values: list[dict[str, Any]]) -> Any:
    """Inline Vega-Lite data (Altair's ``Data`` is untyped, hence the ``Any``)."""
    return alt.Data(values=values)  # type: ignore[no-untyped-call]


@dataclass(frozen=True)
class CodeBar:
    code: str
    theme: str
    overarching_theme: str


def kept_codes(prevalence: pl.DataFrame, themes: pl.DataFrame) -> list[CodeBar]:
    """Kept codes in display order: by theme (themes table order), then code name.

    Bars carry count ids only; values are looked up in the ledger when drawing.
    """
    theme_order = {t: i for i, t in enumerate(themes.get_column("theme").to_list())}
    rows = prevalence.filter(pl.col("kept")).select("code", "theme", "overarching_theme")
    bars = [
        CodeBar(
            code=str(r["code"]),
            theme=str(r["theme"]),
            overarching_theme=str(r["overarching_theme"]),
        )
        for r in rows.iter_rows(named=True)
    ]
    bars.sort(key=lambda b: (theme_order.get(b.theme, len(theme_order)), b.theme, b.code))
    return bars


def theme_order(bars: list[CodeBar]) -> list[str]:
    seen: list[str] = []
    for b in bars:
        if b.theme not in seen:
            seen.append(b.theme)
    return seen


def code_chart(
    bars: list[CodeBar], ledger: Ledger, measure: str, axis_title: str
) -> dict[str, Any]:
    """Horizontal bars of ``code.<slug>.<measure>`` per kept code, coloured by theme."""
    return bar_chart(
        [
            Bar(
                label=b.code,
                count_id=f"code.{slug(b.code)}.{measure}",
                group=b.theme,
                context=f"figure of {measure} for code {b.code!r}",
            )
            for b in bars
        ],
        ledger,
        axis_title=axis_title,
        group_title="Theme",
        groups=theme_order(bars),
    )


# -- generic, ledger-bound charts --------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    """One bar: its label, the ledger count that is its length, and its colour group."""

    label: str
    count_id: str
    group: str = ""
    context: str = ""


@dataclass(frozen=True)
class Cell:
    """One heatmap cell: row and column labels and the ledger count shown in it."""

    row: str
    column: str
    count_id: str


def count_href(count_id: str) -> str:
    """The link a mark carries; the report's script opens that count's panel."""
    return f"#count={count_id}"


def _datum(ledger: Ledger, count_id: str, context: str) -> dict[str, Any]:
    row = ledger.row(count_id, context)
    return {
        "value": row.value,
        "count_id": row.count_id,
        "href": count_href(row.count_id),
        "what": row.label or row.count_id,
    }


def _tooltip(*first: alt.Tooltip) -> list[alt.Tooltip]:
    return [
        *first,
        alt.Tooltip("value:Q", title="Count", format="d"),
        alt.Tooltip("what:N", title="Ledger label"),
        alt.Tooltip("count_id:N", title="Count id"),
    ]


def bar_chart(
    bars: list[Bar],
    ledger: Ledger,
    *,
    axis_title: str,
    group_title: str | None = None,
    groups: list[str] | None = None,
    item_title: str = "Item",
    width: int = 560,
) -> dict[str, Any]:
    """Horizontal bars, one per :class:`Bar`, whose lengths are ledger values.

    Every bar and its value label link to ``#count=<count_id>`` (the report turns that into
    the click-through panel) and carry a tooltip naming the count id.
    """
    data = [
        {"label": b.label, "group": b.group, **_datum(ledger, b.count_id, b.context)} for b in bars
    ]
    order = [b.label for b in bars]
    groups = groups if groups is not None else list(dict.fromkeys(b.group for b in bars))
    colours = [PALETTE[i % len(PALETTE)] for i in range(len(groups))]
    base = alt.Chart(inline_data(data)).encode(
        y=alt.Y(
            "label:N",
            sort=order,
            title=None,
            axis=alt.Axis(labelLimit=1000, labelFontSize=12, labelFont=FONT),
        ),
        x=alt.X(
            "value:Q",
            title=axis_title,
            axis=alt.Axis(tickMinStep=1, format="d", titleFont=FONT, labelFont=FONT),
        ),
        href=alt.Href("href:N"),
        tooltip=_tooltip(alt.Tooltip("label:N", title=item_title)),
    )
    legend = (
        alt.Legend(
            title=group_title,
            orient="bottom",
            columns=2,
            labelLimit=1000,
            labelFont=FONT,
            titleFont=FONT,
        )
        if group_title
        else None
    )
    bars_layer = base.mark_bar(height={"band": 0.75}, aria=False).encode(
        color=alt.Color(
            "group:N",
            sort=groups,
            scale=alt.Scale(domain=groups or ["-"], range=colours or ["#999999"]),
            legend=legend,
        )
    )
    labels = base.mark_text(
        align="left", dx=3, fontSize=11, font=FONT, color="#222222", aria=False
    ).encode(text=alt.Text("value:Q", format="d"))
    height = max(60, 24 * len(bars))
    chart = (
        alt.layer(bars_layer, labels)
        .properties(width=width, height=height, background="white", padding=8)
        .configure_view(stroke=None)
    )
    spec: dict[str, Any] = chart.to_dict()
    return spec


def heatmap_chart(
    cells: list[Cell],
    ledger: Ledger,
    *,
    row_title: str,
    column_title: str,
    rows: list[str] | None = None,
    columns: list[str] | None = None,
    axis_titles: bool = True,
) -> dict[str, Any]:
    """A matrix of ledger counts (evidence map, co-occurrence, overlap between sources).

    Each cell's shade and printed number are the value of its count id; cells link to
    ``#count=<count_id>`` like bars do. ``axis_titles=False`` leaves the axis titles out
    (the tooltips keep them) where the caption says what rows and columns are.
    """
    data = [
        {"row": c.row, "column": c.column, **_datum(ledger, c.count_id, f"cell {c.row}/{c.column}")}
        for c in cells
    ]
    rows = rows if rows is not None else list(dict.fromkeys(c.row for c in cells))
    columns = columns if columns is not None else list(dict.fromkeys(c.column for c in cells))
    top = max((d["value"] for d in data), default=0)
    base = alt.Chart(inline_data(data)).encode(
        y=alt.Y(
            "row:N",
            sort=rows,
            title=row_title if axis_titles else None,
            axis=alt.Axis(labelLimit=1000, labelFont=FONT, titleFont=FONT),
        ),
        x=alt.X(
            "column:N",
            sort=columns,
            title=column_title if axis_titles else None,
            axis=alt.Axis(labelLimit=1000, labelAngle=-30, labelFont=FONT, titleFont=FONT),
        ),
        href=alt.Href("href:N"),
        tooltip=_tooltip(
            alt.Tooltip("row:N", title=row_title), alt.Tooltip("column:N", title=column_title)
        ),
    )
    rects = base.mark_rect(stroke="white", strokeWidth=1, aria=False).encode(
        color=alt.Color(
            "value:Q",
            scale=alt.Scale(scheme="blues", domain=[0, max(top, 1)]),
            legend=None,
        )
    )
    labels = base.mark_text(fontSize=11, font=FONT, aria=False).encode(
        text=alt.Text("value:Q", format="d"),
        color=alt.condition(
            f"datum.value > {max(top, 1) / 2}", alt.value("white"), alt.value("#111111")
        ),
    )
    chart = (
        alt.layer(rects, labels)
        .properties(
            width=max(120, 56 * len(columns)),
            height=max(60, 28 * len(rows)),
            background="white",
            padding=8,
        )
        .configure_view(stroke=None)
    )
    spec: dict[str, Any] = chart.to_dict()
    return spec


def to_svg(spec: dict[str, Any]) -> str:
    """The raw SVG vl-convert draws (use :func:`standalone_svg` or :func:`inline_svg` on it)."""
    return str(vlc.vegalite_to_svg(spec))


def to_png(spec: dict[str, Any]) -> bytes:
    return bytes(vlc.vegalite_to_png(spec, scale=2))


def single_weight(node: Any) -> Any:
    """``node`` with every bold font weight made normal.

    vl-convert's PDF writer orders its font objects non-deterministically when a drawing
    embeds more than one font (regular and bold); with one font its output is stable.
    """
    if isinstance(node, dict):
        return {
            k: ("normal" if k.endswith("ontWeight") and v == "bold" else single_weight(v))
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [single_weight(v) for v in node]
    return node


def to_pdf(spec: dict[str, Any]) -> bytes:
    """PDF of a spec, drawn in one font weight so that the same spec gives the same bytes."""
    return bytes(vlc.vegalite_to_pdf(single_weight(spec)))


def spec_json(spec: dict[str, Any]) -> str:
    """Canonical JSON text of a Vega-Lite spec (sorted keys: same spec, same bytes)."""
    return json.dumps(spec, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


@dataclass(frozen=True)
class FigureExport:
    """One figure: its Vega-Lite spec and the renderings written next to the report."""

    name: str
    title: str
    spec: dict[str, Any]
    svg: str  # raw vl-convert SVG
    png: bytes
    vegalite: str


def export(name: str, title: str, spec: dict[str, Any]) -> FigureExport:
    return FigureExport(
        name=name,
        title=title,
        spec=spec,
        svg=to_svg(spec),
        png=to_png(spec),
        vegalite=spec_json(spec),
    )


_ID_ATTR = re.compile(r'\bid="([^"]+)"')
# vl-convert resolves hrefs against its loader's base URL; only the fragment is ours
_MARK_LINK = re.compile(r'<a xlink:href="[^"#]*#count=([^"]+)">((?:<text\b[^>]*>([^<]*)</text>)?)')
_ANY_LINK = re.compile(r'<a xlink:href="(?![^"]*#count=)[^"]*">')
_GROUP_ROLE = re.compile(r'<g class="mark-group role-(axis|legend|title)"')


def standalone_svg(svg: str, report_href: str = "index.html") -> str:
    """An exported SVG file: mark links point at the count in the report next to it."""

    def link(m: re.Match[str]) -> str:
        return f'<a xlink:href="{report_href}#count={m.group(1)}">{m.group(2)}'

    svg = _MARK_LINK.sub(link, svg)
    return _ANY_LINK.sub("<a>", svg)


def inline_svg(svg: str, prefix: str, title: str) -> str:
    """Make a vl-convert SVG safe and auditable inline in the report.

    * Element ids (clip paths, gradients) get ``prefix`` so two inlined figures cannot capture
      each other's ``url(#…)`` references.
    * A mark linked to ``#count=<id>`` becomes a click-through: a text mark showing just a
      number gets ``data-count-id`` (so the guard checks it against the ledger), any other
      mark (a bar, a cell, a labelled line) ``data-count-ref``; other links are dropped.
    * Axes, legends and titles are marked ``data-literal``: scale ticks are not counts.
    * The root gets ``role="img"`` and a ``<title>``.
    """
    ids = sorted(set(_ID_ATTR.findall(svg)), key=len, reverse=True)
    for old in ids:
        new = f"{prefix}-{old}"
        svg = svg.replace(f'id="{old}"', f'id="{new}"')
        svg = svg.replace(f"url(#{old})", f"url(#{new})")
        svg = svg.replace(f'href="#{old}"', f'href="#{new}"')
    svg = re.sub(r"^<\?xml[^>]*>\s*", "", svg)

    def link(m: re.Match[str]) -> str:
        cid = html.escape(m.group(1), quote=True)
        number = m.group(3) is not None and m.group(3).strip().isdigit()
        attr = "data-count-id" if number else "data-count-ref"
        return f'<a href="#count={cid}" class="mark-link" {attr}="{cid}">{m.group(2)}'

    svg = _MARK_LINK.sub(link, svg)
    svg = _ANY_LINK.sub("<a>", svg)
    svg = _GROUP_ROLE.sub(
        lambda m: f'<g data-literal="figure {m.group(1)}" class="mark-group role-{m.group(1)}"',
        svg,
    )
    svg = re.sub(r'(<svg\b[^>]*?)\s+aria-label="[^"]*"', r"\1", svg, count=1)
    label = html.escape(title, quote=True)
    head = svg.index(">", svg.index("<svg")) + 1
    return (
        svg[:head].replace("<svg ", f'<svg role="img" aria-labelledby="{prefix}-title" ', 1)
        + f'<title id="{prefix}-title" data-literal="figure title">{label}</title>'
        + svg[head:]
    )


# -- the report's figures, from ledger counts ------------------------------------------------


def search_ids(ledger: Ledger, config: dict[str, Any]) -> list[tuple[str, str]]:
    """(search id, display name) for every search with a ledger count, in config order."""
    out: list[tuple[str, str]] = []
    names = search_labels(config.get("searches") or [])
    for sid, name in names.items():
        if ledger.has(f"database_results.{sid}"):
            out.append((sid, name))
    known = {sid for sid, _ in out}
    for cid in sorted(ledger.with_prefix("database_results.")):
        sid = cid[len("database_results.") :]
        if sid not in known:
            out.append((sid, ledger.row(cid).label or sid))
    return out


def records_per_source(ledger: Ledger, config: dict[str, Any]) -> dict[str, Any] | None:
    """Records identified per database search (``database_results.<search id>``)."""
    sources = search_ids(ledger, config)
    if not sources:
        return None
    return bar_chart(
        [Bar(label=name, count_id=f"database_results.{sid}") for sid, name in sources],
        ledger,
        axis_title="Records identified",
        item_title="Source",
    )


def overlap_key(a: str, b: str) -> str:
    first, second = sorted((a, b))
    return f"sources.overlap.{first}.{second}"


def source_overlap(ledger: Ledger, config: dict[str, Any]) -> dict[str, Any] | None:
    """Sources × sources: distinct studies found by each (diagonal) and by both (off it).

    Needs the ``sources.*`` counts (:mod:`.sources`); ``None`` when the ledger lacks them.
    """
    sources = [
        (sid, name)
        for sid, name in search_ids(ledger, config)
        if ledger.has(f"sources.studies.{sid}")
    ]
    if len(sources) < 2:
        return None
    cells: list[Cell] = []
    for a, name_a in sources:
        for b, name_b in sources:
            cid = f"sources.studies.{a}" if a == b else overlap_key(a, b)
            if ledger.has(cid):
                cells.append(Cell(row=name_a, column=name_b, count_id=cid))
    names = [name for _, name in sources]
    # rows and columns are the same searches, named in full: no axis titles beside them
    return heatmap_chart(
        cells,
        ledger,
        row_title="Source",
        column_title="Source",
        rows=names,
        columns=names,
        axis_titles=False,
    )


def characteristics_chart(
    groups: list[tuple[str, list[tuple[str, str]]]], ledger: Ledger
) -> dict[str, Any] | None:
    """Studies per charted value, one colour per charting field.

    ``groups``: (field label, [(value label, count id), ...]) in display order.
    """
    bars = [
        Bar(label=f"{field}: {label}", count_id=cid, group=field)
        for field, rows in groups
        for label, cid in rows
    ]
    if not bars:
        return None
    return bar_chart(
        bars,
        ledger,
        axis_title="Included studies",
        group_title="Characteristic",
        item_title="Charted value",
    )


def themes_chart(themes: list[tuple[str, str, str]], ledger: Ledger) -> dict[str, Any] | None:
    """Studies per theme (``theme.<slug>.n_studies``), coloured by overarching theme.

    ``themes``: (overarching theme, theme, count id) in display order.
    """
    bars = [Bar(label=theme, count_id=cid, group=over) for over, theme, cid in themes]
    if not bars:
        return None
    return bar_chart(
        bars,
        ledger,
        axis_title="Studies",
        group_title="Overarching theme",
        item_title="Theme",
    )


def matrix_chart(frame: pl.DataFrame, ledger: Ledger) -> dict[str, Any] | None:
    """A heatmap from a frame of ``row``, ``column``, ``count_id`` (plus optional
    ``row_title``/``column_title`` columns): the hook for the evidence map and the code
    co-occurrence matrix, whose count ids other stages put in the ledger."""
    if frame.is_empty():
        return None
    cells = [
        Cell(row=str(r["row"]), column=str(r["column"]), count_id=str(r["count_id"]))
        for r in frame.iter_rows(named=True)
    ]
    first = frame.row(0, named=True)
    return heatmap_chart(
        cells,
        ledger,
        row_title=str(first.get("row_title") or ""),
        column_title=str(first.get("column_title") or ""),
    )
