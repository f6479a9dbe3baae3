from __future__ import annotations

import re

import polars as pl
import pytest

from helpers import records
from scoping_review import dedupe, ledger, screen

CRITERIA = [
    {"code": "off_topic", "label": "Off topic", "stages": ["title_abstract", "full_text"]},
    {"code": "no_full_text", "label": "No full text", "stages": ["full_text"]},
]


@pytest.fixture
def studies() -> tuple[pl.DataFrame, pl.DataFrame]:
    recs = records(
        [
            {"record_id": f"db:{i}", "title": f"A distinct study title number {i}", "year": 2020}
            for i in range(1, 7)
        ]
        + [{"record_id": "other:1", "title": "A distinct study title number 1", "year": 2020}]
    )
    return dedupe.deduplicate(recs)


def sheet(stage: str, rows: list[tuple[str, str, str]], name: str = "s.csv") -> screen.Sheet:
    frame = pl.DataFrame(
        {
            "record_id": [r[0] for r in rows],
            "decision": [r[1] for r in rows],
            "reason": [r[2] or None for r in rows],
            "reviewer": ["R1"] * len(rows),
        },
        schema={
            "record_id": pl.String,
            "decision": pl.String,
            "reason": pl.String,
            "reviewer": pl.String,
        },
    )
    return screen.Sheet(name, stage, frame)


def test_status_and_prisma_identities(studies: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    clusters, table = studies
    ta = sheet(
        "title_abstract",
        [("other:1", "include", ""), ("db:2", "include", ""), ("db:3", "exclude", "off_topic"),
         ("db:4", "include", ""), ("db:5", "include", "")],
    )  # fmt: skip
    ft = sheet(
        "full_text",
        [("db:1", "include", ""), ("db:2", "exclude", "off_topic"),
         ("db:4", "not_retrieved", "no_full_text")],
    )  # fmt: skip
    decisions = screen.read_decisions([ta, ft], clusters, CRITERIA)
    auto = screen.automatic_exclusions(table, [])
    status = screen.screening_status(table, decisions, auto)
    finals = dict(zip(status["study_id"], status["final"], strict=True))
    study = dict(zip(clusters["record_id"], clusters["study_id"], strict=True))
    assert finals[study["db:1"]] == "included"  # referenced through its duplicate other:1
    assert finals[study["db:2"]] == "excluded_full_text"
    assert finals[study["db:3"]] == "excluded_title_abstract"
    assert finals[study["db:4"]] == "not_retrieved"
    assert finals[study["db:5"]] == "pending"  # no full-text decision yet
    assert finals[study["db:6"]] == "pending"  # never screened
    counts = {c.count_id: c.value for c in screen.screen_counts(status, table, auto, CRITERIA)}
    counts.update(database_results=7, duplicates=1, excluded_other=0)
    assert ledger.check_identities(counts) == []
    assert counts["records_pending"] == 1 and counts["dbr_pending"] == 1
    assert counts["new_studies"] == 1


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([("db:9", "include", "")], "s.csv, row 2: unknown study or record ID 'db:9'"),
        ([("db:1", "exclude", "")], "s.csv, row 2: exclude without a reason code"),
        ([("db:1", "exclude", "nonsense")],
         "s.csv, row 2: reason 'nonsense' is not a title_abstract criterion"),
        ([("db:1", "exclude", "off_topic; nonsense")],
         "s.csv, row 2: reason 'nonsense' is not a title_abstract criterion"),
        ([("db:1", "exclude", "no_full_text")],
         "s.csv, row 2: reason 'no_full_text' is not a title_abstract criterion"),
        ([("db:1", "include", ""), ("", "include", "")], "s.csv, row 3: no study_id or record_id"),
        ([("db:1", "perhaps", "")], "s.csv, row 2: decision 'perhaps' is not one of"),
        ([("db:1", "", "off_topic")], "s.csv, row 2: decision '' is not one of"),
        ([("db:1", "include", ""), ("other:1", "exclude", "off_topic")],
         "s.csv, row 3: R1 decided 'exclude' for study"),
        ([("db:1", "include", ""), ("other:1", "exclude", "off_topic")], "but 'include' at s.csv, row 2"),
    ],
)  # fmt: skip
def test_sheet_problems_name_sheet_and_row(
    studies: tuple[pl.DataFrame, pl.DataFrame], rows: list[tuple[str, str, str]], message: str
) -> None:
    clusters, _ = studies
    with pytest.raises(screen.ScreeningError, match=re.escape(message)):
        screen.read_decisions([sheet("title_abstract", rows)], clusters, CRITERIA)


