from __future__ import annotations

import argparse
import os
import shutil
from pathlib import Path

import polars as pl
import pytest

from scoping_review import cli, ledger

REPO = Path(__file__).resolve().parents[2]


def test_import_reports_reconciliation(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "records.parquet"
    code = cli.main(
        ["import", str(REPO / "tests/data/tiny_review/inputs/scopus.ris"), "--out", str(out)]
    )
    text = capsys.readouterr().out
    assert code == 0
    assert "record starts in the raw text: 4" in text
    assert "has no ER" in text  # the last record lacks its ER and is kept
    assert pl.read_parquet(out).height == 4


def test_import_unknown_format_is_a_clear_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = tmp_path / "notes.txt"
    bad.write_text("hello\n")
    assert cli.main(["import", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "cannot tell the export format" in err
    assert "; declare its format (--format FORMAT); formats: ris, medline, " in err
    assert "config" not in err  # the config's key is not what a command-line user sets


def test_import_of_an_empty_file_says_it_is_empty(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    empty = tmp_path / "update.ris"
    empty.write_bytes(b"")
    assert cli.main(["import", str(empty)]) == 2
    err = capsys.readouterr().err
    assert "the file is empty (0 bytes)" in err and "config" not in err
    assert "If the search found nothing, declare its format (--format FORMAT) and the" in err
    assert cli.main(["import", str(empty), "--format", "ris"]) == 0
    assert "parsed: 0" in capsys.readouterr().out


def test_explain_prints_ids_and_inputs(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    frame = ledger.to_frame(
        [ledger.count_of("new_studies", ["S-1", "S-2"], unit="studies", label="New studies",
                         stage="03_screen", rule="screen", id_kind="study_id")],
        {"sheet.csv": "ab" * 32},
    )  # fmt: skip
    path = tmp_path / "counts.parquet"
    frame.write_parquet(path)
    assert cli.main(["explain", "new_studies", "--ledger", str(path)]) == 0
    text = capsys.readouterr().out
    assert "new_studies = 2 studies: New studies" in text
    assert "input sheet.csv" in text and "S-2" in text
    assert cli.main(["explain", "new", "--ledger", str(path)]) == 1
    assert "did you mean: new_studies" in capsys.readouterr().err
    assert cli.main(["explain", "new_stuides", "--ledger", str(path)]) == 1  # a typo
    assert "did you mean: new_studies" in capsys.readouterr().err
    assert cli.main(["explain", "zzz", "--ledger", str(path)]) == 1
    assert "`scoping-review counts` lists every count ID" in capsys.readouterr().err


def test_check_config(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert cli.main(["check-config", str(REPO / "config/config.yaml")]) == 0
    broken = tmp_path / "config.yaml"
    broken.write_text("review: {title: x}\nsearches: []\n")
    assert cli.main(["check-config", str(broken)]) == 1
    assert "searches" in capsys.readouterr().err


def test_run_passes_snakemake_arguments(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copytree(REPO / "tests/data/tiny_review", tmp_path, dirs_exist_ok=True)
    assert cli.main(["run", "--directory", str(tmp_path), "--", "--dry-run"]) == 0
    assert not (tmp_path / "results").exists()
    # a listing such as --dry-run shows all of Snakemake's output, not just progress lines
    assert "Building DAG of jobs" in capsys.readouterr().out


@pytest.mark.parametrize("command", ["run", "update"])
def test_a_folder_that_is_no_review_is_said_with_what_to_do(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nonexist"
    assert cli.main([command, "--directory", str(missing)]) == 1
    err = capsys.readouterr().err
    assert f"error: {missing} is not a review folder: it does not exist." in err
    assert f"`scoping-review init {missing}`" in err
    assert cli.main([command, "--directory", str(tmp_path)]) == 1
    assert "it has no config/config.yaml" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["run", "update"])
def test_a_review_folder_named_after_the_command_is_pointed_to_directory(
    command: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`scoping-review run myreview` (from a folder that is no review): the words after the
    command are Snakemake's targets, so the error names the folder and the option it needs."""
    review = tmp_path / "myreview"
    (review / "config").mkdir(parents=True)
    (review / "config" / "config.yaml").write_text("review: {}\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert cli.main([command, str(review)]) == 1
    err = capsys.readouterr().err
    assert "error: . is not a review folder: it has no config/config.yaml." in err
    assert f"{review} is one, but the words after `{command}` go to Snakemake" in err
    assert f"what to do: scoping-review {command} --directory {review}" in err
    # a target that is no review folder (a rule name, a file) gets the usual advice
    assert cli.main([command, "report"]) == 1
    err = capsys.readouterr().err
    assert "is one, but" not in err and "`scoping-review init .`" in err
    # from a folder that is a review too: the run would have started on the wrong review
    (elsewhere / "config").mkdir()
    (elsewhere / "config" / "config.yaml").write_text("review: {}\n")
    assert cli.main([command, str(review)]) == 1
    err = capsys.readouterr().err
    assert f"error: {review} is a review folder, but the words after `{command}`" in err
    assert "would have run the review in the current folder" in err


def test_counts_after_a_failed_run_say_they_are_the_run_befores(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    frame = ledger.to_frame(
        [ledger.count_of("new_studies", ["S-1"], unit="studies", label="New studies",
                         stage="03_screen", rule="screen", id_kind="study_id")],
        {"sheet.csv": "ab" * 32},
    )  # fmt: skip
    path = tmp_path / "results" / "ledger" / "counts.parquet"
    path.parent.mkdir(parents=True)
    frame.write_parquet(path)
    assert cli.main(["counts", "--ledger", str(path)]) == 0
    assert "note:" not in capsys.readouterr().err
    error = tmp_path / "results" / "logs" / "screen.log.error"
    error.parent.mkdir(parents=True)
    error.write_text("error in rule screen: ...\n")
    os.utime(path, (1000.0, 1000.0))  # the ledger is older than the failure
    for command in (["counts"], ["explain", "new_studies"]):
        assert cli.main([*command, "--ledger", str(path)]) == 0
        err = capsys.readouterr().err
        assert "note: the last run failed (results/logs/screen.log.error)" in err, command


def test_every_option_of_every_command_says_what_it_is() -> None:
    """`scoping-review CMD --help` explains each option and argument (a bare `--source-id
    SOURCE_ID` left a new user guessing), and the exit statuses of run and update include the
    ones a scheduler's user meets: 130 (Ctrl-C) and 143 (SIGTERM)."""
    parser = cli.build_parser()
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    unexplained = [
        f"{name} {act.option_strings or act.dest}"
        for name, command in sub.choices.items()
        for act in command._actions
        if not act.help
    ]
    assert unexplained == []
    for name in ("run", "update"):
        description = sub.choices[name].description or ""
        assert "130 interrupted" in description and "143 terminated" in description


def test_screen_port_must_be_a_port_number(capsys: pytest.CaptureFixture[str]) -> None:
    """99999 was wrapped to 34463 by the socket layer: refused before anything starts."""
    for bad in ("99999", "0", "-1", "http"):
        with pytest.raises(SystemExit) as exit_info:
            cli.build_parser().parse_args(["screen", "--reviewer", "AB", "--port", bad])
        assert exit_info.value.code == 2
        assert "is not a port number (1 to 65535)" in capsys.readouterr().err
    args = cli.build_parser().parse_args(["screen", "--reviewer", "AB", "--port", "18765"])
    assert args.port == 18765


def test_counts_during_a_run_say_a_run_is_under_way(tmp_path: Path) -> None:
    """`counts` while `update` worked showed the last run's values without a word."""
    import subprocess
    import sys

    from scoping_review import cli_ledger

    ledger_path = tmp_path / "results" / "ledger" / "counts.parquet"
    ledger_path.parent.mkdir(parents=True)
    assert cli_ledger.running_note(ledger_path) is None
    # a process whose command line names snakemake, working in the review folder
    busy = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(30)", "snakemake"], cwd=tmp_path
    )
    try:
        note = cli_ledger.running_note(ledger_path)
    finally:
        busy.kill()
        busy.wait()
    assert note is not None and "a run of this review is under way" in note


def test_run_ends_saying_how_many_data_quality_findings_need_a_look(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Errors and warnings by check, most first; confirmed claims (info) are not counted."""
    from scoping_review import cli_notes

    cli_notes.quality_summary(tmp_path)  # no run yet: nothing said
    assert capsys.readouterr().err == ""
    (tmp_path / "results" / "quality").mkdir(parents=True)
    checks = ["unknown_code"] * 3 + ["not_included", "claim_confirmed", "claim_confirmed"]
    severity = ["warning"] * 3 + ["error", "info", "info"]
    pl.DataFrame({"check": checks, "severity": severity}).write_parquet(
        tmp_path / "results" / "quality" / "issues.parquet"
    )
    cli_notes.quality_summary(tmp_path)
    said = capsys.readouterr().err
    assert said.startswith("data quality: 1 error, 3 warnings (unknown_code 3, not_included 1)")
    assert said.rstrip().endswith("07_report/index.html#quality")
