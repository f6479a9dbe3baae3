"""Vega-Lite chart specs (fixed fonts and palette): code prevalence bars, ledger-bound bar
charts and heatmaps.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import altair as alt
import polars as pl

from ...normalize import slug
from ..counts import Ledger

FONT = "DejaVu Sans, Liberation Sans, Arial, sans-serif"
# Altair can check every spec against the Vega-Lite JSON schema as it builds it, a third of
# the time spent building the report's specs. The specs come from this fixed code, so the
# report skips the check and the unit tests make it (tests/unit/test_report_figure_cache.py
# validates every figure and the flow diagram of the sample reports).
VALIDATE_SPECS = False
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
    row = ledger.head(count_id, context)
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
    spec: dict[str, Any] = chart.to_dict(validate=VALIDATE_SPECS)
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
    spec: dict[str, Any] = chart.to_dict(validate=VALIDATE_SPECS)
    return spec
