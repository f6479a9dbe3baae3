"""Synthesis figures (Altair → SVG through vl-convert), values read from ledger counts.

The prevalence table supplies only *which* codes exist, their theme and whether they were
kept; every bar length is the ledger count ``code.<slug>.n_segments`` or
``code.<slug>.n_studies``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import altair as alt
import polars as pl
import vl_convert as vlc

from .counts import Ledger, slug

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
    data: list[dict[str, Any]] = []
    for b in bars:
        cid = f"code.{slug(b.code)}.{measure}"
        data.append(
            {
                "code": b.code,
                "theme": b.theme,
                "value": ledger.value(cid, f"figure of {measure} for code {b.code!r}"),
            }
        )
    order = [b.code for b in bars]
    themes = theme_order(bars)
    colours = [PALETTE[i % len(PALETTE)] for i in range(len(themes))]
    base = alt.Chart(inline_data(data)).encode(
        y=alt.Y(
            "code:N",
            sort=order,
            title=None,
            axis=alt.Axis(labelLimit=320, labelFontSize=12, labelFont=FONT),
        ),
        x=alt.X(
            "value:Q",
            title=axis_title,
            axis=alt.Axis(tickMinStep=1, format="d", titleFont=FONT, labelFont=FONT),
        ),
    )
    bars_layer = base.mark_bar(height={"band": 0.75}).encode(
        color=alt.Color(
            "theme:N",
            sort=themes,
            scale=alt.Scale(domain=themes or ["-"], range=colours or ["#999999"]),
            legend=alt.Legend(
                title="Theme",
                orient="bottom",
                columns=2,
                labelLimit=360,
                labelFont=FONT,
                titleFont=FONT,
            ),
        )
    )
    labels = base.mark_text(align="left", dx=3, fontSize=11, font=FONT, color="#222222").encode(
        text=alt.Text("value:Q", format="d")
    )
    height = max(60, 24 * len(bars))
    chart = (
        alt.layer(bars_layer, labels)
        .properties(width=560, height=height, background="white", padding=8)
        .configure_view(stroke=None)
    )
    spec: dict[str, Any] = chart.to_dict()
    return spec


def to_svg(spec: dict[str, Any]) -> str:
    return str(vlc.vegalite_to_svg(spec))


_ID_ATTR = re.compile(r'\bid="([^"]+)"')


def inline_svg(svg: str, prefix: str, title: str) -> str:
    """Make a vl-convert SVG safe to inline next to others.

    Element ids (clip paths, gradients) get ``prefix`` so two inlined figures cannot capture
    each other's ``url(#…)`` references, and the root gets ``role="img"`` and ``aria-label``.
    """
    ids = sorted(set(_ID_ATTR.findall(svg)), key=len, reverse=True)
    for old in ids:
        new = f"{prefix}-{old}"
        svg = svg.replace(f'id="{old}"', f'id="{new}"')
        svg = svg.replace(f"url(#{old})", f"url(#{new})")
        svg = svg.replace(f'href="#{old}"', f'href="#{new}"')
    svg = re.sub(r"^<\?xml[^>]*>\s*", "", svg)
    label = title.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
    return svg.replace("<svg ", f'<svg role="img" aria-label="{label}" ', 1)


# -- characteristics, co-occurrence and evidence map (values from ledger counts) --------------


def characteristic_chart(
    rows: list[tuple[str, str]], ledger: Ledger, axis_title: str
) -> dict[str, Any]:
    """Horizontal bars of studies per charted value; ``rows`` are ``(value, count_id)``."""
    values = [(v, ledger.value(cid, f"figure of charted value {v!r}")) for v, cid in rows]
    data: list[dict[str, Any]] = [{"value": v, "n": n} for v, n in values]
    order = [v for v, _ in sorted(values, key=lambda p: (-p[1], p[0]))]
    base = alt.Chart(inline_data(data)).encode(
        y=alt.Y(
            "value:N",
            sort=order,
            title=None,
            axis=alt.Axis(labelLimit=320, labelFontSize=12, labelFont=FONT),
        ),
        x=alt.X(
            "n:Q",
            title=axis_title,
            axis=alt.Axis(tickMinStep=1, format="d", titleFont=FONT, labelFont=FONT),
        ),
    )
    bars = base.mark_bar(height={"band": 0.75}, color=PALETTE[0])
    labels = base.mark_text(align="left", dx=3, fontSize=11, font=FONT, color="#222222").encode(
        text=alt.Text("n:Q", format="d")
    )
    chart = (
        alt.layer(bars, labels)
        .properties(width=480, height=max(40, 22 * len(data)), background="white", padding=8)
        .configure_view(stroke=None)
    )
    spec: dict[str, Any] = chart.to_dict()
    return spec


def heatmap(
    cells: list[tuple[str, str, str]],
    ledger: Ledger,
    x_order: list[str],
    y_order: list[str],
    x_title: str,
    y_title: str,
) -> dict[str, Any]:
    """A matrix of ledger counts; ``cells`` are ``(x, y, count_id)``, empty cells left blank."""
    data = [
        {"x": x, "y": y, "n": ledger.value(cid, f"figure cell {x!r} × {y!r}")}
        for x, y, cid in cells
    ]
    base = alt.Chart(inline_data(data)).encode(
        x=alt.X(
            "x:N",
            sort=x_order,
            title=x_title,
            axis=alt.Axis(labelAngle=-45, labelLimit=220, labelFont=FONT, titleFont=FONT),
        ),
        y=alt.Y(
            "y:N",
            sort=y_order,
            title=y_title,
            axis=alt.Axis(labelLimit=320, labelFont=FONT, titleFont=FONT),
        ),
    )
    rects = base.mark_rect().encode(
        color=alt.Color(
            "n:Q",
            scale=alt.Scale(scheme="blues"),
            legend=alt.Legend(title="Studies", format="d", labelFont=FONT, titleFont=FONT),
        )
    )
    text = base.mark_text(fontSize=10, font=FONT).encode(
        text=alt.Text("n:Q", format="d"),
        color=alt.condition("datum.n > 6", alt.value("white"), alt.value("#222222")),
    )
    chart = (
        alt.layer(rects, text)
        .properties(
            width=max(120, 18 * len(x_order)),
            height=max(60, 18 * len(y_order)),
            background="white",
            padding=8,
        )
        .configure_view(stroke=None)
    )
    spec: dict[str, Any] = chart.to_dict()
    return spec
