"""A seeded synthetic review: database exports, screening, charting and coding sheets, config.

:func:`corpus` builds, from a seed, everything a review needs for the whole workflow to run to
its report: ``n_records`` records over four database searches in different export formats
(RIS, MEDLINE, Web of Science, BibTeX) of which about ``duplicate_rate`` are duplicates of a
study already found by another search (with perturbed fields: case, punctuation, author forms,
missing DOIs, abbreviated journals, abbreviated page ranges), title/abstract and full-text
screening decisions with reasons, a charting sheet for the included studies, coding highlights,
documents and a codebook, and the review's config. :func:`update_round` adds a second search
round (new studies plus duplicates of earlier ones) for living-update benchmarks.

Pure: returns texts and frames; ``benchmarks/make_corpus.py`` writes them to a review folder.
Equal arguments give equal output.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from support import synthetic

# (search id, database, export format, file extension, share of the primary records)
SEARCHES: tuple[tuple[str, str, str, str, float], ...] = (
    ("scopus", "Scopus", "ris", "ris", 0.40),
    ("pubmed", "PubMed", "medline", "nbib", 0.25),
    ("wos", "Web of Science", "wos", "txt", 0.20),
    ("hand", "Hand search", "bibtex", "bib", 0.15),
)
UPDATE_SEARCH = ("pubmed_2", "PubMed", "medline", "nbib")
CRITERIA = (
    ("off_topic", "Not about the review's topic"),
    ("wrong_population", "Population out of scope"),
    ("wrong_design", "Study design out of scope"),
    ("not_english", "Not in English"),
)
COUNTRIES = ("Netherlands", "United States", "United Kingdom", "Germany", "Chile", "Japan")
DESIGNS = ("Qualitative study", "Case report", "Randomised trial", "Mixed methods", "Review")
ABBREVIATIONS = {
    "Psychotherapy": "Psychotherapy",
    "Journal of Clinical Psychology": "J Clin Psychol",
    "Psychotherapy Research": "Psychother Res",
    "Journal of Counseling Psychology": "J Couns Psychol",
    "Counselling and Psychotherapy Research": "Couns Psychother Res",
    "Clinical Psychology Review": "Clin Psychol Rev",
}
TA_INCLUDE = 0.06  # share of studies included at title/abstract
FT_INCLUDE = 0.5  # share of those included at full text
N_CODES, N_THEMES = 30, 8


@dataclass
class Corpus:
    """A synthetic review's inputs: export texts by relative path, sheets and config."""

    exports: dict[str, str]  # relative path -> export text
    title_abstract: pl.DataFrame
    full_text: pl.DataFrame
    charting: pl.DataFrame
    highlights: pl.DataFrame
    documents: pl.DataFrame
    codebook: pl.DataFrame
    config: dict[str, Any]
    n_records: int
    n_studies: int
    # study index -> the record_id the sheets use for it (its first, "primary", record)
    primary: dict[int, str] = field(default_factory=dict)


def record_id(search: str, fmt: str, native: str, pmid: str) -> str:
    """The record_id the importer gives a synthetic record of ``search`` in format ``fmt``."""
    if fmt == "medline":
        return f"{search}:{pmid}"
    if fmt == "wos":
        return f"{search}:WOS:{native}"
    return f"{search}:{native}"


