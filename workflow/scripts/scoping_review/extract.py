"""04_extract: the charting sheet, checked against the charting form and the included studies.

The form (config ``charting.fields``) says for each field its type (``text``, ``category``,
``list`` of categories split on ``separator``, ``integer``), whether it is required, an optional
vocabulary (canonical value → synonyms, matched case- and space-insensitively) or a list of
allowed values, and the value that stands for an empty cell. Values outside a closed vocabulary
are errors naming sheet and row; rows for excluded studies and included studies without a row
are reported. :func:`characteristics` tabulates the counted fields (studies and percentages).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from . import schemas
from .former_ids import former_study_ids
from .ledger import Count, CountSpec, Emitter
from .normalize import slug, strip_diacritics
from .wording import first_few


class ChartingError(ValueError):
    """The charting sheet breaks the form; the message lists every problem."""


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    type: str = "text"  # text | category | list | integer
    required: bool = False
    count: bool = False
    vocabulary: Mapping[str, Sequence[str]] | None = None
    closed: bool = False
    empty_value: str | None = None
    column: str | None = None  # sheet column, default = name
    separator: str = ";"  # list fields: what separates the values in a cell
    allowed: Sequence[str] | None = None  # closed list of values (no synonyms)

    @staticmethod
    def from_config(cfg: Mapping[str, Any]) -> Field:
        return Field(
            name=cfg["name"],
            label=cfg.get("label", cfg["name"]),
            type=cfg.get("type", "text"),
            required=bool(cfg.get("required", False)),
            count=bool(cfg.get("count", False)),
            vocabulary=cfg.get("vocabulary"),
            closed=bool(cfg.get("closed", False)),
            empty_value=cfg.get("empty_value"),
            column=cfg.get("column"),
            separator=cfg.get("separator") or ";",
            allowed=cfg.get("allowed"),
        )

    @property
    def is_closed(self) -> bool:
        return self.closed or self.allowed is not None

    @property
    def has_vocabulary(self) -> bool:
        return self.vocabulary is not None or self.allowed is not None


def _key(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().lower())


def _normaliser(field: Field) -> dict[str, str]:
    table: dict[str, str] = {}
    for canonical, synonyms in (field.vocabulary or {}).items():
        table[_key(canonical)] = canonical
        for syn in synonyms or ():
            table[_key(syn)] = canonical
    for value in field.allowed or ():
        table.setdefault(_key(value), value)
    return table


def _vocabulary_names(field: Field) -> list[str]:
    return sorted({*(field.vocabulary or {}), *(field.allowed or ())})


def _normalise(
    value: str, field: Field, table: Mapping[str, str], where: str, problems: list[str]
) -> str:
    """The canonical form of ``value``; outside a closed vocabulary it is an error."""
    if not field.has_vocabulary:
        return value
    canonical = table.get(_key(value))
    if canonical is None and field.is_closed:
        problems.append(
            f"{where}: {field.name} value {value!r} is not in the vocabulary "
            f"({_vocabulary_names(field)})"
        )
    return canonical or value


@dataclass
class Charted:
    charting: pl.DataFrame
    missing: list[str]  # included study IDs without a charting row
    not_included: pl.DataFrame  # rows for studies that are not included (study_id, sheet, row)
    notes: list[str]


def chart(
    sheet: pl.DataFrame,
    sheet_name: str,
    fields: Sequence[Field],
    clusters: pl.DataFrame,
    included: Sequence[str],
    key_column: str = "record_id",
    label_column: str | None = "study_label",
) -> Charted:
    record_to_study = dict(zip(clusters["record_id"], clusters["study_id"], strict=True))
    study_ids = set(clusters["study_id"].to_list())
    # a study ID that a merge or a new anchor retired names its anchor record's study now
    former = (
        dict(former_study_ids([sheet[key_column].cast(pl.String)], clusters).iter_rows())
        if key_column in sheet.columns
        else {}
    )
    included_set = set(included)
    problems: list[str] = []
    notes: list[str] = []
    rows: list[dict[str, object]] = []
    stray: list[tuple[str, str, int]] = []
    seen: dict[str, int] = {}
    normalisers = {f.name: _normaliser(f) for f in fields}
    if key_column not in sheet.columns:
        other = next((c for c in ("study_id", "record_id") if c in sheet.columns), None)
        hint = f"; set charting.key_column: {other}" if other and other != key_column else ""
        raise ChartingError(
            f"{sheet_name}: no key column {key_column!r} (found {sheet.columns}){hint}"
        )
    columns = [f.column or f.name for f in fields]
    for i, rec in enumerate(sheet.iter_rows(named=True)):
        row_no = i + 2
        ref = (str(rec.get(key_column) or "")).strip()
        if not any(str(v or "").strip() for v in rec.values()):
            continue  # an empty row (spaces at most): no study, nothing charted
        if not ref:
            problems.append(f"{sheet_name}, row {row_no}: empty {key_column}")
            continue
        study = ref if ref in study_ids else record_to_study.get(ref)
        if study is None and ref in former:
            study = former[ref]
            notes.append(
                f"{sheet_name}, row {row_no}: study ID {ref} names no study now (merged into "
                f"another, or its anchor record changed); read as {study}"
            )
        if study is None:
            problems.append(f"{sheet_name}, row {row_no}: unknown study or record ID {ref!r}")
            continue
        if not any(str(rec.get(c) or "").strip() for c in columns):
            # a team that lists the studies before charting them: not charted yet
            notes.append(
                f"{sheet_name}, row {row_no}: {ref} has no charted value yet; counted as not "
                "charted"
            )
            continue
        if study in seen:
            problems.append(
                f"{sheet_name}, row {row_no}: second charting row for study {study} "
                f"(first at row {seen[study]})"
            )
            continue
        seen[study] = row_no
        if study not in included_set:
            stray.append((study, sheet_name, row_no))
            continue
        out: dict[str, object] = {
            "study_id": study,
            "study_label": (str(rec.get(label_column) or "").strip() or None)
            if label_column
            else None,
            "sheet": sheet_name,
            "row": row_no,
        }
        for f in fields:
            column = f.column or f.name
            if column not in rec:
                raise ChartingError(
                    f"{sheet_name}: charting form field {f.name!r} has no column {column!r}"
                )
            raw = rec.get(column)
            text = str(raw).strip() if raw is not None else ""
            where = f"{sheet_name}, row {row_no}"
            if f.type == "list":
                parts = [p.strip() for p in text.split(f.separator) if p.strip()]
                if not parts:
                    if f.required:
                        problems.append(f"{where}: required field {f.name!r} is empty")
                    parts = [f.empty_value] if f.empty_value else []
                else:
                    parts = [_normalise(p, f, normalisers[f.name], where, problems) for p in parts]
                out[f.name] = list(dict.fromkeys(parts))
                out[f"{f.name}__raw"] = text or None
                continue
            value: str | None = text or None
            if value is None:
                if f.required:
                    problems.append(f"{where}: required field {f.name!r} is empty")
                value = f.empty_value
            elif f.type == "integer":
                if not re.fullmatch(r"[+-]?\d+", value):
                    problems.append(f"{where}: {f.name} value {value!r} is not a whole number")
            else:
                value = _normalise(value, f, normalisers[f.name], where, problems)
            out[f.name] = value
            out[f"{f.name}__raw"] = text or None
        rows.append(out)
    if problems:
        raise ChartingError(f"{len(problems)} problem(s) in charting:\n  " + "\n  ".join(problems))
    for f in fields:
        if f.count:
            notes += one_spelling(rows, f, sheet_name)
    cols: dict[str, pl.DataType] = dict(schemas.CHARTING.columns)
    for f in fields:
        cols[f.name] = pl.List(pl.String()) if f.type == "list" else pl.String()
        cols[f"{f.name}__raw"] = pl.String()
    frame = pl.DataFrame(rows, schema=pl.Schema(cols)).sort("study_id")
    missing = sorted(included_set - set(seen))
    if missing:
        notes.append(
            f"{len(missing)} included studies not charted (no charting row, or no value in it)"
        )
    not_included = pl.DataFrame(
        stray, schema={"study_id": pl.String, "sheet": pl.String, "row": pl.Int64}, orient="row"
    )
    return Charted(schemas.validate(frame, schemas.CHARTING), missing, not_included, notes)


# id, label, unit, id kind, selector (over the Charted result); then one count per value
COUNTS = (
    CountSpec("chart.rows", "Included studies charted", "studies", "study_id",
              lambda c: c.charting["study_id"]),
    CountSpec("chart.missing", "Included studies without a charting row", "studies", "study_id",
              lambda c: c.missing),
    CountSpec("chart.not_included", "Charting rows for studies that are not included", "studies",
              "study_id", lambda c: c.not_included["study_id"]),
)  # fmt: skip
PER_VALUE = CountSpec("{count_id}", "{label}: {value}", "studies", "study_id")


def charting_counts(charted: Charted, fields: Sequence[Field]) -> list[Count]:
    emit = Emitter("04_extract", "extract")
    counts = emit.table(COUNTS, charted)
    for f in fields:
        if not f.count:
            continue
        for value, count_id, ids in value_groups(charted.charting, f, charted.missing):
            counts.append(emit.of(PER_VALUE, ids, count_id=count_id, label=f.label, value=value))
    return counts


NOT_CHARTED = "not charted"


def one_spelling(rows: list[dict[str, object]], field: Field, sheet_name: str) -> list[str]:
    """Give each value of a counted ``field`` one spelling across ``rows`` (charting rows,
    changed in place): values that differ only in case, accents or spacing (``Germany``,
    ``germany``; ``São Paulo``, ``Sao Paulo``) are one value, counted once, written as most
    rows write it (of equals, the first in sort order). A note per value read otherwise says
    so. Values that differ in any other way (``<18``, ``>18``; two words of another script)
    stay apart, and :func:`value_groups` refuses two whose count IDs would be one."""
    spellings: dict[str, dict[str, list[int]]] = {}
    for row in rows:
        cell = row.get(field.name)
        for value in cell if isinstance(cell, list) else [cell]:
            if isinstance(value, str) and value:
                same = " ".join(strip_diacritics(value).casefold().split())
                at = spellings.setdefault(same, {}).setdefault(value, [])
                at.append(int(str(row["row"])))
    chosen: dict[str, str] = {}
    notes = []
    for found in spellings.values():
        if len(found) < 2:
            continue
        best = min(found, key=lambda v: (-len(found[v]), v))
        for value in sorted(found):
            if value != best:
                chosen[value] = best
                notes.append(
                    f"{sheet_name}: {field.name} {value!r} (row(s) {first_few(found[value])}) "
                    f"read as {best!r}, as row(s) {first_few(found[best])} write it; list it "
                    f"under the field's `vocabulary:` in config to choose the spelling"
                )
    if chosen:
        for row in rows:
            cell = row.get(field.name)
            if isinstance(cell, list):
                row[field.name] = list(dict.fromkeys(chosen.get(v, v) for v in cell))
            elif isinstance(cell, str):
                row[field.name] = chosen.get(cell, cell)
    return notes


def value_groups(
    frame: pl.DataFrame, field: Field, missing: Sequence[str] = ()
) -> list[tuple[str, str, list[str]]]:
    """``(value, count_id, study_ids)`` per charted value of a counted field, by value.

    A list field's study is counted under every value it lists. Studies with an empty cell
    (and no ``empty_value``) and the included studies without a charting row (``missing``)
    are counted under ``not charted`` so every included study is accounted for.
    """
    column = pl.col(field.name)
    exploded = (
        frame.select("study_id", column).explode(field.name)
        if field.type == "list"
        else frame.select("study_id", column)
    )
    groups = (
        exploded.filter(column.is_not_null())
        .group_by(field.name)
        .agg(pl.col("study_id").unique().sort())
        .sort(field.name)
    )
    out: list[tuple[str, str, list[str]]] = []
    by_slug: dict[str, str] = {}
    for value, ids in groups.iter_rows():
        key = slug(str(value))
        if key in by_slug:
            raise ChartingError(
                f"charting field {field.name!r}: values {by_slug[key]!r} and {value!r} give the "
                f"same count id chart.{field.name}.{key}; add one as a synonym of the other"
            )
        by_slug[key] = str(value)
        out.append((str(value), f"chart.{field.name}.{key}", list(ids)))
    charted = set(exploded.filter(column.is_not_null())["study_id"].to_list())
    empty = sorted((set(frame["study_id"].to_list()) - charted) | set(missing))
    if empty:
        key = slug(NOT_CHARTED)
        if key in by_slug:  # a charted value "Not charted": the same bucket, not a second ID
            at = next(i for i, (_v, cid, _ids) in enumerate(out) if cid.endswith(f".{key}"))
            value, cid, ids = out[at]
            out[at] = (value, cid, sorted(set(ids) | set(empty)))
        else:
            out.append((NOT_CHARTED, f"chart.{field.name}.{key}", empty))
    return out


def characteristics(charted: Charted, fields: Sequence[Field], n_included: int) -> pl.DataFrame:
    """Counts and percentages (of the included studies) per value of every counted field."""
    rows: list[dict[str, object]] = []
    for f in fields:
        if not f.count:
            continue
        for value, count_id, ids in value_groups(charted.charting, f, charted.missing):
            rows.append(
                {
                    "field": f.name,
                    "field_label": f.label,
                    "value": value,
                    "count_id": count_id,
                    "n_studies": len(ids),
                    "n_included": n_included,
                    "pct": round(100.0 * len(ids) / n_included, 1) if n_included else None,
                    "study_ids": ids,
                }
            )
    frame = pl.DataFrame(rows, schema=schemas.CHARACTERISTICS.polars_schema)
    return schemas.validate(frame, schemas.CHARACTERISTICS)
