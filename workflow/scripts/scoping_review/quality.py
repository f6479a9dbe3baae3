"""Data-quality findings: contradictions between inputs, and manuscript claims vs the ledger.

Nothing here changes data: every check returns findings (``quality/issues.parquet``) that the
report lists, so a contradiction in the source material is surfaced rather than smoothed over.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import polars as pl
from rapidfuzz import fuzz

from . import schemas
from .ledger import Count, Emitter
from .normalize import find_year, normalize_title, slug


def _issue(
    check: str, severity: str, subject: str, message: str, where: str, ids: Iterable[str] = ()
) -> dict[str, object]:
    return {
        "issue_id": f"{check}:{slug(subject)}",
        "check": check,
        "severity": severity,
        "subject": subject,
        "message": message,
        "where": where,
        "ids": sorted(set(ids)),
    }


def label_years(labels: pl.DataFrame, studies: pl.DataFrame, what: str) -> list[dict[str, object]]:
    """A year written in a label (``Chang et al. (2021)``) that differs from the record's year.

    ``labels`` has columns study_id, label, where.
    """
    year = dict(zip(studies["study_id"], studies["year"], strict=True))
    out = []
    for study, label, where in labels.select("study_id", "label", "where").rows():
        if not label or study not in year:
            continue
        written = find_year(label)
        if written is not None and year[study] is not None and written != year[study]:
            out.append(
                _issue(
                    "year_mismatch",
                    "warning",
                    f"{what} {label}",
                    f"{what} '{label}' gives {written}; "
                    f"the bibliographic record says {year[study]}",
                    where,
                    [study],
                )
            )
    return out


def title_mismatches(
    charting: pl.DataFrame, studies: pl.DataFrame, field: str, min_ratio: float = 100.0
) -> list[dict[str, object]]:
    """Charted titles that differ (beyond case and punctuation) from the study's record."""
    if field not in charting.columns:
        return []
    record_title = dict(zip(studies["study_id"], studies["title"], strict=True))
    out = []
    for study, label, charted, sheet, row in charting.select(
        "study_id", "study_label", f"{field}__raw", "sheet", "row"
    ).rows():
        a, b = normalize_title(charted), normalize_title(record_title.get(study))
        if not a or not b:
            continue
        ratio = fuzz.ratio(a, b)
        if ratio < min_ratio:
            out.append(
                _issue(
                    "title_mismatch",
                    "warning",
                    f"title {label or study}",
                    f"charted title '{charted}' differs from the record's title "
                    f"'{record_title.get(study)}' (similarity {ratio:.0f}%)",
                    f"{sheet}, row {row}",
                    [study],
                )
            )
    return out


def segment_findings(segments: pl.DataFrame) -> list[dict[str, object]]:
    messages = {
        "unknown_document": "coded document '{doc}' maps to no study; {n} segment(s) not counted",
        "not_included": "coded document '{doc}' belongs to a study that is not included; "
        "{n} segment(s) not counted",
        "unknown_code": "code '{code}' on '{doc}' is not in the codebook; "
        "{n} segment(s) not counted",
    }
    bad = segments.filter(pl.col("status") != "ok")
    out = []
    for (status, doc, code), group in bad.group_by(
        ["status", "document", "code"], maintain_order=True
    ):
        rows = ", ".join(str(r) for r in group["row"].to_list())
        out.append(
            _issue(
                status,
                "warning",
                f"{doc} {code}",
                messages[str(status)].format(doc=doc, code=code, n=group.height),
                f"{group['source'][0]}, row(s) {rows}",
                [s for s in group["study_id"].to_list() if s],
            )
        )
    return out


def import_findings(files: pl.DataFrame) -> list[dict[str, object]]:
    """What the readers noticed in each export and kept going (records are still counted)."""
    return [
        _issue("import_note", "warning", f"{path} {i}", f"{path}: {note}", path)
        for path, notes in files.select("path", "notes").rows()
        for i, note in enumerate(notes or [])
    ]


def threshold_findings(prevalence: pl.DataFrame) -> list[dict[str, object]]:
    """Codebook codes that the review's own prevalence rule removes.

    A codebook is the author's final list of codes; a code in it that the stated threshold drops
    means the two disagree (the manuscript kept a code its rule would remove, or vice versa).
    """
    dropped = prevalence.filter(~pl.col("kept"))
    return [
        _issue(
            "threshold_drops_codebook_code",
            "warning",
            f"code {code}",
            f"the codebook lists '{code}' (theme '{theme}'), but the prevalence rule drops it: "
            f"{reason}; it is left out of the themes",
            "codebook and coding.prevalence in config",
            ids,
        )
        for code, theme, reason, ids in dropped.select(
            "code", "theme", "drop_reason", "study_ids"
        ).rows()
    ]


