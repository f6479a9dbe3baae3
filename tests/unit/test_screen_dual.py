"""Dual screening, consensus, reason priority, sheets on disk, automation, carry-over,
worklists and conflict sheets."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import polars as pl
import pytest

from helpers import records
from scoping_review import dedupe, ledger, screen, spreadsheet, storage, worklists
from scoping_review.screen import sheets as sheets_mod
from scoping_review.spreadsheet import Worksheet

CRITERIA = [
    {
        "code": "off_topic",
        "label": "Off topic",
        "stages": ["title_abstract", "full_text"],
        "priority": 2,
    },
    {"code": "wrong_population", "label": "Wrong population", "priority": 1},
    {"code": "no_full_text", "label": "No full text", "stages": ["full_text"]},
]
DUAL = screen.Settings.from_config(
    {"reviewers_per_stage": 2, "stages": {"full_text": {"reviewers": 1, "names": ["AB"]}}}
)
HEADER = "record_id,decision,reason,reviewer,date,note\n"


@pytest.fixture
def review() -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    recs = records(
        [
            {"record_id": f"db:{i}", "title": f"A distinct study title number {i}", "year": 2020,
             "search_date": "2024-01-01", "doi": f"10.1/{i}"}
            for i in range(1, 7)
        ]
        + [
            {"record_id": "late:1", "title": "A distinct study title number 1", "year": 2020,
             "search_date": "2024-06-01", "doi": "10.1/1", "abstract": "Now with an abstract."},
            {"record_id": "late:2", "title": "A distinct study title number 2", "year": 2020,
             "search_date": "2024-06-01", "doi": "10.1/2"},
        ]
    )  # fmt: skip
    clusters, studies = dedupe.deduplicate(recs)
    return recs, clusters, studies


def study_of(clusters: pl.DataFrame, record_id: str) -> str:
    return str(clusters.filter(pl.col("record_id") == record_id)["study_id"].item())


def write(path: Path, rows: str) -> Path:
    path.write_text(HEADER + rows)
    return path


def sheet_at(path: Path, stage: str = "title_abstract", **kw: object) -> screen.Sheet:
    return screen.Sheet(str(path), stage, storage.read_sheet(path), **kw)  # type: ignore[arg-type]


# -- validation errors name the file and row ------------------------------------------------


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ("db:1,include,,AB,,\ndb:99,include,,AB,,\n", "row 3: unknown study or record ID 'db:99'"),
        ("db:1,exclude,typo_code,AB,,\n", "row 2: reason 'typo_code' is not a title_abstract"),
        ("db:1,include,,AB,,\ndb:2,exclude,,AB,,\n", "row 3: exclude without a reason code"),
        ("db:1,include,,AB,,\ndb:2,include,,AB,,\nlate:1,exclude,off_topic,AB,,\n",
         "row 4: AB decided 'exclude' for study"),
    ],
)  # fmt: skip
def test_csv_sheet_errors_name_file_and_row(
    tmp_path: Path, review: tuple[pl.DataFrame, ...], rows: str, message: str
) -> None:
    _, clusters, _ = review
    path = write(tmp_path / "ta_AB.csv", rows)
    with pytest.raises(screen.ScreeningError, match=re.escape(f"{path}, {message}")):
        screen.read_decisions([sheet_at(path)], clusters, CRITERIA)


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([["db:9", "include", None]], "row 2: unknown study or record ID 'db:9'"),
        ([["db:1", "include", None], ["db:2", "exclude", "bogus"]], "row 3: reason 'bogus'"),
        ([["db:1", "exclude", None]], "row 2: exclude without a reason code"),
        ([["db:1", "include", None], ["db:1", "exclude", "off_topic"]], "row 3: AB decided 'exclude'"),
    ],
)  # fmt: skip
def test_xlsx_sheet_errors_name_file_and_row(
    tmp_path: Path, review: tuple[pl.DataFrame, ...], rows: list[list[str | None]], message: str
) -> None:
    _, clusters, _ = review
    frame = pl.DataFrame(
        {
            "record_id": [r[0] for r in rows],
            "decision": [r[1] for r in rows],
            "reason": [r[2] for r in rows],
            "reviewer": ["AB"] * len(rows),
        },
        schema={c: pl.String for c in ("record_id", "decision", "reason", "reviewer")},
    )
    path = tmp_path / "ta_AB.xlsx"
    storage.write_xlsx([Worksheet("title_abstract", frame)], path)
    with pytest.raises(screen.ScreeningError, match=re.escape(f"{path}, {message}")):
        screen.read_decisions([sheet_at(path)], clusters, CRITERIA)


def test_duplicate_across_files_names_both(
    tmp_path: Path, review: tuple[pl.DataFrame, ...]
) -> None:
    _, clusters, _ = review
    a = write(tmp_path / "a.csv", "db:1,include,,AB,,\n")
    b = write(tmp_path / "b.csv", "db:2,include,,AB,,\nlate:1,exclude,off_topic,AB,,\n")
    with pytest.raises(screen.ScreeningError) as err:
        screen.read_decisions([sheet_at(a), sheet_at(b)], clusters, CRITERIA)
    assert f"{b}, row 3: AB decided 'exclude'" in str(err.value)
    assert f"but 'include' at {a}, row 2" in str(err.value)


def test_every_problem_is_listed_at_once(tmp_path: Path, review: tuple[pl.DataFrame, ...]) -> None:
    _, clusters, _ = review
    path = write(tmp_path / "s.csv", "db:99,include,,AB,,\ndb:1,exclude,,AB,,\n")
    with pytest.raises(screen.ScreeningError, match="2 problem"):
        screen.read_decisions([sheet_at(path)], clusters, CRITERIA)


def test_third_independent_reviewer_is_an_error(
    tmp_path: Path, review: tuple[pl.DataFrame, ...]
) -> None:
    _, clusters, _ = review
    path = write(tmp_path / "s.csv", "db:1,include,,AB,,\ndb:1,include,,CD,,\ndb:1,include,,EF,,\n")
    with pytest.raises(screen.ScreeningError, match=re.escape(f"{path}, row 4: study")):
        screen.read_decisions([sheet_at(path)], clusters, CRITERIA)


def test_blank_rows_are_skipped_and_reasons_ranked(
    tmp_path: Path, review: tuple[pl.DataFrame, ...]
) -> None:
    _, clusters, _ = review
    path = write(tmp_path / "s.csv", "db:1,,,AB,,\ndb:2,exclude,off_topic; wrong_population,AB,,\n")
    decisions = screen.read_decisions([sheet_at(path)], clusters, CRITERIA)
    assert decisions.height == 1
    row = decisions.row(0, named=True)
    assert row["reason"] == "wrong_population"  # priority 1 beats the first-listed off_topic
    assert row["reasons"] == ["off_topic", "wrong_population"]


def test_a_criterion_typed_as_its_label_or_in_another_case_is_its_code(
    tmp_path: Path, review: tuple[pl.DataFrame, ...]
) -> None:
    """People type what the protocol shows: a label, a code in capitals or with spaces."""
    _, clusters, _ = review
    criteria = [
        *CRITERIA,
        {"code": "other_relationship", "label": "Relationship other than client (e.g. a, b)"},
    ]
    rows = (
        "db:1,exclude,Off topic,AB,,\n"
        "db:2,exclude,WRONG POPULATION,AB,,\n"
        "db:3,exclude,  wrong-population ; off_topic ,AB,,\n"
        'db:4,exclude,"relationship other than client (e.g. a, b)",AB,,\n'
    )
    path = write(tmp_path / "s.csv", rows)
    decisions = screen.read_decisions([sheet_at(path)], clusters, criteria)
    reasons = dict(zip(decisions["referenced_as"], decisions["reasons"].to_list(), strict=True))
    assert reasons == {
        "db:1": ["off_topic"],
        "db:2": ["wrong_population"],
        "db:3": ["off_topic", "wrong_population"],
        "db:4": ["other_relationship"],
    }


@pytest.mark.parametrize(
    ("cell", "stage", "hint"),
    [
        ("off_topik", "title_abstract", "for 'off_topik' did you mean 'off_topic'?"),
        ("Wrong populations", "title_abstract", "did you mean 'wrong_population'?"),
        ("no_full_text", "title_abstract", "'no_full_text' is a criterion of other stages only"),
    ],
)
def test_a_reason_that_is_no_criterion_names_the_code_meant(
    tmp_path: Path, review: tuple[pl.DataFrame, ...], cell: str, stage: str, hint: str
) -> None:
    _, clusters, _ = review
    path = write(tmp_path / "s.csv", f"db:1,exclude,{cell},AB,,\n")
    with pytest.raises(screen.ScreeningError) as err:
        screen.read_decisions([sheet_at(path, stage)], clusters, CRITERIA)
    assert f"{path}, row 2: reason {cell!r} is not a {stage} criterion code" in str(err.value)
    assert hint in str(err.value)


def test_a_spelling_two_criteria_share_stays_an_error(
    tmp_path: Path, review: tuple[pl.DataFrame, ...]
) -> None:
    _, clusters, _ = review
    criteria = [*CRITERIA, {"code": "Off-Topic", "label": "Off topic as well"}]
    path = write(tmp_path / "s.csv", "db:1,exclude,off topic,AB,,\n")
    with pytest.raises(screen.ScreeningError, match="reason 'off topic' is not"):
        screen.read_decisions([sheet_at(path)], clusters, criteria)


def test_column_names_and_study_ids_as_people_write_them(
    tmp_path: Path, review: tuple[pl.DataFrame, ...]
) -> None:
    """`Study ID`, `Decision`, `Reason ` headers and study IDs in capitals or with spaces are
    read as the tool writes them (they were 'header must have study_id ...' and 'unknown
    study or record ID')."""
    _, clusters, _ = review
    one, two = study_of(clusters, "db:1"), study_of(clusters, "db:2")
    path = tmp_path / "s.csv"
    path.write_text(
        "Study ID,Decision,Reason ,Reviewer\n"
        f"{one.upper()},include,,AB\n {two.replace('S-', 's-')} ,exclude,off_topic,AB\n",
        encoding="utf-8",
    )
    decisions = screen.read_decisions([sheet_at(path)], clusters, CRITERIA)
    assert decisions.select("study_id", "decision", "reason").rows() == sorted(
        [(one, "include", None), (two, "exclude", "off_topic")]
    )
    bad = tmp_path / "bad.csv"
    bad.write_text("Title,Verdict\nA,include\n", encoding="utf-8")
    with pytest.raises(screen.ScreeningError, match=re.escape("found ['Title', 'Verdict']")):
        screen.read_decisions([sheet_at(bad)], clusters, CRITERIA)


# -- dual screening --------------------------------------------------------------------------


def dual_decisions(tmp_path: Path, clusters: pl.DataFrame, consensus: str = "") -> pl.DataFrame:
    ab = write(
        tmp_path / "ab.csv",
        "db:1,include,,AB,2024-02-01,\ndb:2,exclude,off_topic,AB,2024-02-01,\n"
        "db:3,exclude,off_topic,AB,2024-02-01,\ndb:4,include,,AB,2024-02-01,\n",
    )
    cd = write(
        tmp_path / "cd.csv",
        "db:1,include,,,2024-02-02,\ndb:2,include,,,2024-02-02,\n"
        "db:3,exclude,wrong_population,,2024-02-02,\n",
    )
    sheets = [sheet_at(ab), sheet_at(cd, reviewer="CD")]
    if consensus:
        sheets.append(sheet_at(write(tmp_path / "c.csv", consensus), consensus=True))
    return screen.read_decisions(sheets, clusters, CRITERIA)


def test_dual_screening_outcomes_agreement_and_conflicts(
    tmp_path: Path, review: tuple[pl.DataFrame, ...]
) -> None:
    _, clusters, studies = review
    decisions = dual_decisions(tmp_path, clusters)
    auto = screen.automatic_exclusions(studies, [])
    status = screen.screening_status(studies, decisions, auto, DUAL.needed(), CRITERIA)
    by = {r["study_id"]: r for r in status.iter_rows(named=True)}
    s = {i: study_of(clusters, f"db:{i}") for i in range(1, 7)}
    assert by[s[1]]["title_abstract"] == "include"
    assert by[s[2]]["pending_kind"] == "conflict"
    assert "AB: exclude, CD: include" in by[s[2]]["pending_reason"]
    # both exclude for different reasons: the higher-priority reason is reported
    assert (by[s[3]]["title_abstract"], by[s[3]]["title_abstract_reason"]) == (
        "exclude",
        "wrong_population",
    )
    assert by[s[4]]["pending_kind"] == "awaiting_reviewer"
    assert by[s[5]]["pending_kind"] == "not_screened"
    agreement = screen.agreement_table(decisions, DUAL)
    ta = agreement.filter(pl.col("stage") == "title_abstract").row(0, named=True)
    # 3 compared (db:1-3), 2 agree; AB: include 1, exclude 2; CD: include 2, exclude 1
    # p_e = 2/9 + 2/9 = 4/9, kappa = (6/9 - 4/9)/(5/9) = 0.4; AC1: pi = 1/2, 1/2 -> p_e = 1/2,
    # AC1 = (2/3 - 1/2)/(1/2) = 1/3
    assert (ta["n_compared"], ta["n_agreed"], ta["reviewers"]) == (3, 2, ["AB", "CD"])
    assert ta["kappa"] == pytest.approx(0.4) and ta["ac1"] == pytest.approx(1 / 3)
    assert ta["percent_agreement"] == pytest.approx(200 / 3)
    conflicts = screen.conflicts_table(decisions)
    assert conflicts["study_id"].to_list() == [s[2]] and not conflicts["resolved"].item()
    counts = {c.count_id: c for c in screen.dual_counts(conflicts, decisions)}
    assert counts["agreement.title_abstract.kappa"].value == 400
    assert counts["agreement.title_abstract.ac1"].value == 333
    assert counts["agreement.title_abstract.percent"].value == 667
    assert counts["agreement.title_abstract.compared"].ids == tuple(sorted(s[i] for i in (1, 2, 3)))
    assert counts["conflicts.title_abstract.unresolved"].value == 1
    assert "agreement.full_text.kappa" not in counts  # nothing compared at full text


def test_consensus_resolves_conflict(tmp_path: Path, review: tuple[pl.DataFrame, ...]) -> None:
    _, clusters, studies = review
    decisions = dual_decisions(tmp_path, clusters, "db:2,exclude,off_topic,AB+CD,2024-03-01,\n")
    assert decisions.filter(pl.col("reviewer") == screen.CONSENSUS).height == 1
    auto = screen.automatic_exclusions(studies, [])
    status = screen.screening_status(studies, decisions, auto, DUAL.needed(), CRITERIA)
    s2 = study_of(clusters, "db:2")
    assert status.filter(pl.col("study_id") == s2)["title_abstract"].item() == "exclude"
    assert screen.conflicts_table(decisions)["resolved"].to_list() == [True]
    values = {c.count_id: c.value for c in screen.screen_counts(status, studies, auto, CRITERIA)}
    values.update(database_results=8, duplicates=2, excluded_other=0)
    assert ledger.check_identities(values) == []
    assert values["records_excluded"] == values["records_excluded.off_topic"] + values.get(
        "records_excluded.wrong_population", 0
    )


# -- automation ------------------------------------------------------------------------------


def test_automation_kinds_first_rule_wins_and_hits(review: tuple[pl.DataFrame, ...]) -> None:
    _, clusters, studies = review
    studies = studies.with_columns(
        pl.when(pl.col("title").str.ends_with("3"))
        .then(pl.lit("de"))
        .otherwise(pl.col("language"))
        .alias("language")
    )
    rules = [
        screen.AutomationRule.from_config(
            {"id": "title_3", "kind": "field_contains", "field": "title", "values": ["NUMBER 3"],
             "reason": "r"}
        ),
        screen.AutomationRule("lang", "language_not_in", ("en",), "not English"),
        screen.AutomationRule("pattern", "field_matches", (r"number [45]$",), "p", "title"),
        screen.AutomationRule("no_abstract", "field_missing", (), "no abstract", "abstract"),
    ]  # fmt: skip
    auto = screen.automatic_exclusions(studies, rules)
    s = {i: study_of(clusters, f"db:{i}") for i in range(1, 7)}
    first = dict(zip(auto["study_id"], auto["rule_id"], strict=True))
    assert first[s[3]] == "title_3"  # also not English, counted under the first rule
    assert first[s[4]] == first[s[5]] == "pattern"
    assert first[s[6]] == "no_abstract" and first[s[2]] == "no_abstract"
    assert s[1] not in first  # the late duplicate brought an abstract
    hits = screen.automation_hits(auto)
    assert hits["lang"] == [s[3]] and sorted(hits["no_abstract"]) == sorted(
        s[i] for i in (2, 3, 4, 5, 6)
    )
    counts = {c.count_id: c.value for c in screen.automation_counts(auto, studies)}
    assert counts == {
        "automation.lang.hits": 1,
        "automation.no_abstract.hits": 5,
        "automation.pattern.hits": 2,
        "automation.title_3.hits": 1,
    }


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (screen.AutomationRule("x", "field_contains", ("a",), "r"), "needs `field`"),
        (screen.AutomationRule("x", "field_matches", ("(",), "r", "title"), "bad pattern"),
        (screen.AutomationRule("x", "year_before", ("soon",), "r"), "needs one year"),
        (screen.AutomationRule("x", "moon_phase", (), "r"), "unknown kind"),
    ],
)
def test_bad_automation_rules_are_named(
    review: tuple[pl.DataFrame, ...], rule: screen.AutomationRule, message: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        screen.automatic_exclusions(review[2], [rule])


# -- carry-over ------------------------------------------------------------------------------


def test_late_record_inherits_and_is_flagged_when_it_adds_an_abstract(
    tmp_path: Path, review: tuple[pl.DataFrame, ...]
) -> None:
    recs, clusters, studies = review
    decisions = dual_decisions(tmp_path, clusters)
    carried = screen.carry_over(clusters, recs, decisions)
    rows = {r["record_id"]: r for r in carried.iter_rows(named=True)}
    assert set(rows) == {"late:1", "late:2"}
    assert rows["late:1"]["adds_abstract"] and not rows["late:2"]["adds_abstract"]
    assert rows["late:1"]["screened_on"] == "2024-02-01"
    counts = {c.count_id: c.ids for c in screen.carry_over_counts(carried)}
    assert counts["screen.recheck_abstract"] == ("late:1",)
    # the study keeps its decision: the late record does not make it pending again
    status = screen.screening_status(
        studies, decisions, screen.automatic_exclusions(studies, []), DUAL.needed(), CRITERIA
    )
    s1 = study_of(clusters, "db:1")
    assert status.filter(pl.col("study_id") == s1)["title_abstract"].item() == "include"


def test_carry_over_from_the_has_abstract_flag_equals_from_the_abstracts(
    tmp_path: Path, review: tuple[pl.DataFrame, ...]
) -> None:
    """The screen rule reads a flag instead of every abstract: the same carry-over table,
    blank and whitespace-only abstracts counting as none."""
    recs, clusters, _ = review
    recs = recs.with_columns(
        pl.when(pl.col("record_id") == "late:2")
        .then(pl.lit("  \n "))
        .otherwise(pl.col("abstract"))
        .alias("abstract")
    )
    decisions = dual_decisions(tmp_path, clusters)
    flagged = recs.with_columns(screen.has_abstract(pl.col("abstract")).alias("has_abstract"))
    want = screen.carry_over(clusters, recs, decisions)
    assert want.height > 0
    assert screen.carry_over(clusters, flagged.drop("abstract"), decisions).equals(want)


def test_decision_without_date_uses_the_named_records_search(
    review: tuple[pl.DataFrame, ...],
) -> None:
    recs, clusters, _ = review
    frame = pl.DataFrame({"record_id": ["db:1"], "decision": ["include"], "reviewer": ["AB"]})
    decisions = screen.read_decisions(
        [screen.Sheet("s.csv", "title_abstract", frame)], clusters, CRITERIA
    )
    carried = screen.carry_over(clusters, recs, decisions)
    assert carried["record_id"].to_list() == ["late:1"]
    assert carried["screened_on"].to_list() == ["2024-01-01"]


# -- worklists and conflict sheets -----------------------------------------------------------


def test_worklists_per_reviewer_with_dropdowns_and_safe_cells(
    tmp_path: Path, review: tuple[pl.DataFrame, ...]
) -> None:
    _, clusters, studies = review
    s = {i: study_of(clusters, f"db:{i}") for i in range(1, 7)}
    studies = studies.with_columns(
        pl.when(pl.col("study_id") == s[5])
        .then(pl.lit('=HYPERLINK("http://evil.invalid","click")'))
        .otherwise(pl.col("title"))
        .alias("title")
    )
    decisions = dual_decisions(tmp_path, clusters)
    auto = screen.automatic_exclusions(studies, [])
    status = screen.screening_status(studies, decisions, auto, DUAL.needed(), CRITERIA)
    lists = worklists.worklists(studies, status, decisions, DUAL)
    assert sorted(lists) == [
        ("full_text", "AB"),
        ("title_abstract", "AB"),
        ("title_abstract", "CD"),
    ]
    # AB decided 1-4: only the unscreened 5 and 6; CD still has 4 (awaiting a second
    # reviewer), 5 and 6; the conflict (2) waits for consensus, not for a reviewer
    assert lists[("title_abstract", "AB")]["study_id"].to_list() == sorted([s[5], s[6]])
    assert lists[("title_abstract", "CD")]["study_id"].to_list() == sorted([s[4], s[5], s[6]])
    assert lists[("full_text", "AB")]["study_id"].to_list() == [s[1]]
    cd = lists[("title_abstract", "CD")]
    assert cd.columns[:7] == ["study_id", "title", "authors", "year", "journal", "doi_link",
                              "abstract"]  # fmt: skip
    assert set(cd["reviewer"]) == {"CD"} and cd["decision"].null_count() == cd.height
    assert cd.filter(pl.col("study_id") == s[4])["doi_link"].item() == "https://doi.org/10.1/4"

    path = tmp_path / "CD.xlsx"
    storage.write_xlsx([worklists.worklist_sheet(cd, "title_abstract", CRITERIA)], path)
    xml = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml").decode()
    assert xml.count("<dataValidation ") == 2
    assert '"include,exclude,maybe"' in xml and '"off_topic,wrong_population"' in xml
    assert "<f>" not in xml
    back = storage.read_sheet(path)
    evil = back.filter(pl.col("study_id") == s[5])["title"].item()
    assert evil == '\'=HYPERLINK("http://evil.invalid","click")'
    shared = zipfile.ZipFile(path).read("xl/sharedStrings.xml").decode()
    assert "<t>'=HYPERLINK" in shared.replace("&quot;", '"')
    csv_path = tmp_path / "CD.csv"
    spreadsheet.neutralise(cd).write_csv(csv_path)
    assert "'=HYPERLINK" in csv_path.read_text()
    # a worklist is a decision sheet: blank rows are skipped, filled ones count
    filled = back.with_columns(
        pl.when(pl.col("study_id") == s[4]).then(pl.lit("include")).alias("decision")
    )
    more = screen.read_decisions(
        [screen.Sheet(str(path), "title_abstract", filled)], clusters, CRITERIA
    )
    assert more.select("study_id", "reviewer", "decision").rows() == [(s[4], "CD", "include")]
    counts = {c.count_id: c.value for c in worklists.worklist_counts(lists)}
    assert counts == {"worklist.full_text.ab": 1, "worklist.title_abstract.ab": 2,
                      "worklist.title_abstract.cd": 3}  # fmt: skip


def test_conflicts_xlsx_filled_in_is_a_consensus_sheet(
    tmp_path: Path, review: tuple[pl.DataFrame, ...]
) -> None:
    _, clusters, studies = review
    decisions = dual_decisions(tmp_path, clusters)
    conflicts = screen.conflicts_table(decisions)
    path = tmp_path / "conflicts.xlsx"
    storage.write_xlsx(worklists.conflict_sheets(conflicts, studies, CRITERIA), path)
    names = zipfile.ZipFile(path).read("xl/workbook.xml").decode()
    assert 'name="title_abstract"' in names and 'name="full_text"' in names
    sheet = storage.read_sheet(path, "title_abstract")
    assert sheet.select("decision_a", "decision_b").rows() == [("exclude", "include")]
    filled = sheet.with_columns(pl.lit("include").alias("decision"))
    consensus = screen.Sheet(f"{path}[title_abstract]", "title_abstract", filled, consensus=True)
    again = screen.read_decisions(
        [
            sheet_at(tmp_path / "ab.csv"),
            sheet_at(tmp_path / "cd.csv", reviewer="CD"),
            consensus,
        ],
        clusters,
        CRITERIA,
    )
    assert screen.conflicts_table(again)["resolved"].to_list() == [True]


# -- config ----------------------------------------------------------------------------------


def test_settings_and_reason_order_from_config() -> None:
    settings = screen.Settings.from_config(
        {
            "reviewers_per_stage": 1,
            "stages": {"title_abstract": {"reviewers": 2, "names": ["AB", "CD"]}},
            "automation": [{"id": "old", "kind": "year_before", "values": [1990], "reason": "r"}],
        }
    )
    assert settings.needed() == {"title_abstract": 2, "full_text": 1}
    assert settings.stages["title_abstract"].names == ("AB", "CD")
    assert settings.rules == (screen.AutomationRule("old", "year_before", ("1990",), "r"),)
    plain = [{"code": "a"}, {"code": "b"}, {"code": "c"}]
    assert screen.best_reason(["c", "b"], screen.reason_rank(plain)) == "b"  # list order
    assert screen.best_reason(["a", "off_topic"], screen.reason_rank(CRITERIA)) == "off_topic"
    assert screen.best_reason(["off_topic", "wrong_population"], screen.reason_rank(CRITERIA)) == (
        "wrong_population"
    )


def test_config_schema_knows_the_screening_keys() -> None:
    import jsonschema
    import yaml

    root = Path(__file__).resolve().parents[2]
    schema = yaml.safe_load((root / "workflow/schemas/config.schema.yaml").read_text())
    config = yaml.safe_load((root / "tests/data/dual_review/config/config.yaml").read_text())
    validator = jsonschema.Draft202012Validator(schema)
    assert list(validator.iter_errors(config)) == []
    config["screening"]["stages"]["full_text"]["reviewers"] = 3
    config["screening"]["automation"][0]["kind"] = "moon_phase"
    assert len(list(validator.iter_errors(config))) == 2


@pytest.mark.parametrize("rowwise", [False, True])
@pytest.mark.parametrize("same_sheet", [False, True])
def test_a_reviewers_maybe_gives_way_to_their_later_include_or_exclude(
    tmp_path: Path, review: tuple[pl.DataFrame, ...], rowwise: bool, same_sheet: bool
) -> None:
    """A maybe is provisional: the same reviewer's later include or exclude of the study (a
    later row, or a sheet listed after), replaces it (the study came back in their worklist).
    A maybe after an include or exclude replaces nothing: it is a contradiction naming both
    rows, as two different includes/excludes are (above)."""
    _, clusters, _ = review
    read = sheets_mod.read_decisions_rowwise if rowwise else screen.read_decisions
    if same_sheet:
        one = write(
            tmp_path / "ta.csv",
            "db:1,maybe,,AB,,\ndb:2,include,,AB,,\ndb:1,exclude,off_topic,AB,,\n",
        )
        sheets, later = [sheet_at(one)], one
    else:
        first = write(tmp_path / "ta_AB_1.csv", "db:1,maybe,,AB,,\ndb:2,include,,AB,,\n")
        later = write(tmp_path / "ta_AB_2.csv", "db:1,exclude,off_topic,AB,,\n")
        sheets = [sheet_at(first), sheet_at(later)]
    got = read(sheets, clusters, CRITERIA)
    study = clusters.filter(pl.col("record_id") == "db:1")["study_id"].item()
    mine = got.filter(pl.col("study_id") == study)
    assert mine.select("reviewer", "decision", "reason").rows() == [("AB", "exclude", "off_topic")]
    assert mine["sheet"].item() == str(later)
    assert got.height == 2
    # the other way round: a maybe after the exclude is refused, naming both rows
    with pytest.raises(
        screen.ScreeningError, match=r"AB decided 'maybe' for study .* but 'exclude' at "
    ):
        read(list(reversed(sheets)) if not same_sheet else [sheet_at(write(tmp_path / "r.csv",
             "db:1,exclude,off_topic,AB,,\ndb:1,maybe,,AB,,\n"))], clusters, CRITERIA)  # fmt: skip


def test_a_worklists_placeholder_reviewer_gives_way_to_the_sheets_reviewer(
    tmp_path: Path, review: tuple[pl.DataFrame, ...]
) -> None:
    """A worklist for an unnamed reviewer carries `reviewer` in its reviewer column; listed
    with `reviewer: AB` (as the README shows), its rows are AB's, not "reviewer"'s."""
    _, clusters, _ = review
    path = tmp_path / "worklist.csv"
    pl.DataFrame(
        {"record_id": ["db:1", "db:2"], "decision": ["include", "include"],
         "reviewer": ["reviewer", "CD"]}
    ).write_csv(path)  # fmt: skip
    sheet = screen.Sheet(str(path), "title_abstract", storage.read_sheet(path), reviewer="AB")
    for read in (screen.read_decisions, sheets_mod.read_decisions_rowwise):
        got = read([sheet], clusters, CRITERIA)
        assert sorted(got["reviewer"].to_list()) == ["AB", "CD"]  # a named reviewer stays


def test_a_study_a_reviewer_said_maybe_to_comes_back_in_their_worklist(
    tmp_path: Path, review: tuple[pl.DataFrame, ...]
) -> None:
    """One reviewer marked a study maybe: it was pending (maybe) but in no worklist, so it was
    never seen again. It is back in the reviewer's worklist; their decision replaces it."""
    _, clusters, studies = review
    one = screen.Settings.from_config({"stages": {"title_abstract": {"names": ["AB"]}}})
    first = write(tmp_path / "ab.csv", "db:1,maybe,,AB,,\ndb:2,include,,AB,,\n")
    decisions = screen.read_decisions([sheet_at(first)], clusters, CRITERIA)
    auto = screen.automatic_exclusions(studies, [])
    status = screen.screening_status(studies, decisions, auto, one.needed(), CRITERIA)
    maybe = study_of(clusters, "db:1")
    assert status.filter(pl.col("study_id") == maybe)["pending_kind"].item() == "maybe"
    listed = worklists.worklists(studies, status, decisions, one)[("title_abstract", "AB")]
    assert maybe in listed["study_id"].to_list()
    assert study_of(clusters, "db:2") not in listed["study_id"].to_list()
    notes = dict(zip(listed["study_id"], listed["note"], strict=True))
    assert notes[maybe] == f"you marked it maybe ({first}, row 2)"  # where to change it
    assert {n for s, n in notes.items() if s != maybe} == {None}
    # the filled worklist, listed as a further sheet: the maybe is replaced, nothing waits on it
    filled = listed.filter(pl.col("study_id") == maybe).with_columns(
        decision=pl.lit("include"), reviewer=pl.lit("AB")
    )
    again = screen.read_decisions(
        [sheet_at(first), screen.Sheet("w.csv", "title_abstract", filled)], clusters, CRITERIA
    )
    status = screen.screening_status(studies, again, auto, one.needed(), CRITERIA)
    assert status.filter(pl.col("study_id") == maybe)["title_abstract"].item() == "include"
    assert (
        maybe
        not in worklists.worklists(studies, status, again, one)[("title_abstract", "AB")][
            "study_id"
        ].to_list()
    )


def test_a_consensus_row_overturning_an_agreed_decision_is_a_finding(
    tmp_path: Path, review: tuple[pl.DataFrame, ...]
) -> None:
    """Both reviewers included db:1; a consensus row excludes it. The consensus stands (it is
    final), but the flip is counted and is a data-quality warning naming the study; a
    consensus row that agrees with them, or resolves a conflict, is neither."""
    from scoping_review import ledger, quality

    _, clusters, _studies = review
    decisions = dual_decisions(
        tmp_path,
        clusters,
        "db:1,exclude,off_topic,consensus,2024-03-01,\n"
        "db:2,include,,consensus,2024-03-01,\ndb:4,include,,consensus,2024-03-01,\n",
    )
    counts = screen.dual_counts(screen.conflicts_table(decisions), decisions)
    by_id = {c.count_id: c for c in counts}
    flipped = by_id["consensus.title_abstract.overrides_agreement"]
    assert list(flipped.ids) == [study_of(clusters, "db:1")]
    assert "consensus.full_text.overrides_agreement" not in by_id
    found = quality.consensus_override_findings(ledger.to_frame(counts, {}))
    assert [f["check"] for f in found] == ["consensus_overrides_agreement"]
    assert f"decides study {study_of(clusters, 'db:1')} at title and abstract" in str(
        found[0]["message"]
    )


def test_a_maybe_beside_an_include_is_no_conflict(
    tmp_path: Path, review: tuple[pl.DataFrame, ...]
) -> None:
    """AB include, CD maybe: it was a conflict (in conflicts.xlsx) and on CD's worklist at
    once, and the maybe counted in kappa as a third category. A maybe is no decision yet:
    the study waits for CD, is not compared, and is no conflict."""
    _, clusters, studies = review
    ab = write(tmp_path / "ab.csv", "db:1,include,,AB,,\ndb:2,include,,AB,,\n")
    cd = write(tmp_path / "cd.csv", "db:1,maybe,,,,\ndb:2,include,,,,\n")
    decisions = screen.read_decisions([sheet_at(ab), sheet_at(cd, reviewer="CD")], clusters,
                                      CRITERIA)  # fmt: skip
    auto = screen.automatic_exclusions(studies, [])
    status = screen.screening_status(studies, decisions, auto, DUAL.needed(), CRITERIA)
    one = status.filter(pl.col("study_id") == study_of(clusters, "db:1")).row(0, named=True)
    assert (one["title_abstract"], one["pending_kind"]) == ("pending", "maybe")
    assert one["pending_reason"] == "maybe (CD); decided by AB"
    assert screen.conflicts_table(decisions).height == 0
    pairs = screen.independent_pairs(decisions, "title_abstract")
    assert pairs["study_id"].to_list() == [study_of(clusters, "db:2")]
