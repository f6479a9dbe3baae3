"""The counts ledger: every number the report shows, with the IDs behind it.

Stages emit :class:`Count` objects; :func:`to_frame` turns them into ledger rows carrying the
stage, the rule and the hashes of the rule's inputs; :func:`assemble` joins the stage parts,
checks the contract (``len(ids) == value`` for counts of things) and the PRISMA 2020 flow
identities, and fails loudly when one is broken.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

import polars as pl

from . import schemas


class LedgerError(ValueError):
    """The ledger is inconsistent: a broken identity, a count whose IDs do not add up."""


@dataclass(frozen=True, eq=False)
class Count:
    """One reported number: made by a stage, a ledger row once written (then with ``inputs``,
    the name and SHA-256 of each input it came from, as the report reads it back; a stage
    sets them where a count came from some of its rule's inputs only, see :func:`to_frame`).

    The IDs are held as a polars series (``id_series``: distinct, sorted, String), so a count
    of a million records never becomes a million Python strings on its way to the ledger;
    :attr:`ids` gives them as a tuple."""

    count_id: str
    value: int
    unit: str
    label: str
    stage: str
    rule: str
    id_kind: str
    id_series: pl.Series = field(repr=False)
    inputs: tuple[tuple[str, str], ...] = ()

    @property
    def ids(self) -> tuple[str, ...]:
        """The IDs behind the count, sorted."""
        return tuple(self.id_series.to_list())

    def _fields(self) -> tuple[object, ...]:
        named = (getattr(self, f.name) for f in fields(self) if f.name != "id_series")
        return (*named, self.ids)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Count):
            return NotImplemented
        return self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash(self._fields())


def _distinct_sorted(ids: Iterable[str | None]) -> pl.Series:
    """Distinct non-null IDs as a sorted String series: sorted by their own values (numbers as
    numbers, as sorted() would), then as text; UTF-8 byte order is code point order, as
    sorted() of strings."""
    if not isinstance(ids, pl.Series):
        distinct = sorted({i for i in ids if i is not None})
        return pl.Series("ids", [str(i) for i in distinct], dtype=pl.String)
    if not (ids.dtype.is_numeric() or ids.dtype.is_temporal()):
        ids = ids.cast(pl.String)
    unique = ids.drop_nulls().unique().sort()
    if unique.dtype == pl.String:
        return unique.rename("ids")
    if unique.dtype.is_temporal() and unique.dtype != pl.Date:  # polars' text is not str()'s
        return pl.Series("ids", [str(i) for i in unique.to_list()], dtype=pl.String)
    return unique.cast(pl.String).rename("ids")


def count_of(
    count_id: str,
    ids: Iterable[str | None],
    *,
    unit: str,
    label: str,
    stage: str,
    rule: str,
    id_kind: str,
) -> Count:
    """A count of things: its value is the number of distinct IDs (kept sorted)."""
    unique = _distinct_sorted(ids)
    return Count(count_id, unique.len(), unit, label, stage, rule, id_kind, unique)


def measure(count_id: str, value: int, *, unit: str, label: str, stage: str, rule: str) -> Count:
    """A number that is not a count of identifiable things (e.g. a threshold)."""
    no_ids = pl.Series("ids", [], dtype=pl.String)
    return Count(count_id, value, unit, label, stage, rule, "none", no_ids)


@dataclass(frozen=True)
class CountSpec:
    """One row of a stage's count table: what a count is, and where its IDs come from.

    ``count_id`` and ``label`` may hold ``{name}`` fields, filled per count (a reason code, a
    rule, a search): ``duplicates.{rule}``. ``select`` takes the stage's source (a frame or a
    small dataclass of them) and returns the IDs; specs without one get their IDs from the stage.
    """

    count_id: str
    label: str
    unit: str
    id_kind: str
    select: Callable[[Any], Iterable[str | None]] | None = None


@dataclass(frozen=True)
class Emitter:
    """Makes the counts of one stage and rule, so neither is repeated on every count."""

    stage: str
    rule: str

    def count(
        self, count_id: str, ids: Iterable[str | None], *, unit: str, label: str, id_kind: str
    ) -> Count:
        return count_of(
            count_id, ids, unit=unit, label=label, stage=self.stage, rule=self.rule, id_kind=id_kind
        )

    def measure(self, count_id: str, value: int, *, unit: str, label: str) -> Count:
        return measure(count_id, value, unit=unit, label=label, stage=self.stage, rule=self.rule)

    def of(self, spec: CountSpec, ids: Iterable[str | None], **names: object) -> Count:
        """The count a spec describes, over ``ids``; ``names`` fill its id and label fields."""
        return self.count(
            spec.count_id.format(**names),
            ids,
            unit=spec.unit,
            label=spec.label.format(**names),
            id_kind=spec.id_kind,
        )

    def groups(
        self, spec: CountSpec, frame: pl.DataFrame, by: str, values: Iterable[object], ids: str
    ) -> list[Count]:
        """One count per value of column ``by`` (in the order given): the ``ids`` column of the
        rows holding that value; the spec's ``{<by>}`` field is filled with the value."""
        return [
            self.of(spec, frame.filter(pl.col(by) == value)[ids], **{by: value}) for value in values
        ]

    def table(self, specs: Iterable[CountSpec], source: object, **names: object) -> list[Count]:
        """Every spec's count, its IDs selected from ``source`` by the spec's ``select``."""
        out = []
        for spec in specs:
            if spec.select is None:
                raise ValueError(f"count spec {spec.count_id!r} has no selector")
            out.append(self.of(spec, spec.select(source), **names))
        return out


