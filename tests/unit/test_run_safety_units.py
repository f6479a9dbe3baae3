"""The pure parts of run safety (issue 17): config problems, error blocks, data-quality
warnings on searches, carry-over by round, pending never counted as screened, and the
wording of an interim report. The real runs are in tests/integration/test_run_safety.py."""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from helpers import records
from scoping_review import configcheck, dedupe, ledger, quality_exports, screen, storage
from scoping_review.report import Ledger
from scoping_review.report.checklist import screening_text

REPO = Path(__file__).resolve().parents[2]
SCHEMA = yaml.safe_load((REPO / "workflow/schemas/config.schema.yaml").read_text())
TINY = (REPO / "tests/data/tiny_review/config/config.yaml").read_text()


def test_yaml_error_names_file_line_and_column() -> None:
    value, problem = configcheck.parse_yaml("a: 1\nb: [1, 2\nc: 3\n", "cfg.yaml")
    assert value is None
    assert problem is not None and problem.startswith("cfg.yaml, line 3, column 2: not valid YAML")


@given(st.text(max_size=80))
def test_parse_yaml_never_raises(text: str) -> None:
    value, problem = configcheck.parse_yaml(text, "c.yaml")
    assert problem is None or (value is None and problem.startswith("c.yaml"))


def test_unexpected_key_is_named() -> None:
    config = yaml.safe_load(TINY)
    config["searches"][0]["fles"] = config["searches"][0].pop("files")
    lines = configcheck.schema_problems(config, SCHEMA, "c.yaml")
    assert lines == [
        "c.yaml: searches/0/fles (search 'scopus'): unknown key; did you mean 'files'?"
    ]
    assert configcheck.schema_problems([1], SCHEMA, "c.yaml")[0].startswith("c.yaml: (top level)")


def test_a_misspelt_key_is_one_line_that_names_the_key_meant() -> None:
    """A misspelt required key breaks two rules (an unknown key, a missing one): the user reads
    one line, with the key they meant; a key close to nothing lists the keys allowed there."""
    config = yaml.safe_load(TINY)
    config["searches"][1]["fles"] = config["searches"][1].pop("files")
    config["dedup"] = config.pop("dedupe", {})
    config["zzzz"] = 1
    lines = configcheck.schema_problems(config, SCHEMA, "c.yaml")
    assert lines[:2] == [
        "c.yaml: dedup: unknown key; did you mean 'dedupe'?",
        "c.yaml: zzzz: unknown key; the keys here are " + ", ".join(sorted(SCHEMA["properties"])),
    ]
    assert lines[2:] == [
        "c.yaml: searches/1/fles (search 'bib'): unknown key; did you mean 'files'?"
    ]
    # a key already given is not suggested: `dates` beside `date` is unknown, not a typo of it
    extra = yaml.safe_load(TINY)
    extra["searches"][0]["dates"] = "2024"
    (line,) = configcheck.schema_problems(extra, SCHEMA, "c.yaml")
    assert line.startswith("c.yaml: searches/0/dates (search 'scopus'): unknown key; the keys")
    # far from every key: the missing key is still said
    config["searches"][1]["qqqq"] = config["searches"][1].pop("fles")
    lines = configcheck.schema_problems(config, SCHEMA, "c.yaml")
    assert "c.yaml: searches/1 (search 'bib'): 'files' is a required property" in lines
    assert any(
        line.startswith("c.yaml: searches/1/qqqq (search 'bib'): unknown key; the keys here are ")
        for line in lines
    )


@pytest.mark.parametrize("date", ["2025-13-01", "2025-02-30", "2023-02-29", "2025-00-10"])
def test_a_date_off_the_calendar_is_named(date: str) -> None:
    config = yaml.safe_load(TINY)
    config["searches"][0]["date"] = date
    lines = configcheck.schema_problems(config, SCHEMA, "c.yaml")
    assert lines == [
        f"c.yaml: searches/0/date (search 'scopus'): '{date}' is not a date of the calendar (YYYY-MM-DD)"
    ]


