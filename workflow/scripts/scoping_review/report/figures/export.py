"""Chart specs to SVG, PNG, PDF and JSON exports, and SVG made standalone or inlined in the page."""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from typing import Any

from .renderer import Renderer


def to_svg(spec: dict[str, Any], renderer: Renderer | None = None) -> str:
    """The raw SVG vl-convert draws (use :func:`standalone_svg` or :func:`inline_svg` on it)."""
    return (renderer or Renderer()).svg(spec)


def to_png(spec: dict[str, Any], renderer: Renderer | None = None) -> bytes:
    return (renderer or Renderer()).png(spec)


def to_pdf(spec: dict[str, Any], renderer: Renderer | None = None) -> bytes:
    """PDF of a spec, drawn in one font weight so that the same spec gives the same bytes."""
    return (renderer or Renderer()).pdf(spec)


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


def export(
    name: str, title: str, spec: dict[str, Any], renderer: Renderer | None = None
) -> FigureExport:
    """A figure's SVG, PNG and JSON; with ``renderer``, drawn (or reused) through it."""
    draw = renderer or Renderer()
    return FigureExport(
        name=name,
        title=title,
        spec=spec,
        svg=draw.svg(spec),
        png=draw.png(spec),
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