def test_full_text_decision_for_excluded_study_is_an_error(
    studies: tuple[pl.DataFrame, pl.DataFrame],
) -> None:
    clusters, table = studies
    ta = sheet("title_abstract", [("db:3", "exclude", "off_topic")])
    ft = sheet("full_text", [("db:3", "include", "")], name="ft.csv")
    decisions = screen.read_decisions([ta, ft], clusters, CRITERIA)
    status = screen.screening_status(table, decisions, screen.automatic_exclusions(table, []))
    with pytest.raises(
        screen.ScreeningError, match=re.escape("ft.csv, row 2: full-text decision for db:3")
    ):
        screen.check_full_text_scope(decisions, status)


def test_automation_rules_exclude_before_screening(
    studies: tuple[pl.DataFrame, pl.DataFrame],
) -> None:
    _, table = studies
    rule = screen.AutomationRule("too_old", "year_before", ("2021",), "published before 2021")
    auto = screen.automatic_exclusions(table, [rule])
    assert auto.height == table.height
    status = screen.screening_status(table, screen.read_decisions([], studies[0], CRITERIA), auto)
    assert set(status["final"]) == {"excluded_automatic"}
    assert status["title_abstract"].null_count() == table.height


def test_dual_screening_disagreement_is_pending_until_consensus(
    studies: tuple[pl.DataFrame, pl.DataFrame],
) -> None:
    clusters, table = studies
    frame = pl.DataFrame(
        {"record_id": ["db:1", "db:1"], "decision": ["include", "exclude"],
         "reason": [None, "off_topic"], "reviewer": ["R1", "R2"]}
    )  # fmt: skip
    decisions = screen.read_decisions(
        [screen.Sheet("d.csv", "title_abstract", frame)], clusters, CRITERIA
    )
    auto = screen.automatic_exclusions(table, [])
    status = screen.screening_status(table, decisions, auto, reviewers_per_stage=2)
    study = dict(zip(clusters["record_id"], clusters["study_id"], strict=True))["db:1"]
    assert status.filter(pl.col("study_id") == study)["title_abstract"].item() == "pending"
    # `export-pending` leaves it out (a third reviewer's decision would be refused); the
    # studies nobody has decided go out
    from scoping_review.interop import export

    out = export.pending(table, status, "title_abstract")["study_id"].to_list()
    assert study not in out and len(out) == table.height - 1
    assert export.awaiting_consensus(status, "title_abstract") == 1
    consensus = pl.DataFrame(
        {"record_id": ["db:1"], "decision": ["include"], "reviewer": ["consensus"]}
    )
    decisions = screen.read_decisions(
        [
            screen.Sheet("d.csv", "title_abstract", frame),
            screen.Sheet("c.csv", "title_abstract", consensus),
        ],
        clusters,
        CRITERIA,
    )
    status = screen.screening_status(table, decisions, auto, reviewers_per_stage=2)
    assert status.filter(pl.col("study_id") == study)["title_abstract"].item() == "include"


def by_reviewers(*rows: tuple[str, str, str, str]) -> list[screen.Sheet]:
    """One title/abstract sheet per (record, decision, reason, reviewer), named a.csv, b.csv."""
    out = []
    for name, (record, decision, reason, reviewer) in zip("ab", rows, strict=False):
        made = sheet("title_abstract", [(record, decision, reason)], name=f"{name}.csv")
        frame = made.frame.with_columns(reviewer=pl.lit(reviewer))
        out.append(screen.Sheet(made.name, made.stage, frame))
    return out


def test_reviewer_names_that_differ_only_in_case_are_refused(
    studies: tuple[pl.DataFrame, pl.DataFrame],
) -> None:
    """ "AB" and "ab" would share a worklist file name and count id: refused, naming both."""
    clusters, _ = studies
    sheets = by_reviewers(("db:1", "include", "", "AB"), ("db:2", "include", "", "ab"))
    with pytest.raises(
        screen.ScreeningError, match=r"'AB' \(a.csv, row 2\) and 'ab' \(b.csv, row 2\)"
    ):
        screen.read_decisions(sheets, clusters, CRITERIA)