def charting_findings(
    missing: Sequence[str], not_included: pl.DataFrame
) -> list[dict[str, object]]:
    out = [
        _issue(
            "charting_missing",
            "error",
            f"study {s}",
            "included study has no charting row",
            "charting sheet",
            [s],
        )
        for s in missing
    ]
    for study, sheet, row in not_included.rows():
        out.append(
            _issue(
                "charting_not_included",
                "warning",
                f"study {study}",
                "charting row for a study that is not included; left out of the tables",
                f"{sheet}, row {row}",
                [study],
            )
        )
    return out


def claim_findings(
    claims: Sequence[Mapping[str, Any]], ledger: pl.DataFrame, source: str
) -> list[dict[str, object]]:
    """Compare a manuscript's stated numbers (and lists) with the ledger."""
    values = dict(zip(ledger["count_id"], ledger["value"], strict=True))
    id_lists: dict[str, list[str]] = dict(ledger.select("count_id", "ids").iter_rows())
    out = []
    for claim in claims:
        cid = str(claim["id"])
        count_ids = [str(c) for c in claim.get("count_ids", [])]
        where = f"{source}: {claim.get('location', '')}".strip()
        quote = str(claim.get("text", ""))
        if "ids_claimed" in claim:
            found = sorted({i for c in count_ids for i in (id_lists.get(c) or [])})
            claimed = sorted(str(v) for v in claim["ids_claimed"])
            only_claimed = ", ".join(sorted(set(claimed) - set(found))) or "-"
            only_found = ", ".join(sorted(set(found) - set(claimed))) or "-"
            if found == claimed:
                message = f"'{quote}' agrees with the data ({', '.join(found)})"
                out.append(_issue("claim_confirmed", "info", cid, message, where))
            else:
                message = (
                    f"'{quote}' names {', '.join(claimed)}; the data have {', '.join(found)} "
                    f"(only in the manuscript: {only_claimed}; only in the data: {only_found})"
                )
                out.append(_issue("claim_mismatch", "warning", cid, message, where))
            continue
        actual = sum(values.get(c, 0) for c in count_ids)
        stated = int(claim["value"])
        ids = [i for c in count_ids for i in (id_lists.get(c) or [])]
        joined = " + ".join(count_ids)
        if actual == stated:
            out.append(
                _issue(
                    "claim_confirmed",
                    "info",
                    cid,
                    f"'{quote}': stated {stated}, ledger {joined} = {actual}",
                    where,
                )
            )
        else:
            out.append(
                _issue(
                    "claim_mismatch",
                    "warning",
                    cid,
                    f"'{quote}': the manuscript states {stated}, but the ledger "
                    f"({joined}) counts {actual}",
                    where,
                    ids,
                )
            )
    return out


def findings_frame(findings: Sequence[Mapping[str, object]]) -> pl.DataFrame:
    frame = pl.DataFrame(list(findings), schema=schemas.QUALITY.polars_schema)
    frame = frame.unique("issue_id", keep="first", maintain_order=True)
    order = {"error": 0, "warning": 1, "info": 2}
    frame = (
        frame.with_columns(
            pl.col("severity").replace_strict(order, return_dtype=pl.Int64).alias("_o")
        )
        .sort("_o", "check", "issue_id")
        .drop("_o")
    )
    return schemas.validate(frame, schemas.QUALITY)


def quality_counts(frame: pl.DataFrame) -> list[Count]:
    emit = Emitter("quality", "quality")
    counts = [
        emit.count(
            "quality.issues",
            frame.filter(pl.col("severity") != "info")["issue_id"].to_list(),
            unit="findings",
            label="Data-quality findings (errors and warnings)",
            id_kind="issue_id",
        ),
    ]
    for severity in ("error", "warning", "info"):
        counts.append(
            emit.count(
                f"quality.{severity}",
                frame.filter(pl.col("severity") == severity)["issue_id"].to_list(),
                unit="findings",
                label=f"Data-quality findings: {severity}",
                id_kind="issue_id",
            )
        )
    for check in sorted(set(frame["check"].to_list())):
        counts.append(
            emit.count(
                f"quality.check.{check}",
                frame.filter(pl.col("check") == check)["issue_id"].to_list(),
                unit="findings",
                label=f"Findings of check {check}",
                id_kind="issue_id",
            )
        )
    return counts