def _id_lists(series: Sequence[pl.Series]) -> pl.Series:
    """The counts' ID series as one list column, built in polars (no Python string per ID)."""
    if not series:
        return pl.Series("ids", [], dtype=pl.List(pl.String))
    return pl.concat([s.implode() for s in series], rechunk=True).rename("ids")


def to_frame(counts: Sequence[Count], inputs: Mapping[str, str]) -> pl.DataFrame:
    """Ledger rows for one rule; ``inputs`` maps each input name to its SHA-256. A count that
    came from some of the rule's inputs only (one search's export of all of them) names those
    in its own ``inputs``, which its row keeps instead."""
    hashes = [{"name": k, "sha256": v} for k, v in sorted(inputs.items())]

    def own(count: Count) -> list[dict[str, str]]:
        return [{"name": k, "sha256": v} for k, v in sorted(count.inputs)]

    frame = pl.DataFrame(
        {
            "count_id": [c.count_id for c in counts],
            "value": [c.value for c in counts],
            "unit": [c.unit for c in counts],
            "label": [c.label for c in counts],
            "stage": [c.stage for c in counts],
            "rule": [c.rule for c in counts],
            "id_kind": [c.id_kind for c in counts],
            "ids": _id_lists([c.id_series for c in counts]),
            "inputs": [own(c) if c.inputs else hashes for c in counts],
        },
        schema=schemas.LEDGER.polars_schema,
    )
    return schemas.validate(frame, schemas.LEDGER)


# PRISMA 2020 flow identities (new-review template). Work that is waiting is its own term
# (records awaiting screening, reports awaiting assessment), never counted as screened or
# assessed; the pending terms are zero once every record has a decision.
IDENTITIES: tuple[tuple[str, tuple[str, ...], str], ...] = (
    (
        "records identified − duplicates − removed automatically − removed for other reasons "
        "− awaiting screening = records screened",
        (
            "database_results",
            "-duplicates",
            "-excluded_automatic",
            "-excluded_other",
            "-records_pending",
        ),
        "records_screened",
    ),
    (
        "records screened − records excluded = reports sought",
        ("records_screened", "-records_excluded"),
        "dbr_sought_reports",
    ),
    (
        "reports sought − reports not retrieved − awaiting assessment = reports assessed",
        ("dbr_sought_reports", "-dbr_notretrieved_reports", "-dbr_pending"),
        "dbr_assessed",
    ),
    (
        "reports assessed − reports excluded = new reports",
        ("dbr_assessed", "-dbr_excluded"),
        "new_reports",
    ),
)