def test_a_run_checks_the_formats_of_its_extended_config_only() -> None:
    """On the config Snakemake validated and the API rounds extended (searches with keys of
    their own), a run checks only what validate cannot: dates of the calendar."""
    config = yaml.safe_load(TINY)
    config["searches"].append({**config["searches"][0], "id": "x-r002", "api_window": {}})
    assert configcheck.schema_problems(config, SCHEMA, "c.yaml", formats_only=True) == []
    config["searches"][-1]["date"] = "2025-02-30"
    assert configcheck.schema_problems(config, SCHEMA, "c.yaml", formats_only=True) == [
        "c.yaml: searches/2/date (search 'x-r002'): '2025-02-30' is not a date of the calendar (YYYY-MM-DD)"
    ]


def test_an_unquoted_date_is_told_to_be_quoted() -> None:
    config = yaml.safe_load(TINY)
    config["searches"][0]["date"] = yaml.safe_load("2024-02-29")  # YAML's date, not text
    lines = configcheck.schema_problems(config, SCHEMA, "c.yaml")
    assert lines == [
        "c.yaml: searches/0/date (search 'scopus'): write the date in quotes, as text: \"2024-02-29\" "
        "(YAML reads an unquoted date as a date)"
    ]
    config["searches"][0]["date"] = "2024-02-29"  # a leap day is a date
    assert configcheck.schema_problems(config, SCHEMA, "c.yaml") == []


def test_every_listed_file_is_checked() -> None:
    config = yaml.safe_load(TINY)
    listed = configcheck.listed_files(config)
    assert ("search 'bib'", "searches/1/files/0", "inputs/extra.bib") in listed
    assert (
        "full_text screening sheet",
        "screening/sheets/1/path",
        "inputs/full_text.csv",
    ) in listed
    assert {key for _, key, _ in listed} >= {"charting/sheet", "coding/codebook"}
    missing = configcheck.missing_files(config, lambda p: p != "inputs/full_text.csv", "c.yaml")
    assert missing == [
        "c.yaml: screening/sheets/1/path: full_text screening sheet lists inputs/full_text.csv, "
        "which does not exist"
    ]
    assert configcheck.what_to_do(missing) == configcheck.WHAT_TO_DO_FILE
    everything = configcheck.problems(TINY, SCHEMA, lambda p: True, "c.yaml")
    assert everything == []
    # a folder listed as a file is said to be one
    folder = configcheck.missing_files(
        config, lambda p: p != "inputs/extra.bib", "c.yaml", lambda p: p == "inputs/extra.bib"
    )
    assert folder == [
        "c.yaml: searches/1/files/0: search 'bib' lists inputs/extra.bib, which is a folder, "
        "not a file: list the files in it one by one"
    ]
    assert configcheck.what_to_do(folder) == configcheck.WHAT_TO_DO_FILE


def test_error_block_for_an_input_problem_and_for_a_bug() -> None:
    block = storage.error_block("screen", ValueError("s.csv, row 3: bad\nmore"), "logs/s.log")
    assert block.splitlines() == [
        "error in rule screen:",
        "  s.csv, row 3: bad",
        "  more",
        "  what to do: correct the file, row or config key named above, then run the same "
        "command again",
        "  details: logs/s.log",
    ]
    bug = storage.error_block("screen", KeyError("x"), "logs/s.log")
    assert "internal error KeyError" in bug and "bug in scoping-review" in bug


def test_same_file_under_two_searches_and_future_dates_are_warnings() -> None:
    files = pl.DataFrame(
        {
            "source_id": ["a", "b", "c"],
            "path": ["x.ris", "x.ris", "y.ris"],
            "sha256": ["1" * 64, "1" * 64, "2" * 64],
        }
    )
    searches = [
        {"id": "a", "date": "2025-01-01"},
        {"id": "b", "date": "2025-06-02"},
        {"id": "c", "date": "2025-06-01"},
    ]
    found = quality_exports.search_findings(files, searches, "2025-06-01")
    assert [f["check"] for f in found] == ["same_file_in_two_searches", "search_date_future"]
    assert "listed under searches a, b" in str(found[0]["message"])
    assert "'b' is dated 2025-06-02, after the run date 2025-06-01" in str(found[1]["message"])
    assert found[1]["where"] == "config/config.yaml: searches/1/date"
    # two rounds of a saved search may fetch byte-identical pages: not a file listed twice
    pages = pl.DataFrame(
        {
            "source_id": ["pm-r001", "pm-r002"],
            "path": [
                "api_searches/pm/round-001/page-0001.xml",
                "api_searches/pm/round-002/page-0001.xml",
            ],
            "sha256": ["3" * 64, "3" * 64],
        }
    )
    rounds = [{"id": "pm-r001", "date": "2025-01-01", "api": "pubmed", "api_search": "pm"},
              {"id": "pm-r002", "date": "2025-02-01", "api": "pubmed", "api_search": "pm"}]  # fmt: skip
    assert quality_exports.search_findings(pages, rounds, "2025-06-01") == []
    # two saved searches that fetch the same page are still two searches
    other = [rounds[0], {**rounds[1], "api_search": "pm2"}]
    (found_twice,) = quality_exports.search_findings(pages, other, "2025-06-01")
    assert found_twice["check"] == "same_file_in_two_searches"


