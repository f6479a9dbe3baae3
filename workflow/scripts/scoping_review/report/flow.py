"""The PRISMA 2020 flow diagram, built from the ledger and the box vocabulary.

:func:`build_flow` turns ``resources/prisma/flow_boxes.yaml`` (parsed) and the ledger into a
:class:`Flow` of boxes whose lines are count ids. The same model feeds both renderings:

* :func:`flow_view` — plain strings for the HTML/CSS box layout, whose numbers the template
  prints with ``n(count_id)``;
* :func:`flow_spec` — an Altair/Vega-Lite drawing whose box texts read values from the ledger,
  exported to SVG and PNG with vl-convert (:func:`export_flow`).
"""

from __future__ import annotations

import json
import textwrap
from dataclasses import dataclass
from typing import Any

import altair as alt
import vl_convert as vlc
from markupsafe import Markup, escape

from .counts import Ledger, format_count, literal, slug
from .figures import inline_data

FONT = "DejaVu Sans, Liberation Sans, Arial, sans-serif"


@dataclass(frozen=True)
class FlowLine:
    label: str
    count_id: str
    indent: bool = False


@dataclass(frozen=True)
class FlowBox:
    box_id: str
    phase: str
    row: int
    column: str  # "main" or "side"
    heading: str | None
    lines: tuple[FlowLine, ...]


@dataclass(frozen=True)
class FlowPhase:
    phase_id: str
    label: str


@dataclass(frozen=True)
class Flow:
    phases: tuple[FlowPhase, ...]
    boxes: tuple[FlowBox, ...]

    @property
    def n_rows(self) -> int:
        return 1 + max((b.row for b in self.boxes), default=-1)

    def box(self, row: int, column: str) -> FlowBox | None:
        for b in self.boxes:
            if b.row == row and b.column == column:
                return b
        return None

    def count_ids(self) -> list[str]:
        return [line.count_id for b in self.boxes for line in b.lines]


def criterion_label(key: str, criteria: list[dict[str, Any]]) -> str | None:
    """``"E1: Not about adults"`` for a reason code as written in a count id, if configured."""
    for crit in criteria:
        code = str(crit.get("code", ""))
        if key == code or key.lower() == code.lower() or key == slug(code):
            label = str(crit.get("label", "")).strip()
            return f"{code}: {label}" if label else code
    return None


def search_label(key: str, searches: list[dict[str, Any]]) -> str | None:
    """``"MEDLINE (Ovid)"`` for a search id, if configured."""
    for search in searches:
        if key == str(search.get("id")) or key == slug(str(search.get("id"))):
            name = str(search.get("database") or search.get("id"))
            platform = search.get("platform")
            return f"{name} ({platform})" if platform else name
    return None


def _breakdown(spec: dict[str, Any], ledger: Ledger, config: dict[str, Any]) -> list[FlowLine]:
    prefix = str(spec["prefix"])
    source = str(spec.get("label_from", "ledger"))
    criteria = list(config.get("criteria") or [])
    searches = list(config.get("searches") or [])
    ranked: list[tuple[int, int, FlowLine]] = []
    for position, cid in enumerate(ledger.with_prefix(prefix)):  # largest first
        key = cid[len(prefix) :]
        label: str | None = None
        order = len(criteria) + len(searches)
        if source == "criteria":
            label = criterion_label(key, criteria)
            order = next((i for i, c in enumerate(criteria) if criterion_label(key, [c])), order)
        elif source == "searches":
            label = search_label(key, searches)
            order = next((i for i, s in enumerate(searches) if search_label(key, [s])), order)
        if label is None:
            label = ledger.row(cid).label or key
        ranked.append((order, position, FlowLine(label=label, count_id=cid, indent=True)))
    # configured parts in config order (criteria, searches), the rest largest first
    return [line for _, _, line in sorted(ranked, key=lambda t: (t[0], t[1]))]


def build_flow(vocabulary: dict[str, Any], ledger: Ledger, config: dict[str, Any]) -> Flow:
    """The flow diagram's boxes, with every line bound to a ledger count id.

    Raises :class:`~.counts.MissingCountError` for a box line whose count the ledger lacks.
    """
    phases = tuple(
        FlowPhase(phase_id=str(p["id"]), label=str(p["label"])) for p in vocabulary["phases"]
    )
    boxes: list[FlowBox] = []
    for spec in vocabulary["boxes"]:
        lines: list[FlowLine] = []
        for entry in spec.get("lines") or []:
            cid = str(entry["count"])
            gate = entry.get("show_if_positive")
            if gate is not None and not ledger.positive(str(gate)):
                continue
            ledger.row(cid, f"flow box {spec['id']!r}")
            lines.append(FlowLine(label=str(entry["label"]), count_id=cid))
        if spec.get("breakdown"):
            lines[1:1] = _breakdown(spec["breakdown"], ledger, config)
        boxes.append(
            FlowBox(
                box_id=str(spec["id"]),
                phase=str(spec["phase"]),
                row=int(spec["row"]),
                column=str(spec["column"]),
                heading=str(spec["heading"]) if spec.get("heading") else None,
                lines=tuple(lines),
            )
        )
    return Flow(phases=phases, boxes=tuple(boxes))