# The updated-review template's update arm (``update.*``, living updates): the same identities
# on the records and studies new since the previous version, and the total of the review.
UPDATE_PREFIX = "update."
UPDATE_IDENTITIES: tuple[tuple[str, tuple[str, ...], str], ...] = (
    *(
        (
            f"update: {name}",
            tuple(
                ("-" if t.startswith("-") else "") + UPDATE_PREFIX + t.lstrip("-") for t in terms
            ),
            UPDATE_PREFIX + result,
        )
        for name, terms, result in IDENTITIES
    ),
    (
        "previous studies − those no longer included + new studies of the update + studies "
        "included on re-assessment = total studies",
        (
            "previous_studies",
            "-update.withdrawn_studies",
            "update.new_studies",
            "update.reconsidered_studies",
        ),
        "total_studies",
    ),
)


def check_identities(values: Mapping[str, int]) -> list[str]:
    """Return a message for every PRISMA identity that does not hold (empty when all do).

    The update arm's identities are checked when the ledger has an update arm
    (``update.database_results``, emitted when a previous version exists).
    """
    broken: list[str] = []
    identities = IDENTITIES
    if UPDATE_PREFIX + "database_results" in values:
        identities = (*IDENTITIES, *UPDATE_IDENTITIES)
    for name, terms, result in identities:
        needed = [t.lstrip("-") for t in terms] + [result]
        missing = [t for t in needed if t not in values]
        if missing:
            broken.append(f"{name}: ledger lacks {missing}")
            continue
        total = sum(-values[t[1:]] if t.startswith("-") else values[t] for t in terms)
        if total != values[result]:
            detail = " ".join(
                f"{'−' if t.startswith('-') else '+'} {t.lstrip('-')}={values[t.lstrip('-')]}"
                for t in terms
            )
            broken.append(f"{name}: {detail} gives {total}, but {result}={values[result]}")
    return broken


def check_sums(frame: pl.DataFrame) -> list[str]:
    """Per-source and per-reason breakdowns must add up to their totals."""
    values = dict(zip(frame["count_id"], frame["value"], strict=True))
    broken: list[str] = []
    totals = (
        "database_results",
        "records_excluded",
        "dbr_excluded",
        "dbr_notretrieved_reports",
        "excluded_automatic",
    )
    for total in (*totals, *(UPDATE_PREFIX + t for t in totals)):
        parts = {k: v for k, v in values.items() if k.startswith(total + ".")}
        if parts and total in values and sum(parts.values()) != values[total]:
            broken.append(f"{total}={values[total]} but its parts sum to {sum(parts.values())}")
    return broken


def check_contract(frame: pl.DataFrame) -> pl.DataFrame:
    """Schema, unique ``count_id`` and ``len(ids) == value`` for counts of things."""
    frame = schemas.validate(frame, schemas.LEDGER)
    bad = frame.filter(
        (pl.col("id_kind") != "none") & (pl.col("ids").list.len() != pl.col("value"))
    )
    if bad.height:
        raise LedgerError(f"counts whose IDs do not match their value: {bad['count_id'].to_list()}")
    return frame


def assemble(parts: Sequence[pl.DataFrame]) -> pl.DataFrame:
    """Join the stage ledgers into one, sorted by ``count_id``, and check it."""
    frame = pl.concat(parts, how="vertical") if parts else schemas.LEDGER.empty()
    frame = check_contract(frame.sort("count_id"))
    values = dict(zip(frame["count_id"], frame["value"], strict=True))
    problems = check_identities(values) + check_sums(frame)
    if problems:
        raise LedgerError("PRISMA flow identities broken:\n  " + "\n  ".join(problems))
    return frame