def _perturb(frame: pl.DataFrame) -> pl.DataFrame:
    """Field perturbations of duplicate copies, chosen by the bits of the ``variant`` column."""
    bit = [(pl.col("variant") // (1 << k)) % 2 == 1 for k in range(6)]
    title = pl.col("title")
    start = pl.col("pages").str.split("-").list.first()
    end = pl.col("pages").str.split("-").list.last()
    return frame.with_columns(
        title=pl.when(bit[0])
        .then(title.str.to_lowercase())
        .when(bit[1])
        .then(title.str.to_uppercase())
        .otherwise(title + pl.when(bit[5]).then(pl.lit(".")).otherwise(pl.lit(""))),
        doi=pl.when(bit[2]).then(pl.lit(None, pl.String)).otherwise(pl.col("doi")),
        journal=pl.when(bit[3])
        .then(pl.col("journal").replace_strict(ABBREVIATIONS, default=pl.col("journal")))
        .otherwise(pl.col("journal")),
        pages=pl.when(bit[4])
        .then(start + "-" + end.str.slice(-2))  # 123-130 -> 123-30
        .otherwise(pl.col("pages")),
        authors=pl.when(bit[5])
        .then(pl.col("authors").list.eval(pl.element().str.replace_all(r"\.\s?", "")))
        .otherwise(pl.col("authors")),  # "Safran, J. C." -> "Safran, JC"
    )


def _memberships(
    n_studies: int, n_records: int, first_study: int, rng: random.Random, n_searches: int
) -> list[tuple[int, int, int]]:
    """(study, search index, variant) per record; variant 0 is a study's primary record."""
    weights = [s[4] for s in SEARCHES[:n_searches]]
    primary = rng.choices(range(n_searches), weights=weights, k=n_studies)
    rows = [(first_study + i, s, 0) for i, s in enumerate(primary)]
    seen = {(first_study + i, s) for i, s in enumerate(primary)}
    while len(rows) < n_records:
        i = rng.randrange(n_studies)
        s = (primary[i] + rng.randint(1, n_searches - 1)) % n_searches
        if (first_study + i, s) in seen:
            continue
        seen.add((first_study + i, s))
        rows.append((first_study + i, s, rng.randint(1, 63)))
    return rows


def _export_frames(
    studies: pl.DataFrame, members: list[tuple[int, int, int]], searches: list[tuple[str, str]]
) -> dict[int, pl.DataFrame]:
    """Per search index, the records to render (native ids unique within the search)."""
    m = pl.DataFrame(members, schema=["study", "search", "variant"], orient="row")
    joined = m.join(studies, on="study", how="left").sort("search", "study")
    frames: dict[int, pl.DataFrame] = {}
    for (s,), part in joined.group_by("search", maintain_order=True):
        sid, _ = searches[int(str(s))]
        part = _perturb(part).with_columns(
            native_id=pl.lit(sid.upper()[:3]) + pl.col("study").cast(pl.String).str.zfill(8)
        )
        frames[int(str(s))] = part
    return frames


def _ids(frames: dict[int, pl.DataFrame], searches: list[tuple[str, str]]) -> pl.DataFrame:
    parts = []
    for s, frame in frames.items():
        sid, fmt = searches[s]
        parts.append(
            frame.select(
                "study",
                "variant",
                record_id=pl.concat_str(
                    pl.lit(f"{sid}:"),
                    pl.lit("WOS:" if fmt == "wos" else ""),
                    pl.col("pmid") if fmt == "medline" else pl.col("native_id"),
                ),
            )
        )
    return pl.concat(parts)


Screening = tuple[pl.DataFrame, pl.DataFrame, list[tuple[int, str]]]


def _screening(studies: list[tuple[int, str]], rng: random.Random, round_: int) -> Screening:
    """Title/abstract and full-text decisions; the (study, record_id) pairs included."""
    Row = tuple[str, str, str | None, str, str, str | None]
    ta_rows: list[Row] = []
    ft_rows: list[Row] = []
    included: list[tuple[int, str]] = []
    date = f"2025-0{round_}-10"
    for study, rid in studies:
        if rng.random() < TA_INCLUDE:
            ta_rows.append((rid, "include", None, "R1", date, None))
            roll = rng.random()
            if roll < FT_INCLUDE:
                ft_rows.append((rid, "include", None, "R1", date, None))
                included.append((study, rid))
            elif roll < 0.9:
                reason = rng.choice(CRITERIA)[0]
                ft_rows.append((rid, "exclude", reason, "R1", date, None))
            else:
                ft_rows.append((rid, "not_retrieved", "no_full_text", "R1", date, None))
        else:
            ta_rows.append((rid, "exclude", rng.choice(CRITERIA)[0], "R1", date, None))
    cols = ["record_id", "decision", "reason", "reviewer", "date", "note"]
    schema = dict.fromkeys(cols, pl.String)
    return (
        pl.DataFrame(ta_rows, schema=schema, orient="row"),
        pl.DataFrame(ft_rows, schema=schema, orient="row"),
        included,
    )


def codebook() -> pl.DataFrame:
    """``N_CODES`` codes over ``N_THEMES`` themes under two overarching themes."""
    rows = []
    for c in range(N_CODES):
        theme = c % N_THEMES
        rows.append(
            (
                f"Code {c:02d}",
                f"Theme {theme}",
                "Reasons" if theme % 2 == 0 else "Repairs",
                "inductive" if c % 3 else "deductive",
                f"Definition of code {c:02d}.",
            )
        )
    cols = ["code", "theme", "overarching_theme", "origin", "definition"]
    return pl.DataFrame(rows, schema=dict.fromkeys(cols, pl.String), orient="row")


def _coding(
    included: list[tuple[int, str]], studies: pl.DataFrame, rng: random.Random, first_id: int
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Charting rows, documents and highlights for the included studies."""
    info = {
        row["study"]: row
        for row in studies.filter(pl.col("study").is_in([s for s, _ in included]))
        .select("study", "authors", "year", "title")
        .iter_rows(named=True)
    }
    chart, docs, marks = [], [], []
    hid = first_id
    for study, rid in included:
        row = info[study]
        surname = row["authors"][0].split(",")[0]
        label = f"{surname} ({row['year']}) #{study}"
        chart.append((rid, label, rng.choice(COUNTRIES), rng.choice(DESIGNS)))
        doc = f"Document {study:08d}"
        docs.append((doc, rid))
        for code in rng.sample(range(N_CODES), rng.randint(2, 6)):
            marks.append((str(hid), doc, f"Code {code:02d}", f"Passage {hid} on {row['title']}"))
            hid += 1
    return (
        pl.DataFrame(
            chart,
            schema=dict.fromkeys(["record_id", "study_label", "country", "design"], pl.String),
            orient="row",
        ),
        pl.DataFrame(
            docs, schema=dict.fromkeys(["document", "record_id"], pl.String), orient="row"
        ),
        pl.DataFrame(
            marks,
            schema=dict.fromkeys(["id", "document", "tag", "content"], pl.String),
            orient="row",
        ),
    )


def _search_entry(sid: str, database: str, fmt: str, ext: str, round_: int) -> dict[str, Any]:
    return {
        "id": sid,
        "database": database,
        "date": f"2025-0{round_}-05",
        "strategy": "synthetic search",
        "files": [f"inputs/{sid}.{ext}"],
        "format": fmt,
        "round": round_,
    }


def review_config(searches: list[dict[str, Any]]) -> dict[str, Any]:
    """The config of a synthetic review (the keys of tests/data/tiny_review's config)."""
    return {
        "review": {
            "title": "Synthetic benchmark review",
            "short_title": "Synthetic",
            "authors": ["Benchmark Generator"],
            "question": "How fast does the workflow run at scale? (made-up records)",
        },
        "searches": searches,
        "criteria": [{"code": c, "label": label} for c, label in CRITERIA]
        + [{"code": "no_full_text", "label": "Full text not obtained", "stages": ["full_text"]}],
        "screening": {
            "sheets": [
                {"path": "inputs/title_abstract.csv", "stage": "title_abstract"},
                {"path": "inputs/full_text.csv", "stage": "full_text"},
            ]
        },
        "charting": {
            "sheet": "inputs/charting.csv",
            "fields": [
                {"name": "country", "label": "Country", "type": "category", "count": True},
                {"name": "design", "label": "Study design", "type": "category", "count": True},
            ],
        },
        "coding": {
            "highlights": ["inputs/highlights.csv"],
            "documents": "inputs/documents.csv",
            "codebook": "inputs/codebook.csv",
            "prevalence": {"metric": "n_studies", "drop_at_or_below": 1},
        },
    }


def _studies(n: int, seed: int) -> pl.DataFrame:
    return (
        synthetic.records(n, seed=seed)
        .with_row_index("study")
        .with_columns(pl.col("study").cast(pl.Int64))
    )


def corpus(
    n_records: int, seed: int = 0, duplicate_rate: float = 0.3, n_searches: int = 4
) -> Corpus:
    """A whole synthetic review of ``n_records`` records (round 1)."""
    if not 0 <= duplicate_rate < 0.5 or not 2 <= n_searches <= len(SEARCHES):
        raise ValueError("duplicate_rate must be in [0, 0.5) and n_searches in [2, 4]")
    rng = random.Random(seed)
    n_studies = max(1, round(n_records * (1 - duplicate_rate)))
    studies = _studies(n_studies, seed)
    searches = [(s[0], s[2]) for s in SEARCHES[:n_searches]]
    members = _memberships(n_studies, n_records, 0, rng, n_searches)
    frames = _export_frames(studies, members, searches)
    ids = _ids(frames, searches)
    primary = ids.filter(pl.col("variant") == 0).sort("study")
    pairs = list(zip(primary["study"].to_list(), primary["record_id"].to_list(), strict=True))
    ta, ft, included = _screening(pairs, rng, 1)
    chart, docs, marks = _coding(included, studies, rng, 1)
    exports = {}
    entries = []
    for s, (sid, database, fmt, ext, _) in enumerate(SEARCHES[:n_searches]):
        exports[f"inputs/{sid}.{ext}"] = synthetic.render(frames[s], fmt) if s in frames else ""
        entries.append(_search_entry(sid, database, fmt, ext, 1))
    return Corpus(
        exports=exports,
        title_abstract=ta,
        full_text=ft,
        charting=chart,
        highlights=marks,
        documents=docs,
        codebook=codebook(),
        config=review_config(entries),
        n_records=n_records,
        n_studies=n_studies,
        primary=dict(pairs),
    )


def update_round(
    base: Corpus, fraction: float = 0.01, seed: int = 0, new_share: float = 0.8
) -> Corpus:
    """``base`` plus a round-2 search of ``fraction`` x its records: ``new_share`` of them new
    studies, the rest duplicates of round-1 studies; the sheets gain the new studies' decisions."""
    rng = random.Random(seed + 1)
    n_new_records = max(1, round(base.n_records * fraction))
    n_new = max(1, round(n_new_records * new_share))
    n_dup = n_new_records - n_new
    studies = _studies(base.n_studies + n_new, seed)  # a prefix equal to the base's studies
    new_ids = list(range(base.n_studies, base.n_studies + n_new))
    old_ids = rng.sample(range(base.n_studies), min(n_dup, base.n_studies))
    members = [(i, 0, 0) for i in new_ids] + [(i, 0, rng.randint(1, 63)) for i in old_ids]
    sid, database, fmt, ext = UPDATE_SEARCH
    frames = _export_frames(studies, members, [(sid, fmt)])
    ids = _ids(frames, [(sid, fmt)]).filter(pl.col("variant") == 0).sort("study")
    pairs = list(zip(ids["study"].to_list(), ids["record_id"].to_list(), strict=True))
    ta, ft, included = _screening(pairs, rng, 2)
    first_hid = base.highlights.height + 1
    chart, docs, marks = _coding(included, studies, rng, first_hid)
    exports = dict(base.exports)
    exports[f"inputs/{sid}.{ext}"] = synthetic.render(frames[0], fmt)
    config = dict(base.config)
    config["searches"] = [*base.config["searches"], _search_entry(sid, database, fmt, ext, 2)]
    return Corpus(
        exports=exports,
        title_abstract=pl.concat([base.title_abstract, ta]),
        full_text=pl.concat([base.full_text, ft]),
        charting=pl.concat([base.charting, chart]),
        highlights=pl.concat([base.highlights, marks]),
        documents=pl.concat([base.documents, docs]),
        codebook=base.codebook,
        config=config,
        n_records=base.n_records + n_new_records,
        n_studies=base.n_studies + n_new,
        primary={**base.primary, **dict(pairs)},
    )
