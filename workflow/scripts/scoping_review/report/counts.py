"""The report's only door to numbers: a read-only view of the counts ledger.

Templates never see a number. They call :meth:`Ledger.n` (``{{ n("new_studies") }}``) and
:meth:`Ledger.pct` (``{{ pct("chart.country.canada", "new_studies") }}``), which look the value up
by count id and return markup that carries the id, so the guard (:mod:`.guard`) can check every
displayed number against the ledger and the reader can click through to the IDs behind it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import polars as pl
from markupsafe import Markup, escape

from ..ledger import Count, check_contract


class MissingCountError(LookupError):
    """A template or a report builder asked for a count id the ledger does not have."""

    def __init__(self, count_id: str, context: str = "") -> None:
        where = f" (needed for {context})" if context else ""
        super().__init__(f"count id {count_id!r} is not in the ledger{where}")
        self.count_id = count_id

    def __str__(self) -> str:
        return str(self.args[0])


# Ledger unit of measures stored as integer thousandths (agreement statistics: 417 = 0.417);
# the report, the guard and ``scoping-review explain`` show them as decimals.
THOUSANDTHS = "thousandths"


def format_count(value: int, unit: str = "") -> str:
    """How a count is displayed (the guard compares against exactly this).

    Values in :data:`THOUSANDTHS` are shown as decimals with three places (``417`` ->
    ``0.417``, ``-53`` -> ``-0.053``, ``1000`` -> ``1.000``); everything else as the integer.
    """
    if unit == THOUSANDTHS:
        return str(Decimal(value).scaleb(-3).quantize(Decimal("0.001")))
    return str(value)


def format_pct(numerator: int, denominator: int) -> str:
    """A whole-number percentage, rounded half up; an en dash when the denominator is zero."""
    if denominator == 0:
        return "–"
    pct = (Decimal(100 * numerator) / Decimal(denominator)).quantize(
        Decimal("1"), rounding=ROUND_HALF_UP
    )
    return f"{pct}%"


# One ledger row, as the report uses it: the stages' own Count type.
CountRow = Count


@dataclass(frozen=True)
class CountHead:
    """A ledger row without its IDs: what the page shows (value, unit, label) and where the
    count comes from; ``n_ids`` says how many IDs :meth:`Ledger.ids` would return."""

    count_id: str
    value: int
    unit: str
    label: str
    stage: str
    rule: str
    id_kind: str
    n_ids: int
    inputs: tuple[tuple[str, str], ...] = ()


class Ledger:
    """Lookup of ledger rows by count id; every access to a missing id raises.

    The IDs behind the counts stay in the ledger frame (Arrow memory, a few bytes per ID)
    and are read out per count, on request (:meth:`ids`, :meth:`row`): at a million records
    the ledger holds tens of millions of IDs, which as Python strings would cost gigabytes.
    """

    def __init__(self, frame: pl.DataFrame) -> None:
        frame = check_contract(frame)
        heads = frame.select(
            pl.exclude("ids"),
            pl.col("ids").list.len().alias("n_ids"),
            pl.int_range(pl.len()).alias("_at"),
        )
        rows: dict[str, tuple[CountHead, int]] = {}
        for rec in heads.iter_rows(named=True):
            cid = str(rec["count_id"])
            inputs = tuple(
                (str(i["name"]), str(i["sha256"])) for i in (rec.get("inputs") or []) if i
            )
            head = CountHead(
                count_id=cid,
                value=int(rec["value"]),
                unit=str(rec["unit"] or ""),
                label=str(rec["label"] or ""),
                stage=str(rec["stage"] or ""),
                rule=str(rec["rule"] or ""),
                id_kind=str(rec["id_kind"] or ""),
                n_ids=int(rec["n_ids"] or 0),
                inputs=inputs,
            )
            rows[cid] = (head, int(rec["_at"]))
        self._rows = dict(sorted(rows.items()))
        self._ids = frame.get_column("ids")

    # -- plain lookups (for Python code) ---------------------------------------------------

    def __contains__(self, count_id: object) -> bool:
        return count_id in self._rows

    def __iter__(self) -> Iterator[CountHead]:
        """Every count (without its IDs), by count id."""
        return (head for head, _ in self._rows.values())

    def head(self, count_id: str, context: str = "") -> CountHead:
        """A count's value, unit, label and provenance, without reading its IDs."""
        try:
            return self._rows[count_id][0]
        except KeyError:
            raise MissingCountError(count_id, context) from None

    def ids(self, count_id: str, context: str = "") -> tuple[str, ...]:
        """The IDs behind a count, in ledger order (read from the frame on each call)."""
        self.head(count_id, context)
        values = self._ids[self._rows[count_id][1]]
        return tuple(str(i) for i in values.to_list()) if values is not None else ()

    def row(self, count_id: str, context: str = "") -> CountRow:
        """The full ledger row, IDs included (:meth:`head` when the IDs are not needed)."""
        head = self.head(count_id, context)
        return CountRow(
            count_id=head.count_id,
            value=head.value,
            unit=head.unit,
            label=head.label,
            stage=head.stage,
            rule=head.rule,
            id_kind=head.id_kind,
            id_series=pl.Series("ids", self.ids(count_id), dtype=pl.String),
            inputs=head.inputs,
        )

    def value(self, count_id: str, context: str = "") -> int:
        return self.head(count_id, context).value

    def values(self) -> Mapping[str, int]:
        return {cid: head.value for cid, (head, _) in self._rows.items()}

    def units(self) -> Mapping[str, str]:
        """Each count id's unit (the guard formats values as :func:`format_count` does)."""
        return {cid: head.unit for cid, (head, _) in self._rows.items()}

    def display(self, count_id: str) -> str:
        """The value as the report shows it (decimals for :data:`THOUSANDTHS`)."""
        head = self.head(count_id)
        return format_count(head.value, head.unit)

    def has(self, count_id: str) -> bool:
        return count_id in self._rows

    def positive(self, count_id: str) -> bool:
        """True when the count exists and is above zero (used to hide empty optional lines)."""
        return count_id in self._rows and self._rows[count_id][0].value > 0

    def with_prefix(self, prefix: str) -> list[str]:
        """Count ids starting with ``prefix``, largest value first, then by id."""
        ids = [cid for cid in self._rows if cid.startswith(prefix)]
        return sorted(ids, key=lambda cid: (-self._rows[cid][0].value, cid))

    # -- markup (for templates) ------------------------------------------------------------

    def n(self, count_id: str) -> Markup:
        """``<span class="count" data-count-id=...>value</span>`` for one ledger count."""
        row = self.head(count_id)
        return Markup(
            '<span class="count" data-count-id="{}" tabindex="0" role="button">{}</span>'
        ).format(row.count_id, format_count(row.value, row.unit))

    def pct(self, count_id: str, denominator_id: str) -> Markup:
        """A percentage tied to both its numerator and denominator count ids."""
        num = self.head(count_id)
        den = self.head(denominator_id, f"the denominator of {count_id}")
        return Markup(
            '<span class="count pct" data-count-id="{}" data-denominator-id="{}" '
            'tabindex="0" role="button">{}</span>'
        ).format(num.count_id, den.count_id, format_pct(num.value, den.value))


