"""Tool decisions -> a decision sheet: study IDs resolved, reasons mapped to criteria codes.

A tool row names its study by our ``study_id`` (when the export we gave the tool came back
with it), else by DOI, PMID, or normalised title (with the year when both sides have one).
A decided row that matches no study, or more than one, is an error naming the file and row;
so is an exclusion reason that is neither a criterion code, a criterion label nor an alias
from ``screening.reason_aliases``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

from ..normalize import normalize_doi, normalize_title
from ..screen import DECISIONS, NEEDS_REASON, STAGES

# what every reader returns; `row` is the row (CSV: spreadsheet row, header = 1; RIS: line of
# the record's first tag; project: results.db record_id) quoted in errors
TOOL_COLUMNS: dict[str, pl.DataType] = {
    "row": pl.Int64(),
    "key": pl.String(),
    "study_id": pl.String(),
    "doi": pl.String(),
    "pmid": pl.String(),
    "title": pl.String(),
    "year": pl.Int64(),
    "reviewer": pl.String(),
    "decision": pl.String(),  # include / exclude / maybe, null when not decided
    "reasons": pl.List(pl.String()),
    "date": pl.String(),
    "note": pl.String(),
}

SHEET_COLUMNS = ("study_id", "decision", "reason", "reviewer", "date", "note", "tool_key")


class InteropError(ValueError):
    """A tool export that cannot be turned into a decision sheet; lists every problem."""


def tool_frame(rows: Sequence[Mapping[str, Any]]) -> pl.DataFrame:
    return pl.DataFrame(
        [{c: r.get(c) for c in TOOL_COLUMNS} for r in rows], schema=TOOL_COLUMNS, orient="row"
    )


def _fold(text: str) -> str:
    return normalize_title(text) or ""


def reason_lookup(
    criteria: Sequence[Mapping[str, Any]], stage: str, aliases: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Folded reason text -> criterion code, for the criteria of ``stage``: each code, each
    label, and each alias (``screening.reason_aliases``; an alias to a code of another stage
    is left out)."""
    codes = {str(c["code"]) for c in criteria if stage in c.get("stages", STAGES)}
    lookup: dict[str, str] = {}
    for c in criteria:
        code = str(c["code"])
        if code in codes:
            lookup[_fold(code)] = code
            if c.get("label"):
                lookup[_fold(str(c["label"]))] = code
    for text, code in (aliases or {}).items():
        if code in codes:
            lookup[_fold(text)] = code
    return lookup


def _study_index(studies: pl.DataFrame) -> dict[str, dict[str, set[str]]]:
    index: dict[str, dict[str, set[str]]] = {"doi": {}, "pmid": {}, "title": {}, "title_year": {}}
    cols = studies.columns
    for rec in studies.iter_rows(named=True):
        sid = rec["study_id"]
        dois = set(rec.get("dois") or []) | ({rec["doi"]} if rec.get("doi") else set())
        for d in dois:
            nd = normalize_doi(d)
            if nd:
                index["doi"].setdefault(nd, set()).add(sid)
        pmids = set(rec.get("pmids") or []) | ({rec["pmid"]} if rec.get("pmid") else set())
        for p in pmids:
            index["pmid"].setdefault(p.strip(), set()).add(sid)
        title = normalize_title(rec.get("title")) if "title" in cols else None
        if title:
            index["title"].setdefault(title, set()).add(sid)
            if rec.get("year") is not None:
                index["title_year"].setdefault(f"{title}|{rec['year']}", set()).add(sid)
    return index


def _resolve(rec: Mapping[str, Any], ids: set[str], index: Mapping[str, Any]) -> set[str]:
    if rec["study_id"]:
        return {rec["study_id"]} if rec["study_id"] in ids else set()
    doi = normalize_doi(rec["doi"])
    if doi and doi in index["doi"]:
        return set(index["doi"][doi])
    if rec["pmid"] and rec["pmid"].strip() in index["pmid"]:
        return set(index["pmid"][rec["pmid"].strip()])
    title = normalize_title(rec["title"])
    if not title:
        return set()
    if rec["year"] is not None and f"{title}|{rec['year']}" in index["title_year"]:
        return set(index["title_year"][f"{title}|{rec['year']}"])
    return set(index["title"].get(title, set()))


def to_sheet(
    decisions: pl.DataFrame,
    studies: pl.DataFrame,
    criteria: Sequence[Mapping[str, Any]],
    *,
    name: str,
    stage: str,
    aliases: Mapping[str, str] | None = None,
    exclude_reason: str | None = None,
) -> pl.DataFrame:
    """A decision sheet (study_id, decision, reason, reviewer, date, note, tool_key) from the
    decided rows of a reader's frame. ``exclude_reason`` is the criterion code given to an
    exclusion the tool carries no reason for (ASReview has no reasons); without it such a row
    is an error. Undecided rows are left out (the studies stay pending)."""
    if stage not in STAGES:
        raise InteropError(f"{name}: unknown stage {stage!r} (one of {STAGES})")
    lookup = reason_lookup(criteria, stage, aliases)
    codes = sorted(set(lookup.values()))
    if exclude_reason is not None and exclude_reason not in codes:
        raise InteropError(
            f"{name}: default exclusion reason {exclude_reason!r} is not a {stage} criterion "
            f"code ({codes})"
        )
    ids = set(studies["study_id"].to_list())
    index = _study_index(studies)
    problems: list[str] = []
    out: list[dict[str, Any]] = []
    for rec in decisions.iter_rows(named=True):
        decision = rec["decision"]
        if not decision:
            continue
        where = f"{name}, row {rec['row']}"
        if decision not in DECISIONS[stage]:
            problems.append(f"{where}: decision {decision!r} is not one of {DECISIONS[stage]}")
            continue
        found = _resolve(rec, ids, index)
        label = rec["study_id"] or rec["doi"] or rec["title"] or rec["key"]
        if not found:
            problems.append(f"{where}: no study matches {label!r} (study ID, DOI, PMID, title)")
            continue
        if len(found) > 1:
            problems.append(f"{where}: {label!r} matches several studies {sorted(found)}")
            continue
        reason: str | None = None
        if decision in NEEDS_REASON:
            mapped: list[str] = []
            for text in rec["reasons"] or []:
                code = lookup.get(_fold(text))
                if code is None:
                    problems.append(
                        f"{where}: exclusion reason {text!r} is not a {stage} criterion code "
                        f"or label ({codes}); map it in screening.reason_aliases"
                    )
                else:
                    mapped.append(code)
            if not mapped and not rec["reasons"]:
                if exclude_reason is None:
                    problems.append(
                        f"{where}: excluded without a reason; give a default one: "
                        f"--exclude-reason CODE (one of {sorted(codes)})"
                    )
                    continue
                mapped = [exclude_reason]
            reason = ";".join(dict.fromkeys(mapped))
        out.append(
            {
                "study_id": next(iter(found)),
                "decision": decision,
                "reason": reason,
                "reviewer": rec["reviewer"],
                "date": rec["date"],
                "note": rec["note"],
                "tool_key": rec["key"],
            }
        )
    if problems:
        raise InteropError(f"{len(problems)} problem(s):\n  " + "\n  ".join(problems))
    return pl.DataFrame(out, schema=dict.fromkeys(SHEET_COLUMNS, pl.String()), orient="row")