# -- HTML view -------------------------------------------------------------------------------


def _line_label(line: FlowLine) -> Markup:
    """Labels come from config or the ledger; one with digits (a criterion code) is literal."""
    if any(ch.isdigit() for ch in line.label):
        return literal(line.label, "label")
    return escape(line.label)


def _box_view(box: FlowBox) -> dict[str, Any]:
    return {
        "id": box.box_id,
        "heading": box.heading or "",
        "lines": [
            {"label": _line_label(line), "count_id": line.count_id, "indent": line.indent}
            for line in box.lines
        ],
    }


def flow_view(flow: Flow) -> dict[str, Any]:
    """Strings only (no numbers) for the template: grid placement as CSS, lines as count ids."""
    rows: list[dict[str, Any]] = []
    for r in range(flow.n_rows):
        main, side = flow.box(r, "main"), flow.box(r, "side")
        rows.append(
            {
                "style": f"grid-row: {r + 1}",
                "main": _box_view(main) if main else None,
                "side": _box_view(side) if side else None,
                "down": r + 1 < flow.n_rows,
            }
        )
    phases: list[dict[str, Any]] = []
    for phase in flow.phases:
        prows = sorted({b.row for b in flow.boxes if b.phase == phase.phase_id})
        if not prows:
            continue
        span = prows[-1] - prows[0] + 1
        phases.append(
            {
                "id": phase.phase_id,
                "label": phase.label,
                "style": f"grid-row: {prows[0] + 1} / span {span}",
            }
        )
    return {"rows": rows, "phases": phases}


# -- Altair drawing ---------------------------------------------------------------------------

WIDTH = 780
PHASE_X = (0, 26)
MAIN_X = (40, 380)
SIDE_X = (430, 776)
LINE_H = 15
PAD = 9
GAP = 32
TOP = 2
CHARS = 54  # wrap width in characters at the font size below
FONT_SIZE = 11


def _box_text(box: FlowBox, ledger: Ledger) -> list[tuple[str, bool, bool]]:
    """(text, bold, indent) per drawn line, wrapped to the box width."""
    out: list[tuple[str, bool, bool]] = []
    if box.heading:
        out.extend((t, True, False) for t in textwrap.wrap(box.heading, CHARS))
    for line in box.lines:
        # non-breaking spaces keep "(n = 12)" on one line when the label wraps
        text = f"{line.label} (n\u00a0=\u00a0{format_count(ledger.value(line.count_id))})"
        width = CHARS - 3 if line.indent else CHARS
        wrapped = textwrap.wrap(text, width) or [""]
        out.extend((t, False, line.indent) for t in wrapped)
    return out


