"""Data-quality findings: contradictions between inputs, and manuscript claims vs the ledger.

Nothing here changes data: every check returns findings (``quality/issues.parquet``) that the
report lists, so a contradiction in the source material is surfaced rather than smoothed over.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import polars as pl
from rapidfuzz import fuzz

from . import schemas
from .ledger import Count, CountSpec, Emitter
from .normalize import find_year, normalize_title, slug, strip_diacritics
from .wording import stage_name


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


def did_you_mean(word: str, known: Sequence[str]) -> str:
    """ " (did you mean 'Stigma'?)" for the known entry closest to ``word`` (case and spacing
    aside), or "" when none is close."""
    import difflib

    folded = {" ".join(k.casefold().split()): k for k in known}
    close = difflib.get_close_matches(" ".join(word.casefold().split()), list(folded), n=1)
    return f" (did you mean {folded[close[0]]!r}?)" if close else ""


def segment_findings(segments: pl.DataFrame, codes: Sequence[str] = ()) -> list[dict[str, object]]:
    """One finding per document, code and problem of the segments not counted; an unknown
    code names the codebook's closest code (``codes``) when one is close."""
    messages = {
        "unknown_document": "coded document '{doc}' maps to no study; {n} segment(s) not counted",
        "not_included": "coded document '{doc}' belongs to a study that is not included; "
        "{n} segment(s) not counted",
        "unknown_code": "code '{code}' on '{doc}' is not in the codebook{hint}; "
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
                messages[str(status)].format(
                    doc=doc,
                    code=code,
                    n=group.height,
                    hint=did_you_mean(str(code), codes) if status == "unknown_code" else "",
                ),
                f"{group['source'][0]}, row(s) {rows}",
                [s for s in group["study_id"].to_list() if s],
            )
        )
    return out


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
        # the team's explanation of a known difference ("the thesis names only the 33 kept")
        why = f" (note: {str(claim['note']).strip()})" if claim.get("note") else ""
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
                    f"{why}"
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
                    f"({joined}) counts {actual}{why}",
                    where,
                    ids,
                )
            )
    return out