@pytest.fixture
def two_rounds() -> tuple[pl.DataFrame, pl.DataFrame]:
    """Round 1 (searched 2025-01-01) and a round-2 duplicate searched 2025-02-01."""
    recs = records(
        [
            {"record_id": "r1:1", "title": "A distinct study title number one", "year": 2020,
             "search_date": "2025-01-01", "doi": "10.1/1"},
            {"record_id": "r2:1", "title": "A distinct study title number one", "year": 2020,
             "search_date": "2025-02-01", "doi": "10.1/1", "abstract": "An abstract."},
        ]
    )  # fmt: skip
    clusters, _ = dedupe.deduplicate(recs)
    return recs, clusters


def decisions(clusters: pl.DataFrame, date: str) -> pl.DataFrame:
    frame = pl.DataFrame(
        {"record_id": ["r1:1"], "decision": ["include"], "reviewer": ["AB"], "date": [date]}
    )
    return screen.read_decisions([screen.Sheet("ta.csv", "title_abstract", frame)], clusters, [])


@pytest.mark.parametrize("decided", ["2025-01-15", "2025-03-01"])
def test_carry_over_by_round_whatever_the_dates(
    two_rounds: tuple[pl.DataFrame, pl.DataFrame], decided: str
) -> None:
    recs, clusters = two_rounds
    carried = screen.carry_over(clusters, recs, decisions(clusters, decided), {"r1": 1, "r2": 2})
    assert carried["record_id"].to_list() == ["r2:1"]
    assert carried["adds_abstract"].to_list() == [True]
    counts = {c.count_id: c.value for c in screen.carry_over_counts(carried)}
    assert counts["screen.carried_over"] == 1


def test_same_round_records_are_not_carried_over(
    two_rounds: tuple[pl.DataFrame, pl.DataFrame],
) -> None:
    recs, clusters = two_rounds
    both_round_1 = {"r1": 1, "r2": 1}
    carried = screen.carry_over(clusters, recs, decisions(clusters, "2025-03-01"), both_round_1)
    assert carried.is_empty()


def test_pending_is_never_counted_as_screened_or_assessed() -> None:
    studies = pl.DataFrame(
        {"study_id": ["S1", "S2", "S3"], "representative_record_id": ["a:1", "a:2", "a:3"]}
    )
    status = pl.DataFrame(
        {
            "study_id": ["S1", "S2", "S3"],
            "title_abstract": ["include", "include", "pending"],
            "title_abstract_reason": [None, None, None],
            "full_text": ["include", "pending", None],
            "full_text_reason": [None, None, None],
            "final": ["included", "pending", "pending"],
            "pending_kind": [None, "not_screened", "not_screened"],
        }
    )
    auto = pl.DataFrame(
        {"study_id": [], "rule_id": []}, schema={"study_id": pl.String, "rule_id": pl.String}
    )
    counts = {c.count_id: c for c in screen.screen_counts(status, studies, auto, [])}
    assert counts["records_screened"].ids == ("a:1", "a:2")
    assert counts["records_pending"].ids == ("a:3",)
    assert counts["dbr_assessed"].ids == ("S1",)
    assert counts["dbr_pending"].ids == ("S2",)
    values = {k: c.value for k, c in counts.items()}
    values.update(database_results=3, duplicates=0, excluded_automatic=0, excluded_other=0)
    assert ledger.check_identities(values) == []
    assert "title/abstract" not in counts["records_excluded"].label


def flow_ledger(**values: int) -> Ledger:
    counts = [
        ledger.count_of(k, [f"x{i}" for i in range(v)], unit="records", label=k, stage="t",
                        rule="t", id_kind="record_id")
        for k, v in values.items()
    ]  # fmt: skip
    return Ledger(ledger.to_frame(counts, {"in.csv": "0" * 64}))


