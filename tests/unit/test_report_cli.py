"""``scoping-review explain`` and ``scoping-review counts`` on a ledger and its run's tables."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from helpers import records
from scoping_review import cli, ledger


def write_run(tmp_path: Path) -> Path:
    """A results folder with a ledger and the records/studies tables explain reads titles from."""
    results = tmp_path / "results"
    (results / "ledger").mkdir(parents=True)
    (results / "01_import").mkdir()
    (results / "02_dedupe").mkdir()
    frame = ledger.to_frame(
        [
            ledger.count_of("new_studies", ["S-1", "S-2"], unit="studies", label="New studies",
                            stage="03_screen", rule="screen", id_kind="study_id"),
            ledger.measure("prevalence.threshold", 2, unit="studies", label="Threshold",
                           stage="05_codes", rule="codes"),
        ],
        {"sheet.csv": "ab" * 32},
    )  # fmt: skip
    frame.write_parquet(results / "ledger/counts.parquet")
    records([{"record_id": "pubmed:1", "title": "A title", "year": 2020}]).write_parquet(
        results / "01_import/records.parquet"
    )
    pl.DataFrame(
        {
            "study_id": ["S-1", "S-2"],
            "title": ["First <script>study</script>", None],
            "year": [2019, None],
            "databases": [["PubMed", "WoS"], ["WoS"]],
        },
        schema_overrides={"year": pl.Int64},
    ).write_parquet(results / "02_dedupe/studies.parquet")
    return results / "ledger/counts.parquet"


def test_explain_lists_ids_with_title_year_source(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_run(tmp_path)
    assert cli.main(["explain", "new_studies", "--ledger", str(path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "new_studies = 2 studies: New studies"
    assert "    S-1\t2019\tPubMed, WoS\tFirst <script>study</script>" in out
    assert "    S-2\t\tWoS\t" in out
    assert cli.main(["explain", "new_studies", "--ids", "--ledger", str(path)]) == 0
    assert capsys.readouterr().out == "S-1\nS-2\n"
    assert cli.main(["explain", "prevalence.threshold", "--ledger", str(path)]) == 0
    assert "not a count of identifiable things" in capsys.readouterr().out


def test_counts_lists_every_count(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_run(tmp_path)
    assert cli.main(["counts", "--ledger", str(path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in out] == ["new_studies", "prevalence.threshold"]
    assert "2 studies" in out[0] and "03_screen/screen" in out[0]
    assert cli.main(["counts", "--prefix", "nothing.", "--ledger", str(path)]) == 1


def test_counts_and_explain_read_the_review_folder_given(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """--directory names the review, as for run and update; outside it, no ledger is said
    with what to do, not as a bare file error."""
    write_run(tmp_path / "review")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert cli.main(["counts", "--directory", str(tmp_path / "review")]) == 0
    assert capsys.readouterr().out.split()[0] == "new_studies"
    assert cli.main(["explain", "new_studies", "--ids", "--directory", "../review"]) == 0
    assert capsys.readouterr().out == "S-1\nS-2\n"
    assert cli.main(["counts"]) == 1
    assert capsys.readouterr().err == (
        "error: no counts ledger at results/ledger/counts.parquet\n"
        "what to do: run the workflow first (scoping-review run --directory .), or name the "
        "review folder with --directory\n"
    )
    assert cli.main(["explain", "new_studies", "--ledger", "nope.parquet"]) == 1
    assert capsys.readouterr().err == (
        "error: no counts ledger at nope.parquet\nwhat to do: give the path of a ledger a run "
        "wrote (results/ledger/counts.parquet in the review folder)\n"
    )


def test_explain_says_what_each_finding_of_a_check_is(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_run(tmp_path)
    results = path.parent.parent
    (results / "quality").mkdir()
    pl.DataFrame(
        {
            "issue_id": ["missing_doi:pubmed:1"],
            "check": ["missing_doi"],
            "severity": ["warning"],
            "subject": ["pubmed:1"],
            "message": ["Record pubmed:1 has no DOI"],
            "where": ["pubmed.nbib line 12"],
            "ids": [["pubmed:1"]],
        }
    ).write_parquet(results / "quality/issues.parquet")
    frame = pl.read_parquet(path)
    extra = ledger.to_frame(
        [ledger.count_of("quality.check.missing_doi", ["missing_doi:pubmed:1"], unit="findings",
                         label="Findings of check missing_doi", stage="quality", rule="quality",
                         id_kind="issue_id")],
        {"issues.parquet": "cd" * 32},
    )  # fmt: skip
    pl.concat([frame, extra]).write_parquet(path)
    assert cli.main(["explain", "quality.check.missing_doi", "--ledger", str(path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "    missing_doi:pubmed:1\t\tpubmed.nbib line 12\tRecord pubmed:1 has no DOI" in out
