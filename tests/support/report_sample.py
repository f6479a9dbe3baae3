"""A small, internally consistent synthetic review: for the report's tests and for demos.

:func:`sample_inputs` fabricates every table :func:`~scoping_review.report.build_report`
needs. The ledger is assembled with :func:`scoping_review.ledger.assemble`, so it satisfies
the same contract (``len(ids) == value``, PRISMA identities, breakdown sums) as a real run.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

import polars as pl

from scoping_review import ledger as L
from scoping_review import schemas
from scoping_review.normalize import slug
from scoping_review.versions import update_arm

if TYPE_CHECKING:
    from scoping_review.report import ReportInputs


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _ids(prefix: str, start: int, stop: int) -> list[str]:
    return [f"{prefix}{i:03d}" for i in range(start, stop)]


SEARCHES: list[dict[str, Any]] = [
    {
        "id": "medline",
        "database": "MEDLINE",
        "platform": "Ovid",
        "date": "2024-03-01",
        "strategy": (
            "1. exp Stroke/\n2. (rehabilitat* or therap*).ti,ab.\n3. 1 and 2\n"
            '4. limit 3 to yr="2000-2024"'
        ),
        "files": ["medline.ris"],
    },
    {
        "id": "embase",
        "database": "Embase",
        "platform": "Elsevier",
        "date": "2024-03-02",
        "strategy": "'stroke'/exp AND (rehabilitat*:ti,ab OR therap*:ti,ab)",
        "files": ["embase.ris"],
    },
    {
        "id": "psycinfo",
        "database": "APA PsycInfo",
        "platform": "EBSCOhost",
        "date": "2024-03-04",
        "strategy": 'DE "Cerebrovascular Accidents" AND (rehabilitat* OR therap*)',
        "files": ["psycinfo.txt"],
    },
]

CRITERIA: list[dict[str, Any]] = [
    {
        "code": "E1",
        "label": "Not about stroke survivors",
        "stages": ["title_abstract", "full_text"],
    },
    {"code": "E2", "label": "Not primary research", "stages": ["title_abstract", "full_text"]},
    {"code": "E3", "label": "Published before 2000", "stages": ["full_text"]},
]

CHARTING_FIELDS: list[dict[str, Any]] = [
    {"name": "country", "label": "Country", "type": "category", "count": True},
    {"name": "design", "label": "Study design", "type": "category", "count": True},
    {"name": "population", "label": "Population", "type": "text", "count": False},
]

# code, theme, overarching theme, kept, drop reason, studies (indexes into the included
# studies), segments per study
CODES: list[tuple[str, str, str, bool, str | None, list[int], int]] = [
    ("Time pressure", "Organisational barriers", "Barriers", True, None, [0, 1, 2, 3, 4], 2),
    ("Lack of training", "Organisational barriers", "Barriers", True, None, [1, 5, 6], 1),
    ("(Perceived) disinterest therapist", "Attitudes", "Barriers", True, None, [2, 7], 3),
    ("Peer support", "Social facilitators", "Facilitators", True, None, [0, 3, 8, 9], 1),
    (
        "Stigma 2.0",
        "Attitudes",
        "Barriers",
        False,
        "found in fewer than 2 studies",
        [4],
        1,
    ),
]


def sample_config(embed_ids_max: int = 50) -> dict[str, Any]:
    return {
        "review": {
            "title": (
                "Barriers and facilitators to rehabilitation after stroke: a living scoping review"
            ),
            "short_title": "Stroke rehabilitation scoping review",
            "authors": ["A. Author", "B. Author"],
            "question": (
                "What barriers and facilitators to rehabilitation do stroke survivors report?"
            ),
            "objectives": "Map the evidence on barriers and facilitators, by country and design.",
            "design_note": "Synthetic example data, version 2 of the fixture.",
        },
        "searches": SEARCHES,
        "criteria": CRITERIA,
        "screening": {"reviewers_per_stage": 2},
        "checklist": {
            "1": "The manuscript title names the work a scoping review.",
            "2": "Structured abstract in the manuscript.",
            "3": "Introduction, paragraphs 1-3.",
            "4": "Question and objectives as in the summary.",
            "5": "Protocol registered on OSF (osf.io/abc12) on 2023-01-05.",
            "10": "Piloted form, one charter, checked by a second reviewer.",
            "13": "Reflexive thematic analysis; codes found in fewer than 2 studies were dropped.",
            "19": (
                "We found [[n:new_studies]] studies, "
                "[[pct:chart.country.canada/new_studies]] from Canada."
            ),
            "21": "See the manuscript.",
            "22": "No funding.",
        },
        "report": {"embed_ids_max": embed_ids_max},
    }


UNITS = {
    "record": "records",
    "study": "studies",
    "segment": "segments",
    "code": "codes",
    "theme": "themes",
    "issue": "issues",
}


def sample_ledger(previous: int = 0) -> pl.DataFrame:
    """A ledger with every count id the report reads, consistent by construction.

    ``previous`` > 0 makes it the ledger of an update: that many studies (``P000``…) were
    included in the previous version, so the report draws the updated-review flow template.
    """
    c: list[L.Count] = []

    def add(cid: str, ids: list[str], label: str, stage: str, kind: str = "record") -> None:
        c.append(
            L.count_of(
                cid, ids, unit=UNITS[kind], label=label, stage=stage, rule=stage, id_kind=kind
            )
        )

    # identification: three searches, 25 + 20 + 15 records
    per_search = {
        "medline": _ids("r", 0, 25),
        "embase": _ids("r", 25, 45),
        "psycinfo": _ids("r", 45, 60),
    }
    every = [r for ids in per_search.values() for r in ids]
    add("database_results", every, "Records identified from databases", "import")
    for sid, ids in per_search.items():
        add(f"database_results.{sid}", ids, f"Records identified in {sid}", "import")
    c.append(
        L.count_of(
            "search_databases",
            ["APA PsycInfo", "Embase", "MEDLINE"],
            unit="databases",
            label="Databases searched",
            stage="import",
            rule="import",
            id_kind="database",
        )
    )
    c.append(
        L.count_of(
            "searches",
            [s["id"] for s in SEARCHES],
            unit="searches",
            label="Searches run",
            stage="import",
            rule="import",
            id_kind="search",
        )
    )
    c.append(
        L.count_of(
            "import.files",
            [f for s in SEARCHES for f in s["files"]],
            unit="files",
            label="Input files read",
            stage="import",
            rule="import",
            id_kind="file",
        )
    )
    add("duplicates", every[45:60], "Duplicate records removed", "dedupe")
    add("excluded_automatic", [], "Records removed by automation tools", "dedupe")
    add("excluded_other", every[43:45], "Records removed for other reasons", "dedupe")
    # screening: studies S000..S042
    screened = _ids("S", 0, 43)
    add("records_screened", screened, "Records screened", "screen", "study")
    add(
        "records_excluded", screened[18:43], "Records excluded at title/abstract", "screen", "study"
    )
    add("records_excluded.E1", screened[18:33], "Excluded at title/abstract: E1", "screen", "study")
    add("records_excluded.E2", screened[33:43], "Excluded at title/abstract: E2", "screen", "study")
    add("records_pending", [], "Records awaiting screening", "screen", "study")
    add("dbr_sought_reports", screened[0:18], "Reports sought for retrieval", "screen", "study")
    add("dbr_notretrieved_reports", screened[16:18], "Reports not retrieved", "screen", "study")
    add(
        "dbr_notretrieved_reports.no_access",
        screened[16:18],
        "No institutional access",
        "screen",
        "study",
    )
    add("dbr_assessed", screened[0:16], "Reports assessed for eligibility", "screen", "study")
    add("dbr_excluded", screened[10:16], "Reports excluded at full text", "screen", "study")
    add("dbr_excluded.E2", screened[10:12], "Excluded at full text: E2", "screen", "study")
    add("dbr_excluded.E3", screened[12:16], "Excluded at full text: E3", "screen", "study")
    add("dbr_pending", [], "Reports awaiting assessment", "screen", "study")
    included = screened[0:10]
    add("new_reports", included, "Reports of new included studies", "screen", "study")
    add("new_studies", included, "New studies included in review", "screen", "study")
    earlier = _ids("P", 0, previous)
    add("previous_studies", earlier, "Studies included in previous version", "screen", "study")
    add("total_studies", included + earlier, "Total studies included", "screen", "study")
    if previous:
        add(
            "previous_reports", earlier, "Reports of studies in previous version", "screen", "study"
        )
        add(
            "total_reports",
            included + earlier,
            "Reports of total included studies",
            "screen",
            "study",
        )
        # the update arm: every sample record is new since the previous version
        c.extend(
            L.count_of(
                f"update.{x.count_id}",
                x.ids,
                unit=x.unit,
                label=f"{x.label} (this update)",
                stage="changes",
                rule="changes",
                id_kind=x.id_kind,
            )
            for x in list(c)
            if update_arm(x.count_id)
        )
        dups = next(x for x in c if x.count_id == "duplicates")
        add("update.duplicates", list(dups.ids), "Duplicates (this update)", "changes")
        add("update.reconsidered_studies", [], "Included on re-assessment", "changes", "study")
        add("update.withdrawn_studies", [], "No longer included", "changes", "study")
        # what the changes stage says of the update (the version it compares with)
        c.append(
            L.measure(
                "changes.previous_version",
                1,
                unit="version",
                label="Number of the previous version this run is compared with",
                stage="08_changes",
                rule="changes",
            )
        )
        add("changes.new_studies", screened, "New studies (not known before)", "changes", "study")
    # studies per source and overlap: medline r000-r024 -> S000-S024, embase r025-r044 ->
    # S025-S044, psycinfo r045-r059 duplicates of S000-S014
    from scoping_review.sources import source_counts

    record_ids = _ids("r", 0, 60)
    c.extend(
        source_counts(
            pl.DataFrame(
                {
                    "record_id": record_ids,
                    "source_id": [sid for sid, ids in per_search.items() for _ in ids],
                }
            ),
            pl.DataFrame(
                {
                    "record_id": record_ids,
                    "study_id": _ids("S", 0, 45) + _ids("S", 0, 15),
                }
            ),
            pl.DataFrame({"study_id": screened, "final": ["included"] * 10 + ["excluded"] * 33}),
        )
    )
    # charting
    add("chart.rows", included, "Studies charted", "extract", "study")
    countries = {"canada": [0, 1, 2, 3], "united_kingdom": [4, 5, 6], "usa": [7, 8, 9]}
    for value, idx in countries.items():
        add(
            f"chart.country.{value}",
            [included[i] for i in idx],
            f"Studies with country {value}",
            "extract",
            "study",
        )
    designs = {"qualitative": [0, 1, 2, 3, 4, 5], "mixed_methods": [6, 7, 8, 9]}
    for value, idx in designs.items():
        add(
            f"chart.design.{value}",
            [included[i] for i in idx],
            f"Studies with design {value}",
            "extract",
            "study",
        )
    # codes and themes
    seg = 0
    for code, _theme, _over, _kept, _why, where, per in CODES:
        s = slug(code)
        add(
            f"code.{s}.n_studies",
            [included[i] for i in where],
            f"Studies coded {code}",
            "codes",
            "study",
        )
        segs = [f"seg{seg + k:03d}" for k in range(per * len(where))]
        seg += len(segs)
        add(f"code.{s}.n_segments", segs, f"Segments coded {code}", "codes", "segment")
    kept = [x[0] for x in CODES if x[3]]
    add("codes_found", [x[0] for x in CODES], "Codes found", "codes", "code")
    add("codes_codebook", [x[0] for x in CODES], "Codes in the codebook", "codes", "code")
    add("codes_kept", kept, "Codes kept", "codes", "code")
    add("codes_dropped", [x[0] for x in CODES if not x[3]], "Codes dropped", "codes", "code")
    themes = sorted({x[1] for x in CODES if x[3]})
    add("themes", themes, "Themes", "themes", "theme")
    add(
        "overarching_themes",
        sorted({x[2] for x in CODES if x[3]}),
        "Overarching themes",
        "themes",
        "theme",
    )
    for theme in themes:
        codes = [x for x in CODES if x[1] == theme and x[3]]
        in_theme = sorted({included[i] for x in codes for i in x[5]})
        add(
            f"theme.{slug(theme)}.n_studies",
            in_theme,
            f"Studies in theme {theme}",
            "themes",
            "study",
        )
        add(
            f"theme.{slug(theme)}.n_codes",
            [x[0] for x in codes],
            f"Codes in theme {theme}",
            "themes",
            "code",
        )
    # quality
    add("quality.issues", ["q1", "q2", "q3"], "Data-quality findings", "quality", "issue")
    add("quality.error", ["q1"], "Errors", "quality", "issue")
    add("quality.warning", ["q2", "q3"], "Warnings", "quality", "issue")
    add("quality.info", [], "Notes", "quality", "issue")
    part = L.to_frame(c, {"config": _sha("config"), "records": _sha("records")})
    return L.assemble([part])


def sample_inputs(
    templates_dir: str, prisma_dir: str, embed_ids_max: int = 50, previous: int = 0
) -> ReportInputs:
    """Every input of :func:`~scoping_review.report.build_report` for the synthetic review."""
    from scoping_review.report import ReportInputs

    included = _ids("S", 0, 10)
    country = ["Canada"] * 4 + ["United Kingdom"] * 3 + ["USA"] * 3
    design = ["Qualitative"] * 6 + ["Mixed methods"] * 4
    charting = pl.DataFrame(
        {
            "study_id": included,
            "study_label": [f"Author{i} {2010 + i}" for i in range(10)],
            "sheet": ["charting"] * 10,
            "row": list(range(2, 12)),
            "country": country,
            "country__raw": [v.upper() for v in country],
            "design": design,
            "design__raw": design,
            "population": [f"{20 + 5 * i} adults after stroke" for i in range(10)],
            "population__raw": [f"{20 + 5 * i} adults after stroke" for i in range(10)],
        },
        schema_overrides={"row": pl.Int64},
    )
    prevalence = pl.DataFrame(
        {
            "code": [x[0] for x in CODES],
            "theme": [x[1] for x in CODES],
            "overarching_theme": [x[2] for x in CODES],
            "origin": ["inductive"] * len(CODES),
            "definition": [f"Definition of {x[0]}" for x in CODES],
            "n_studies": [len(x[5]) for x in CODES],
            "n_segments": [len(x[5]) * x[6] for x in CODES],
            "study_ids": [[included[i] for i in x[5]] for x in CODES],
            "kept": [x[3] for x in CODES],
            "drop_reason": [x[4] for x in CODES],
        },
        schema=schemas.PREVALENCE.polars_schema,
    )
    theme_rows = []
    for over, theme in sorted({(x[2], x[1]) for x in CODES}):
        kept = sorted(x[0] for x in CODES if x[1] == theme and x[3])
        dropped = sorted(x[0] for x in CODES if x[1] == theme and not x[3])
        studies = sorted({included[i] for x in CODES if x[1] == theme and x[3] for i in x[5]})
        theme_rows.append(
            {
                "theme": theme,
                "overarching_theme": over,
                "codes": kept,
                "codes_dropped": dropped,
                "n_codes": len(kept),
                "study_ids": studies,
                "n_studies": len(studies),
            }
        )
    themes = pl.DataFrame(theme_rows, schema=schemas.THEMES.polars_schema)
    issues = pl.DataFrame(
        {
            "issue_id": ["q1", "q2", "q3"],
            "check": ["decision_conflict", "missing_doi", "encoding"],
            "severity": ["error", "warning", "warning"],
            "subject": ["S005", "r012", "psycinfo.txt"],
            "message": [
                "Two reviewers disagree on S005 at full text and no final decision is recorded",
                "Record r012 has no DOI",
                "File was decoded as cp1252 (2 replacement characters)",
            ],
            "where": ["full_text.xlsx row 7", "medline.ris line 120", "psycinfo.txt"],
            "ids": [["S005"], ["r012"], []],
        },
        schema=schemas.QUALITY.polars_schema,
    )
    files = pl.DataFrame(
        {
            "source_id": [s["id"] for s in SEARCHES],
            "database": [s["database"] for s in SEARCHES],
            "path": [f"data/searches/{s['files'][0]}" for s in SEARCHES],
            "sha256": [_sha(s["id"]) for s in SEARCHES],
            "format": ["ris", "ris", "ebsco_txt"],
            "encoding": ["utf-8", "utf-8", "cp1252"],
            "encoding_note": [None, None, "2 replacement characters"],
            "n_raw": [25, 20, 15],
            "n_parsed": [25, 20, 15],
            "n_rejected": [0, 0, 0],
            "notes": [[], [], ["record starting at line 88 has no ER before line 93; kept"]],
        },
        schema=schemas.FILES.polars_schema,
    )
    records = _ids("r", 0, 60)
    studies = _ids("S", 0, 45)
    lookup = pl.DataFrame(
        {
            "id": records + studies,
            "kind": ["record"] * len(records) + ["study"] * len(studies),
            "title": [f"Record title {r}" for r in records] + [f"Study title {s}" for s in studies],
            "year": [2000 + (i % 24) for i in range(len(records) + len(studies))],
            "source": ["MEDLINE"] * len(records) + ["MEDLINE; Embase"] * len(studies),
        },
        schema={
            "id": pl.String,
            "kind": pl.String,
            "title": pl.String,
            "year": pl.Int64,
            "source": pl.String,
        },
    )
    return ReportInputs(
        ledger=sample_ledger(previous),
        issues=issues,
        charting=charting,
        charting_fields=CHARTING_FIELDS,
        prevalence=prevalence,
        themes=themes,
        files=files,
        lookup=lookup,
        config=sample_config(embed_ids_max),
        provenance={
            "tool_version": "0.1.0",
            "config_sha256": _sha("config"),
            "packages": {"polars": "2.1.0", "altair": "6.3.0", "vl-convert-python": "1.9.0"},
            "inputs": [{"name": "config", "sha256": _sha("config")}],
        },
        templates_dir=templates_dir,
        prisma_dir=prisma_dir,
    )