def test_methods_describe_the_screening_that_took_place() -> None:
    config = {"screening": {"reviewers_per_stage": 1}}
    waiting = flow_ledger(records_screened=3, records_pending=5, dbr_assessed=0, dbr_pending=0)
    text = str(screening_text(config, waiting))
    assert "every record is screened by one reviewer" in text
    assert "Screening is in progress" in text and "records have been screened" in text
    # nothing screened yet: not "in progress" (the screening section says "not started")
    fresh = flow_ledger(records_screened=0, records_pending=5, dbr_assessed=0, dbr_pending=0)
    text = str(screening_text(config, fresh))
    assert "every record is screened by one reviewer" in text
    assert "Screening has not started" in text and "in progress" not in text
    assert 'data-count-id="records_pending"' in text
    done = flow_ledger(records_screened=5, records_pending=0, dbr_assessed=2, dbr_pending=0)
    text = str(screening_text(config, done))
    assert "every record was screened by one reviewer" in text and "in progress" not in text
    assert "Even so" not in text
    # one reviewer configured, yet two decided some studies (the agreement table shows them):
    # the text says so instead of contradicting the table
    dual = flow_ledger(records_screened=5, records_pending=0, dbr_assessed=2, dbr_pending=0,
                       **{"agreement.title_abstract.compared": 6})  # fmt: skip
    text = str(screening_text(config, dual))
    assert "Even so, some studies were decided by two reviewers independently" in text
    assert 'data-count-id="agreement.title_abstract.compared"' in text


