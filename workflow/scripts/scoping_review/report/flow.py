"""The PRISMA 2020 flow diagram, built from the ledger and the box vocabulary.

:func:`build_flow` turns ``resources/prisma/flow_boxes.yaml`` (parsed) and the ledger into a
:class:`Flow` of boxes whose lines are count ids. The same model feeds both renderings:

* :func:`flow_view` — plain strings for the HTML/CSS box layout, whose numbers the template
  prints with ``n(count_id)``;
* :func:`flow_spec` — an Altair/Vega-Lite drawing whose box texts read values from the ledger,
  exported to SVG, PNG and PDF with vl-convert (:func:`export_flow`).

Two templates: the new-review one (``flow_boxes.yaml``) and the updated-review one
(``flow_boxes_updated.yaml``, with the previous-studies arm), chosen by :func:`template_file`.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import Any

import altair as alt
from markupsafe import Markup, escape

from ..normalize import slug
from .counts import Ledger, literal
from .figures import Renderer, inline_data, spec_json, standalone_svg
from .figures.charts import VALIDATE_SPECS
from .labels import search_labels

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
    # (from box id, to box id): the updated-review template's previous-studies arrow
    previous_arm: tuple[str, str] | None = None

    @property
    def updated(self) -> bool:
        """True for the updated-review template (it has a previous-studies column)."""
        return any(b.column == "previous" for b in self.boxes)

    def box_by_id(self, box_id: str) -> FlowBox:
        for b in self.boxes:
            if b.box_id == box_id:
                return b
        raise KeyError(f"flow diagram has no box {box_id!r}")

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
    """``"MEDLINE (Ovid)"`` for a search id, if configured (two searches of one database are
    told apart by round, date or id: :func:`.labels.search_labels`)."""
    labels = search_labels(searches)
    for search in searches:
        sid = str(search.get("id"))
        if key == sid or key == slug(sid):
            return labels[sid]
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
            label = ledger.head(cid).label or key
            # the update arm's box says it is the update's: its lines need not say it again
            label = label.removesuffix(" (this update)")
        ranked.append((order, position, FlowLine(label=label, count_id=cid, indent=True)))
    # configured parts in config order (criteria, searches), the rest largest first
    return [line for _, _, line in sorted(ranked, key=lambda t: (t[0], t[1]))]


NEW_REVIEW = "flow_boxes.yaml"
UPDATED_REVIEW = "flow_boxes_updated.yaml"


def template_file(ledger: Ledger) -> str:
    """Which PRISMA 2020 template the ledger calls for (a file in ``resources/prisma``).

    The updated-review template (previous-studies arm) when an earlier version of the review
    included studies (``previous_studies`` above zero), else the new-review template.
    """
    return UPDATED_REVIEW if ledger.positive("previous_studies") else NEW_REVIEW


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
            present = entry.get("show_if_present")
            if present is not None and not ledger.has(str(present)):
                continue
            ledger.head(cid, f"flow box {spec['id']!r}")
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
    arm = vocabulary.get("previous_arm")
    flow = Flow(
        phases=phases,
        boxes=tuple(boxes),
        previous_arm=(str(arm["from"]), str(arm["to"])) if arm else None,
    )
    if flow.previous_arm:
        for box_id in flow.previous_arm:
            flow.box_by_id(box_id)
    return flow


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
    """Strings only (no numbers) for the template: grid placement as CSS, lines as count ids.

    For the updated-review template each row also has ``previous`` (the previous-studies box,
    if in that row) and ``arm`` (``"line"`` where the previous-studies arrow passes down,
    ``"elbow"`` where it turns into the total box).
    """
    arm_rows: dict[int, str] = {}
    if flow.previous_arm:
        start = flow.box_by_id(flow.previous_arm[0]).row
        end = flow.box_by_id(flow.previous_arm[1]).row
        arm_rows = {r: "line" for r in range(start + 1, end)}
        arm_rows[end] = "elbow"
    rows: list[dict[str, Any]] = []
    for r in range(flow.n_rows):
        main, side = flow.box(r, "main"), flow.box(r, "side")
        previous = flow.box(r, "previous")
        rows.append(
            {
                "style": f"grid-row: {r + 1}",
                "main": _box_view(main) if main else None,
                "side": _box_view(side) if side else None,
                "previous": _box_view(previous) if previous else None,
                "arm": arm_rows.get(r, ""),
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
    return {
        "rows": rows,
        "phases": phases,
        "updated": flow.updated,
        "template": "updated review" if flow.updated else "new review",
    }


# -- Altair drawing ---------------------------------------------------------------------------

WIDTH = 780
PHASE_X = (0, 26)
MAIN_X = (40, 380)
SIDE_X = (430, 776)
LINE_H = 15
PAD = 9
GAP = 32
TOP = 2
CHARS = 54  # wrap width in characters at the font size below (main column width)
FONT_SIZE = 11
# updated-review template: a previous-studies column left of the main one
UPDATED_WIDTH = 1000
UPDATED_COLUMNS = {"previous": (40, 250), "main": (290, 620), "side": (670, 996)}


def _columns(flow: Flow) -> tuple[int, dict[str, tuple[int, int]]]:
    if flow.updated:
        return UPDATED_WIDTH, UPDATED_COLUMNS
    return WIDTH, {"main": MAIN_X, "side": SIDE_X}


def _chars(span: tuple[int, int]) -> int:
    return max(20, round(CHARS * (span[1] - span[0]) / (MAIN_X[1] - MAIN_X[0])))


def _box_text(
    box: FlowBox, ledger: Ledger, chars: int = CHARS
) -> list[tuple[str, bool, bool, str]]:
    """(text, bold, indent, count id or "") per drawn line, wrapped to the box width."""
    out: list[tuple[str, bool, bool, str]] = []
    if box.heading:
        out.extend((t, True, False, "") for t in textwrap.wrap(box.heading, chars))
    for line in box.lines:
        # non-breaking spaces keep "(n = 12)" on one line when the label wraps
        text = f"{line.label} (n\u00a0=\u00a0{ledger.display(line.count_id)})"
        width = chars - 3 if line.indent else chars
        wrapped = textwrap.wrap(text, width) or [""]
        out.extend((t, False, line.indent, line.count_id) for t in wrapped)
    return out


def note_lines(note: str, width: int) -> list[str]:
    """The review's design note (what is made up, in the bundled example) wrapped to a
    diagram ``width`` wide, for a caption under it: a PNG, SVG or PDF of the diagram travels
    without the report around it."""
    text = " ".join(note.split())
    if not text:
        return []
    return textwrap.wrap(f"Design note. {text}", max(40, round(width / ((FONT_SIZE - 1) * 0.56))))


def flow_spec(flow: Flow, ledger: Ledger, note: str = "") -> dict[str, Any]:
    """The Vega-Lite spec of the flow diagram (a plain, JSON-serialisable dict).

    Each text line links to ``#count=<count_id>`` of the count it shows. A ``note`` (the
    review's design note) is drawn as a caption under the boxes (a title, so the report's
    inlined copy marks it ``data-literal``, like any figure title).
    """
    width, columns = _columns(flow)
    order = [c for c in ("previous", "main", "side") if c in columns]
    boxes: list[dict[str, Any]] = []
    texts: list[dict[str, Any]] = []
    rules: list[dict[str, Any]] = []
    heads: list[dict[str, Any]] = []
    row_top: dict[int, int] = {}
    row_bottom: dict[int, int] = {}
    y = TOP
    for r in range(flow.n_rows):
        cells = [b for b in (flow.box(r, c) for c in order) if b is not None]
        content = {b.column: _box_text(b, ledger, _chars(columns[b.column])) for b in cells}
        height = 2 * PAD + LINE_H * max((len(c) for c in content.values()), default=1)
        row_top[r], row_bottom[r] = y, y + height
        for b in cells:
            x0, x1 = columns[b.column]
            boxes.append({"x": x0, "x2": x1, "y": y, "y2": y + height, "box": b.box_id})
            for i, (text, bold, indent, cid) in enumerate(content[b.column]):
                texts.append(
                    {
                        "x": x0 + PAD + (14 if indent else 0),
                        "y": y + PAD + i * LINE_H,
                        "text": text,
                        "weight": "bold" if bold else "normal",
                        "count_id": cid,
                        "href": f"#count={cid}" if cid else None,
                    }
                )
        main = flow.box(r, "main")
        if main is not None and flow.box(r, "side") is not None:
            mid = y + height // 2
            side_x = columns["side"]
            rules.append({"x": columns["main"][1], "x2": side_x[0] - 3, "y": mid, "y2": mid})
            heads.append({"x": side_x[0] - 5, "y": mid, "shape": "triangle-right"})
        y += height + GAP
    height_total = y - GAP + TOP
    main_x = columns["main"]
    cx = (main_x[0] + main_x[1]) // 2
    for r in range(flow.n_rows - 1):
        if flow.box(r, "main") and flow.box(r + 1, "main"):
            rules.append({"x": cx, "x2": cx, "y": row_bottom[r], "y2": row_top[r + 1] - 3})
            heads.append({"x": cx, "y": row_top[r + 1] - 5, "shape": "triangle-down"})
    if flow.previous_arm:
        src, dst = (flow.box_by_id(i) for i in flow.previous_arm)
        px = sum(columns[src.column]) // 2
        mid = (row_top[dst.row] + row_bottom[dst.row]) // 2
        rules.append({"x": px, "x2": px, "y": row_bottom[src.row], "y2": mid})
        rules.append({"x": px, "x2": columns[dst.column][0] - 3, "y": mid, "y2": mid})
        heads.append({"x": columns[dst.column][0] - 5, "y": mid, "shape": "triangle-right"})
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

    xs = alt.Scale(domain=[0, width], nice=False, zero=False)
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
                .encode(x=xq("x"), y=yq("y"), text="text:N", href=alt.Href("href:N"))
            )
    chart = alt.layer(*layers).properties(
        width=width, height=height_total, background="white", padding=8
    )
    caption = note_lines(note, width)
    if caption:
        chart = chart.properties(
            title=alt.TitleParams(
                caption,
                orient="bottom",
                anchor="start",
                font=FONT,
                fontSize=FONT_SIZE - 1,
                fontWeight="normal",  # no italic: a second font makes the PDF's bytes vary
                color="#444444",
                offset=12,
            )
        )
    chart = chart.configure_view(stroke=None)
    spec: dict[str, Any] = chart.to_dict(validate=VALIDATE_SPECS)
    return spec


@dataclass(frozen=True)
class FlowExports:
    svg: str  # standalone: line links point at index.html#count=<id>
    png: bytes
    pdf: bytes
    vegalite: str
    raw_svg: str  # as vl-convert drew it, for inlining (figures.inline_svg)


def export_flow(spec: dict[str, Any], renderer: Renderer | None = None) -> FlowExports:
    """SVG, PNG (2x), PDF and Vega-Lite JSON of the flow diagram; deterministic. With
    ``renderer``, drawn through it (each format once, reused when the spec is unchanged)."""
    draw = renderer or Renderer()
    raw = draw.svg(spec)
    return FlowExports(
        svg=standalone_svg(raw, "index.html"),
        png=draw.png(spec),
        pdf=draw.pdf(spec),
        vegalite=spec_json(spec),
        raw_svg=raw,
    )
