"""The report's only door to numbers: a read-only view of the counts ledger.

Templates never see a number. They call :meth:`Ledger.n` (``{{ n("new_studies") }}``) and
:meth:`Ledger.pct` (``{{ pct("chart.country.canada", "new_studies") }}``), which look the value up
by count id and return markup that carries the id, so the guard (:mod:`.guard`) can check every
displayed number against the ledger and the reader can click through to the IDs behind it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
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


class Ledger:
    """Lookup of ledger rows by count id; every access to a missing id raises."""

    def __init__(self, frame: pl.DataFrame) -> None:
        rows: dict[str, CountRow] = {}
        for rec in check_contract(frame).iter_rows(named=True):
            cid = str(rec["count_id"])
            inputs = tuple(
                (str(i["name"]), str(i["sha256"])) for i in (rec.get("inputs") or []) if i
            )
            rows[cid] = CountRow(
                count_id=cid,
                value=int(rec["value"]),
                unit=str(rec["unit"] or ""),
                label=str(rec["label"] or ""),
                stage=str(rec["stage"] or ""),
                rule=str(rec["rule"] or ""),
                id_kind=str(rec["id_kind"] or ""),
                ids=tuple(str(i) for i in (rec["ids"] or [])),
                inputs=inputs,
            )
        self._rows = dict(sorted(rows.items()))

    # -- plain lookups (for Python code) ---------------------------------------------------

    def __contains__(self, count_id: object) -> bool:
        return count_id in self._rows

    def __iter__(self) -> Iterator[CountRow]:
        return iter(self._rows.values())

    def row(self, count_id: str, context: str = "") -> CountRow:
        try:
            return self._rows[count_id]
        except KeyError:
            raise MissingCountError(count_id, context) from None

    def value(self, count_id: str, context: str = "") -> int:
        return self.row(count_id, context).value

    def values(self) -> Mapping[str, int]:
        return {cid: row.value for cid, row in self._rows.items()}

    def units(self) -> Mapping[str, str]:
        """Each count id's unit (the guard formats values as :func:`format_count` does)."""
        return {cid: row.unit for cid, row in self._rows.items()}

    def display(self, count_id: str) -> str:
        """The value as the report shows it (decimals for :data:`THOUSANDTHS`)."""
        row = self.row(count_id)
        return format_count(row.value, row.unit)

    def has(self, count_id: str) -> bool:
        return count_id in self._rows

    def positive(self, count_id: str) -> bool:
        """True when the count exists and is above zero (used to hide empty optional lines)."""
        return count_id in self._rows and self._rows[count_id].value > 0

    def with_prefix(self, prefix: str) -> list[str]:
        """Count ids starting with ``prefix``, largest value first, then by id."""
        ids = [cid for cid in self._rows if cid.startswith(prefix)]
        return sorted(ids, key=lambda cid: (-self._rows[cid].value, cid))

    # -- markup (for templates) ------------------------------------------------------------

    def n(self, count_id: str) -> Markup:
        """``<span class="count" data-count-id=...>value</span>`` for one ledger count."""
        row = self.row(count_id)
        return Markup(
            '<span class="count" data-count-id="{}" tabindex="0" role="button">{}</span>'
        ).format(row.count_id, format_count(row.value, row.unit))

    def pct(self, count_id: str, denominator_id: str) -> Markup:
        """A percentage tied to both its numerator and denominator count ids."""
        num = self.row(count_id)
        den = self.row(denominator_id, f"the denominator of {count_id}")
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