@pytest.mark.parametrize("command", ["explain", "counts"])
def test_subcommand_errors_are_one_block(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from scoping_review import cli

    missing = tmp_path / "none.parquet"
    args = [command, "new_studies"] if command == "explain" else [command]
    assert cli.main([*args, "--ledger", str(missing)]) == 1
    err = capsys.readouterr().err
    assert str(missing) in err and "what to do:" in err and "Traceback" not in err


def _scontrol(folder: Path, body: str) -> None:
    stub = folder / "scontrol"
    stub.write_text(f"#!/bin/sh\n{body}\n")
    stub.chmod(0o755)


@pytest.mark.parametrize(
    ("body", "noted"),
    [
        # the answer of a client whose controller is down (its `show config` then waits 10 s)
        ('echo "Slurmctld(primary) at vm is DOWN"; exit 1', "scontrol ping: Slurmctld(primary) at vm is DOWN"),
        ("sleep 5", "scontrol ping: no answer in 0.5 s"),
        ('echo "Slurmctld(primary) at vm is UP"', None),
        ("exit 1", None),  # a stand-in that fails at once (make bench's): no wait to note
    ],
)  # fmt: skip
def test_a_slurm_client_without_a_controller_is_noted(
    body: str, noted: str | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from scoping_review import runguard

    _scontrol(tmp_path, body)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    # "json" stands for the plugin: a module that is always there
    note = runguard.slurm_pause_note(timeout=0.5, plugin="json")
    if noted is None:
        assert note is None
    else:
        assert note is not None and noted in note and "Running on a SLURM cluster" in note
    # without the plugin Snakemake asks nothing: no note whatever scontrol says
    assert runguard.slurm_pause_note(timeout=0.5, plugin="no_such_plugin_module") is None


def test_no_slurm_client_no_note(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from scoping_review import runguard

    monkeypatch.setenv("PATH", str(tmp_path))  # no scontrol anywhere
    assert runguard.slurm_pause_note(timeout=0.5, plugin="json") is None


def test_the_slurm_note_heads_the_run_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """run and update write the note at the head of the run's log (and on a terminal, to
    stderr), then Snakemake's output after it."""
    import sys

    from scoping_review import runguard

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    _scontrol(bin_dir, 'echo "Slurmctld(primary) at vm is DOWN"; exit 1')
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setattr(runguard, "SLURM_PLUGIN", "json")
    review = tmp_path / "review"
    review.mkdir()
    with runguard.hold(review) as lock:
        rc = runguard.run_workflow([sys.executable, "-c", "print('engine output')"], review, lock)
    assert rc == 0
    lines = (review / runguard.SNAKEMAKE_LOG).read_text().splitlines()
    assert lines[0].startswith("note: SLURM's client is installed but its controller")
    assert lines[1:] == ["engine output"]


def test_an_api_search_with_a_blank_query_and_no_filter_is_refused() -> None:
    """A blank query was valid: OpenAlex, Crossref and Europe PMC would page through every
    record in the window. A filter in ``params`` (an OpenAlex ID list, say) narrows it."""
    config = {
        "searches": [
            {"id": "oa", "database": "OpenAlex", "api": "openalex", "query": "  "},
            {"id": "ids", "database": "OpenAlex", "api": "openalex", "query": "",
             "params": {"filter": "openalex:W1|W2"}},
            {"id": "pm", "database": "PubMed", "api": "pubmed", "query": "alliance[tiab]"},
        ]
    }  # fmt: skip
    (line,) = configcheck.blank_queries(config, "config.yaml")
    assert line.startswith("config.yaml: searches/0/query (search 'oa'): blank, and no params")


def test_run_names_saved_searches_not_fetched_yet(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An API-only review before its first fetch crashed in import_merge ("cannot concat
    empty list"); beside a file search the saved search was skipped without a word."""
    from scoping_review import cli_notes

    (tmp_path / "config").mkdir()
    api = {"id": "oa", "database": "OpenAlex", "api": "openalex", "query": "alliance"}
    config = tmp_path / "config" / "config.yaml"
    config.write_text(yaml.safe_dump({"searches": [api]}))
    assert cli_notes.unfetched(tmp_path) is True
    err = capsys.readouterr().err
    assert "note: saved search 'oa' has no fetched round yet" in err
    assert "error: nothing to import" in err
    files = {"id": "f", "database": "X", "date": "2025-01-01", "files": ["a.ris"]}
    config.write_text(yaml.safe_dump({"searches": [files, api]}))
    assert cli_notes.unfetched(tmp_path) is False  # the file search runs; the note is said
    assert "no fetched round yet" in capsys.readouterr().err


def test_a_schema_problem_and_a_missing_file_are_said_in_one_check() -> None:
    """A stage typo and a missing sheet path took two runs to find: one run names both."""
    text = yaml.safe_dump(
        {
            "searches": [{"id": "a", "database": "X", "date": "2025-01-01", "files": ["a.ris"]}],
            "screening": {"sheets": [{"path": "sheets/ta.csv", "stage": "title_abstract"}],
                          "reviewers_per_stage": "two"},
        }
    )  # fmt: skip
    lines = configcheck.problems(text, SCHEMA, lambda path: path == "a.ris", "c.yaml")
    assert any("reviewers_per_stage" in line for line in lines)
    assert any("lists sheets/ta.csv, which does not exist" in line for line in lines)
    assert configcheck.problems("[1, 2]", SCHEMA, lambda path: True, "c.yaml")  # no crash


def test_studies_without_a_title_are_one_finding() -> None:
    """Records read from a damaged export (a WoS title stuck onto an author) went into
    screening untitled, and the report said nothing."""
    studies = pl.DataFrame({"study_id": ["S-2", "S-1", "S-3"], "title": [None, "  ", "A title"]})
    (found,) = quality_exports.untitled_findings(studies)
    assert found["check"] == "untitled_studies" and found["ids"] == ["S-1", "S-2"]
    assert str(found["message"]).startswith("2 studies have no title in any of their records")
    assert quality_exports.untitled_findings(studies.filter(pl.col("study_id") == "S-3")) == []


def test_an_exception_that_stops_snakemake_before_any_job_is_shown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A plugin that fails while Snakemake starts (SLURM's, with `sinfo` but no `sacct` or
    `squeue` on PATH) used to leave only 'the workflow stopped'; its message is shown."""
    from scoping_review import runguard

    log = tmp_path / "snakemake.log"
    log.write_text(
        "Traceback (most recent call last):\n"
        '  File "/venv/lib/python3.11/site-packages/snakemake_executor_plugin_slurm/__init__.py",'
        " line 87, in _get_status_command_default\n"
        "    raise WorkflowError(\n"
        "snakemake_interface_common.exceptions.WorkflowError: Neither 'sacct' nor 'squeue' "
        "commands are available on this system.\n",
        encoding="utf-8",
    )
    runguard.print_failure(tmp_path / "results", log, 1)
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "error: the workflow stopped (snakemake exit 1)"
    assert err[1] == (
        "  snakemake_interface_common.exceptions.WorkflowError: Neither 'sacct' nor 'squeue' "
        "commands are available on this system."
    )