_TOKEN = re.compile(r"\[\[(n|pct):([^\]\s/]+)(?:/([^\]\s]+))?\]\]")


def author_text(text: str | None, ledger: Ledger) -> Markup:
    """Author-supplied prose (config text) as markup.

    ``[[n:count_id]]`` and ``[[pct:count_id/denominator_id]]`` become ledger spans; every
    other run of text is escaped and, if it contains a digit, wrapped in
    ``<span data-literal="author text">`` so the guard lets it through as a quoted claim.
    """
    if not text:
        return Markup("")
    parts: list[Markup] = []
    pos = 0
    for match in _TOKEN.finditer(text):
        parts.append(_literal_run(text[pos : match.start()]))
        kind, cid, den = match.group(1), match.group(2), match.group(3)
        if kind == "n":
            parts.append(ledger.n(cid))
        else:
            if den is None:
                raise ValueError(f"[[pct:{cid}]] needs a denominator: [[pct:{cid}/<count id>]]")
            parts.append(ledger.pct(cid, den))
        pos = match.end()
    parts.append(_literal_run(text[pos:]))
    return Markup("").join(parts)


def literal(text: Any, why: str = "literal") -> Markup:
    """Escaped text marked ``data-literal`` (bibliographic text, dates, hashes, versions, ids)."""
    return Markup('<span data-literal="{}">{}</span>').format(why, "" if text is None else text)


def _literal_run(run: str) -> Markup:
    if not run:
        return Markup("")
    if any(ch.isdigit() for ch in run):
        return literal(run, "author text")
    return escape(run)