def test_a_reviewer_not_among_the_stages_names_is_refused(
    studies: tuple[pl.DataFrame, pl.DataFrame],
) -> None:
    """With names [AB, CD] a row by "CE" (a typo) counted as a third independent reviewer,
    silently; now it is refused naming the row. Consensus rows and a stage without names
    pass."""
    clusters, _ = studies
    sheets = by_reviewers(("db:1", "include", "", "AB"), ("db:2", "include", "", "CE"))
    decisions = screen.read_decisions(sheets, clusters, CRITERIA)
    named = screen.Settings.from_config({"stages": {"title_abstract": {"names": ["AB", "CD"]}}})
    with pytest.raises(
        screen.ScreeningError,
        match=r"'CE' \(b.csv, row 2\) is not a title_abstract reviewer: "
        r"screening.stages.title_abstract.names lists AB, CD",
    ):
        screen.check_configured_reviewers(decisions, named)
    screen.check_configured_reviewers(decisions, screen.Settings.from_config({}))
    fine = by_reviewers(("db:1", "include", "", "AB"), ("db:2", "include", "", "consensus"))
    screen.check_configured_reviewers(screen.read_decisions(fine, clusters, CRITERIA), named)
    # "cd" for "CD": the worklists compare names exactly, so it is refused with the spelling
    case = by_reviewers(("db:1", "include", "", "AB"), ("db:2", "include", "", "cd"))
    with pytest.raises(screen.ScreeningError, match=r"'cd' \(b.csv, row 2\) is not a "
                       r"title_abstract reviewer \(write it 'CD'\)"):  # fmt: skip
        screen.check_configured_reviewers(screen.read_decisions(case, clusters, CRITERIA), named)


def test_a_study_id_retired_by_a_merge_follows_its_anchor_record() -> None:
    """A worklist row names S-B; a later "same" decision merges S-B's records into S-A. The
    row's decision goes to S-A (as an app decision, keyed by record, does), not an error
    "unknown study or record ID"; an ID no anchor hashes to is still unknown."""
    from scoping_review.study_ids import study_id_for

    old_b = study_id_for("db:2")
    merged = study_id_for("db:1")
    clusters = pl.DataFrame({"record_id": ["db:1", "db:2", "db:3"],
                             "study_id": [merged, merged, study_id_for("db:3")]})  # fmt: skip
    rows = pl.DataFrame({"study_id": [old_b], "decision": ["exclude"], "reason": ["off_topic"],
                         "reviewer": ["AB"]})  # fmt: skip
    found = screen.read_decisions([screen.Sheet("w.xlsx", "title_abstract", rows)], clusters,
                                  CRITERIA)  # fmt: skip
    assert found["study_id"].to_list() == [merged]
    assert found["referenced_as"].to_list() == [old_b]  # the row as written
    unknown = rows.with_columns(study_id=pl.lit("S-0000000000"))
    with pytest.raises(screen.ScreeningError, match="unknown study or record ID 'S-0000000000'"):
        screen.read_decisions([screen.Sheet("w.xlsx", "title_abstract", unknown)], clusters,
                              CRITERIA)  # fmt: skip


def test_reviewers_with_names_in_other_scripts_are_told_apart(
    studies: tuple[pl.DataFrame, pl.DataFrame],
) -> None:
    """王伟 and 李娜 both slugged to "_": refused as one name, and counted under one ID."""
    from scoping_review.normalize import reviewer_key

    clusters, _ = studies
    sheets = by_reviewers(("db:1", "include", "", "王伟"), ("db:2", "include", "", "李娜"))
    found = screen.read_decisions(sheets, clusters, CRITERIA)
    assert sorted(found["reviewer"].unique().to_list()) == sorted(["王伟", "李娜"])
    assert reviewer_key("王伟") != reviewer_key("李娜")
    assert reviewer_key("王伟").startswith("r-") and reviewer_key("A B") == "a_b"
    assert reviewer_key("José") == reviewer_key("Jose")  # one count ID: refused as a clash


def test_one_reviewer_written_with_dots_or_spaces_is_refused(
    studies: tuple[pl.DataFrame, pl.DataFrame],
) -> None:
    """ "A.B." beside "AB" passed the check (their slugs differ) and counted as a second
    independent reviewer: a study decided by one person was "compared" by two."""
    clusters, _ = studies
    excluded = ("db:1", "exclude", "off_topic")
    sheets = by_reviewers((*excluded, "AB"), (*excluded, "A.B."))
    with pytest.raises(screen.ScreeningError, match=r"'AB' \(a.csv, row 2\) and 'A.B.'"):
        screen.read_decisions(sheets, clusters, CRITERIA)