def consensus_override_findings(ledger: pl.DataFrame) -> list[dict[str, object]]:
    """Consensus rows that overturn a decision both reviewers agreed on: a consensus sheet is
    final, so the study's outcome changed with no conflict to show for it (a row meant for
    another study, or a consensus sheet left from an earlier round?)."""
    rows = ledger.filter(
        pl.col("count_id").str.contains(r"^consensus\.[a-z_]+\.overrides_agreement$")
    )
    out = []
    for count_id, ids in rows.select("count_id", "ids").iter_rows():
        stage = str(count_id).split(".")[1]
        for study in ids or []:
            out.append(
                _issue(
                    "consensus_overrides_agreement",
                    "warning",
                    f"study {study} {stage}",
                    f"a consensus row decides study {study} at {stage_name(stage)} otherwise "
                    "than both reviewers agreed; the consensus decision stands (remove the row "
                    "if it was meant for another study)",
                    "consensus sheets",
                    [study],
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


# id, label, unit, id kind, selector (over the issues table); then one count per value
COUNTS = (
    CountSpec("quality.issues", "Data-quality findings (errors and warnings)", "findings",
              "issue_id", lambda f: f.filter(pl.col("severity") != "info")["issue_id"]),
)  # fmt: skip
BY_SEVERITY = CountSpec(
    "quality.{severity}", "Data-quality findings: {severity}", "findings", "issue_id"
)
BY_CHECK = CountSpec("quality.check.{check}", "Findings of check {check}", "findings", "issue_id")


def quality_counts(frame: pl.DataFrame) -> list[Count]:
    emit = Emitter("quality", "quality")
    counts = emit.table(COUNTS, frame)
    counts += emit.groups(BY_SEVERITY, frame, "severity", ("error", "warning", "info"), "issue_id")
    checks = sorted(set(frame["check"].to_list()))
    return counts + emit.groups(BY_CHECK, frame, "check", checks, "issue_id")


# -- consistency audit: charting, coded segments and included studies ------------------------

_PAREN = re.compile(r"\(.*$")
# a year written without parentheses at the end ("Chen 2020", "Chen, 2020a", a Taguette name)
_BARE_YEAR = re.compile(r"[\s,;]+(?:1[89]|20)\d\d[a-z]?\s*$")
_ET_AL = re.compile(r"\bet\s+al\.?", re.IGNORECASE)
_SPLIT = re.compile(r"\s*(?:,|&|\band\b)\s*")


def label_names(label: str) -> list[str]:
    """Author surnames as a citation label writes them (``Chen, Atzil-Slonim, & Refaeli (2016)``
    → ``["Chen", "Atzil-Slonim", "Refaeli"]``; ``et al.`` and the year are dropped)."""
    text = _ET_AL.sub("", _BARE_YEAR.sub("", _PAREN.sub("", label)))
    return [p.strip(" .;") for p in _SPLIT.split(text) if p.strip(" .;")]


def _fold(name: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", strip_diacritics(name).lower()).split())


_INITIALS = re.compile(r"^(?:[A-Z]\.?-?){1,3}$")


def surname(name: str) -> str:
    """The family name of an author as a record writes it: before the comma ("Jouppi, N. P.");
    without one, the words that are not initials, whether these come after ("Liu F.", Scopus;
    "Smith JA", MEDLINE) or before ("N. P. Jouppi", IEEE); a name with no initials
    ("World Health Organization", "Ludwig van Beethoven") whole."""
    if "," in name:
        return name.split(",")[0].strip()
    words = name.split()
    rest = [w for w in words if not _INITIALS.match(w)]
    if not rest or len(rest) == len(words):
        return name.strip()
    return " ".join(rest)


def name_mismatches(
    labels: pl.DataFrame, studies: pl.DataFrame, what: str
) -> list[dict[str, object]]:
    """Author names in a label that differ from the record's authors at the same position.

    ``labels`` has columns study_id, label, where. Only names both sides give are compared
    (a label may shorten the list); a difference in case or diacritics only is reported as a
    spelling difference.
    """
    # only the studies a label names (a few hundred), not every study of a large review
    wanted = studies.filter(pl.col("study_id").is_in(labels["study_id"].implode()))
    authors: dict[str, list[str]] = {
        s: [surname(str(a)) for a in (names or [])]
        for s, names in wanted.select("study_id", "authors").rows()
    }
    out = []
    for study, label, where in labels.select("study_id", "label", "where").rows():
        if not label or study not in authors:
            continue
        for written, recorded in zip(label_names(label), authors[study], strict=False):
            if written == recorded or any(ch.isdigit() for ch in written):
                continue  # a digit: an ID used as the document's name ("S-2d1deaf6c3")
            a, b = _fold(written), _fold(recorded)
            if a == b:
                kind = "differs only in case or accents"
            elif set(a.split()) <= set(b.split()) or set(b.split()) <= set(a.split()):
                kind = "adds or drops a particle or suffix"
            else:
                kind = "is a different name"
            out.append(
                _issue(
                    "name_mismatch",
                    "warning",
                    f"{what} {label} {written}",
                    f"{what} '{label}' writes the author '{written}', the bibliographic record "
                    f"'{recorded}' ({kind})",
                    where,
                    [study],
                )
            )
    return out


def uncoded_findings(included: Sequence[str], segments: pl.DataFrame) -> list[dict[str, object]]:
    """Included studies without a single counted coded segment."""
    coded = set(segments.filter(pl.col("status") == "ok")["study_id"].to_list())
    return [
        _issue(
            "included_not_coded",
            "warning",
            f"study {s}",
            "included study has no coded segment: it contributes to no code or theme",
            "coded segments",
            [s],
        )
        for s in sorted(set(included) - coded)
    ]


def codebook_count_findings(
    codebook: pl.DataFrame, segments: pl.DataFrame
) -> list[dict[str, object]]:
    """The coding tool's own counts (Taguette codebook export) against the segments read."""
    per_code = segments.group_by("code").agg(
        pl.len().cast(pl.Int64).alias("n"), pl.col("document").n_unique().alias("docs")
    )
    n = dict(zip(per_code["code"], per_code["n"], strict=True))
    docs = dict(zip(per_code["code"], per_code["docs"], strict=True))
    out = []
    for code, seg_rep, doc_rep in codebook.select(
        "code", "n_segments_reported", "n_documents_reported"
    ).rows():
        for stated, actual, unit in (
            (seg_rep, n.get(code, 0), "highlights"),
            (doc_rep, docs.get(code, 0), "documents"),
        ):
            if stated is not None and stated != actual:
                out.append(
                    _issue(
                        "codebook_count_mismatch",
                        "warning",
                        f"code {code} {unit}",
                        f"the codebook export states {stated} {unit} for '{code}'; "
                        f"the coded segments read have {actual}",
                        "codebook",
                    )
                )
    return out