def flow_spec(flow: Flow, ledger: Ledger) -> dict[str, Any]:
    """The Vega-Lite spec of the flow diagram (a plain, JSON-serialisable dict)."""
    boxes: list[dict[str, Any]] = []
    texts: list[dict[str, Any]] = []
    rules: list[dict[str, Any]] = []
    heads: list[dict[str, Any]] = []
    row_top: dict[int, int] = {}
    row_bottom: dict[int, int] = {}
    y = TOP
    for r in range(flow.n_rows):
        cells = [b for b in (flow.box(r, "main"), flow.box(r, "side")) if b is not None]
        content = {b.column: _box_text(b, ledger) for b in cells}
        height = 2 * PAD + LINE_H * max((len(c) for c in content.values()), default=1)
        row_top[r], row_bottom[r] = y, y + height
        for b in cells:
            x0, x1 = MAIN_X if b.column == "main" else SIDE_X
            boxes.append({"x": x0, "x2": x1, "y": y, "y2": y + height, "box": b.box_id})
            for i, (text, bold, indent) in enumerate(content[b.column]):
                texts.append(
                    {
                        "x": x0 + PAD + (14 if indent else 0),
                        "y": y + PAD + i * LINE_H,
                        "text": text,
                        "weight": "bold" if bold else "normal",
                    }
                )
        main = flow.box(r, "main")
        if main is not None and flow.box(r, "side") is not None:
            mid = y + height // 2
            rules.append({"x": MAIN_X[1], "x2": SIDE_X[0] - 3, "y": mid, "y2": mid})
            heads.append({"x": SIDE_X[0] - 5, "y": mid, "shape": "triangle-right"})
        y += height + GAP
    height_total = y - GAP + TOP
    cx = (MAIN_X[0] + MAIN_X[1]) // 2
    for r in range(flow.n_rows - 1):
        if flow.box(r, "main") and flow.box(r + 1, "main"):
            rules.append({"x": cx, "x2": cx, "y": row_bottom[r], "y2": row_top[r + 1] - 3})
            heads.append({"x": cx, "y": row_top[r + 1] - 5, "shape": "triangle-down"})
    bands: list[dict[str, Any]] = []
    for phase in flow.phases:
        prows = sorted({b.row for b in flow.boxes if b.phase == phase.phase_id})
        if prows:
            y0, y1 = row_top[prows[0]], row_bottom[prows[-1]]
            bands.append(
                {
                    "x": PHASE_X[0],
                    "x2": PHASE_X[1],
                    "y": y0,
                    "y2": y1,
                    "label": phase.label,
                    "cx": (PHASE_X[0] + PHASE_X[1]) / 2,
                    "cy": (y0 + y1) / 2,
                }
            )

    xs = alt.Scale(domain=[0, WIDTH], nice=False, zero=False)
    ys = alt.Scale(domain=[0, height_total], nice=False, zero=False, reverse=True)

    def xq(field: str) -> alt.X:
        return alt.X(f"{field}:Q", scale=xs, axis=None)

    def yq(field: str) -> alt.Y:
        return alt.Y(f"{field}:Q", scale=ys, axis=None)

    band_layer = (
        alt.Chart(inline_data(bands))
        .mark_rect(fill="#c9dcf0", stroke="#5b7fa6", strokeWidth=1, cornerRadius=3)
        .encode(x=xq("x"), x2="x2", y=yq("y"), y2="y2")
    )
    band_text = (
        alt.Chart(inline_data(bands))
        .mark_text(angle=270, fontWeight="bold", fontSize=FONT_SIZE + 1, font=FONT)
        .encode(x=xq("cx"), y=yq("cy"), text="label:N")
    )
    box_layer = (
        alt.Chart(inline_data(boxes))
        .mark_rect(fill="white", stroke="#222222", strokeWidth=1)
        .encode(x=xq("x"), x2="x2", y=yq("y"), y2="y2")
    )
    layers: list[alt.Chart] = [band_layer, band_text, box_layer]
    if rules:
        layers.append(
            alt.Chart(inline_data(rules))
            .mark_rule(color="#222222", strokeWidth=1.2)
            .encode(x=xq("x"), x2="x2", y=yq("y"), y2="y2")
        )
        layers.append(
            alt.Chart(inline_data(heads))
            .mark_point(filled=True, color="#222222", size=45, opacity=1)
            .encode(x=xq("x"), y=yq("y"), shape=alt.Shape("shape:N", scale=None, legend=None))
        )
    for weight in ("bold", "normal"):
        rows = [t for t in texts if t["weight"] == weight]
        if rows:
            layers.append(
                alt.Chart(inline_data(rows))
                .mark_text(
                    align="left",
                    baseline="top",
                    fontSize=FONT_SIZE,
                    fontWeight=weight,
                    font=FONT,
                    color="#111111",
                )
                .encode(x=xq("x"), y=yq("y"), text="text:N")
            )
    chart = (
        alt.layer(*layers)
        .properties(width=WIDTH, height=height_total, background="white", padding=8)
        .configure_view(stroke=None)
    )
    spec: dict[str, Any] = chart.to_dict()
    return spec


@dataclass(frozen=True)
class FlowExports:
    svg: str
    png: bytes
    vegalite: str


def spec_json(spec: dict[str, Any]) -> str:
    """Canonical JSON text of a Vega-Lite spec (sorted keys: same spec, same bytes)."""
    return json.dumps(spec, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def export_flow(spec: dict[str, Any]) -> FlowExports:
    """SVG, PNG (2x) and Vega-Lite JSON of the flow diagram; deterministic."""
    return FlowExports(
        svg=str(vlc.vegalite_to_svg(spec)),
        png=bytes(vlc.vegalite_to_png(spec, scale=2)),
        vegalite=spec_json(spec),
    )
