"""Build-time guard: every number a reader can see must come from the counts ledger.

:func:`check_html` parses the rendered report with the standard library's
:class:`html.parser.HTMLParser` and fails when

* a text node outside ``<script>``/``<style>`` contains a digit and is neither inside an
  element carrying ``data-count-id`` nor inside one carrying ``data-literal``;
* an element carries a ``data-count-id`` (or ``data-denominator-id``) that the ledger lacks;
* the text of a ``data-count-id`` element is not exactly the ledger value as
  :func:`.counts.format_count` renders it for the count's unit (a decimal for a count in
  thousandths, the integer otherwise) or, with ``data-denominator-id``, the percentage
  computed from the two ledger values;
* a visible attribute (``title``, ``alt``, ``aria-label``, ``placeholder``) holds a digit
  outside a ``data-literal`` element, or an ``<ol>`` (whose markers the browser numbers)
  appears outside one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser

from .counts import format_count, format_pct

VOID = frozenset(
    {
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
    }
)
RAW_TEXT = frozenset({"script", "style"})
VISIBLE_ATTRS = ("title", "alt", "aria-label", "placeholder", "aria-description")


@dataclass
class _Frame:
    tag: str
    literal: bool
    raw: bool
    count_id: str | None = None
    expected: str | None = None
    text: list[str] = field(default_factory=list)
    line: int = 0


def _has_digit(text: str) -> bool:
    # str.isdigit per character (superscripts too, unlike the regex \d), mapped in C
    return any(map(str.isdigit, text))


class _Guard(HTMLParser):
    def __init__(self, values: Mapping[str, int], units: Mapping[str, str]) -> None:
        super().__init__(convert_charrefs=True)
        self.values = values
        self.units = units
        self.stack: list[_Frame] = []
        self.errors: list[str] = []
        self.n_counts = 0

    # -- helpers ---------------------------------------------------------------------------

    def _where(self) -> str:
        path = "/".join(f.tag for f in self.stack[-4:])
        return f"line {self.getpos()[0]} in <{path or 'document'}>"

    def _literal(self) -> bool:
        return bool(self.stack) and self.stack[-1].literal

    def _count_frame(self) -> _Frame | None:
        for frame in reversed(self.stack):
            if frame.count_id is not None:
                return frame
        return None

    def _open(self, tag: str, attrs: list[tuple[str, str | None]]) -> _Frame:
        a = {k: (v if v is not None else "") for k, v in attrs}
        literal = self._literal() or "data-literal" in a
        raw = tag in RAW_TEXT or (bool(self.stack) and self.stack[-1].raw)
        frame = _Frame(tag=tag, literal=literal, raw=raw, line=self.getpos()[0])
        if not a and tag != "ol":
            return frame  # no attribute to check (most of an inline SVG's elements)
        for name in VISIBLE_ATTRS:
            if name in a and _has_digit(a[name]) and not literal:
                self.errors.append(
                    f"digit in attribute {name}={a[name]!r} outside data-literal ({self._where()})"
                )
        if tag == "ol" and not literal:
            self.errors.append(
                f"<ol> outside data-literal shows browser-generated numbers ({self._where()})"
            )
        den = a.get("data-denominator-id")
        if "data-count-id" in a:
            cid = a["data-count-id"]
            if self._count_frame() is not None:
                self.errors.append(f"count {cid!r} nested inside another count ({self._where()})")
            missing = [c for c in (cid, den) if c is not None and c not in self.values]
            if missing:
                for c in missing:
                    self.errors.append(f"unknown count id {c!r} ({self._where()})")
            else:
                frame.count_id = cid
                frame.expected = (
                    format_pct(self.values[cid], self.values[den])
                    if den is not None
                    else format_count(self.values[cid], self.units.get(cid, ""))
                )
                self.n_counts += 1
        elif den is not None:
            self.errors.append(
                f"data-denominator-id={den!r} without data-count-id ({self._where()})"
            )
        return frame

    def _close(self, frame: _Frame) -> None:
        if frame.count_id is None:
            return
        shown = "".join(frame.text).strip()
        if shown != frame.expected:
            what = "percentage" if frame.expected and frame.expected.endswith("%") else "value"
            self.errors.append(
                f"count {frame.count_id!r} shows {shown!r} but the ledger {what} is "
                f"{frame.expected!r} (line {frame.line})"
            )

    # -- parser callbacks ------------------------------------------------------------------

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        frame = self._open(tag, attrs)
        if tag in VOID:
            self._close(frame)
        else:
            self.stack.append(frame)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._close(self._open(tag, attrs))

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        if tag not in [f.tag for f in self.stack]:
            self.errors.append(f"end tag </{tag}> without a start tag ({self._where()})")
            return
        while self.stack:
            frame = self.stack.pop()
            self._close(frame)
            if frame.tag == tag:
                break

    def handle_data(self, data: str) -> None:
        if self.stack and self.stack[-1].raw:
            return
        count = self._count_frame()
        if count is not None:
            count.text.append(data)
            return
        if _has_digit(data) and not self._literal():
            self.errors.append(f"number outside a ledger count: {data.strip()!r} ({self._where()})")

    def finish(self) -> None:
        self.close()
        while self.stack:
            self._close(self.stack.pop())


@dataclass(frozen=True)
class GuardReport:
    """What the guard saw: how many ledger-backed counts the page displays."""

    n_counts: int


def check_html(
    html: str, values: Mapping[str, int], units: Mapping[str, str] | None = None
) -> GuardReport:
    """Raise :class:`ValueError` listing every number in ``html`` not backed by the ledger.

    ``values`` maps each ledger count id to its value, ``units`` to its unit (a count in
    ``thousandths`` must be shown as its decimal; without ``units`` every value as an integer).
    """
    guard = _Guard(values, units or {})
    guard.feed(html)
    guard.finish()
    if guard.errors:
        shown = guard.errors[:25]
        more = len(guard.errors) - len(shown)
        tail = f"\n  … and {more} more" if more > 0 else ""
        raise ValueError(
            "report guard: numbers not traceable to the ledger:\n  " + "\n  ".join(shown) + tail
        )
    return GuardReport(n_counts=guard.n_counts)
