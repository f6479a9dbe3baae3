"""A hurried user's slips at the command line get a message that says what to do, never a
traceback, a hang or a whole-database download (found by a new user's try)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from scoping_review import cli

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("value", ["0", "-3", "two", ""])
def test_cores_must_be_a_number_of_cores(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    """--cores 0 made Snakemake wait for ever; -3 ran jobs with -3 threads; 'two' was a failed
    workflow (exit 1) instead of a usage error."""
    for command in ("run", "update"):
        with pytest.raises(SystemExit) as stop:
            cli.main([command, "--cores", value])
        assert stop.value.code == 2
        assert "is not a number of cores (1, 2, ... or 'all')" in capsys.readouterr().err
    assert cli.cli_notes.cores("all") == "all" and cli.cli_notes.cores("3") == "3"


def review(tmp_path: Path) -> Path:
    workdir = tmp_path / "a review"
    shutil.copytree(REPO / "tests/data/tiny_review", workdir)
    return workdir


def test_search_checks_the_config_before_fetching(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`query` misspelt as `querry` read as no query: search fetched the whole of OpenAlex
    (run and check-config refused it); `api: openalx` was a KeyError traceback."""
    workdir = review(tmp_path)
    config = workdir / "config/config.yaml"
    text = config.read_text()
    head, sep, rest = text.partition("searches:\n")
    block = "  - {id: oa, database: OpenAlex, date: '2025-01-01', api: openalex, querry: rupture}\n"
    config.write_text(head + sep + block + rest)
    assert cli.main(["search", "--directory", str(workdir)]) == 1
    err = capsys.readouterr().err
    assert "querry" in err and "nothing was run" in err
    config.write_text(head + sep + block.replace("openalex, querry", "openalx, query") + rest)
    assert cli.main(["search", "--directory", str(workdir)]) == 1
    err = capsys.readouterr().err
    assert "openalx" in err and "Traceback" not in err


def test_screening_commands_say_what_the_folder_lacks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """No config: not "run the workflow first"; no results: a raw polars error before; a YAML
    slip: a PyYAML traceback."""
    empty = tmp_path / "empty"
    empty.mkdir()
    out = str(tmp_path / "p.ris")
    assert (
        cli.main(["export-pending", "--directory", str(empty), "--tool", "rayyan", "--out", out])
        == 2
    )
    assert "is not a review folder (no config/config.yaml)" in capsys.readouterr().err
    workdir = review(tmp_path)
    assert (
        cli.main(["export-pending", "--directory", str(workdir), "--tool", "rayyan", "--out", out])
        == 2
    )
    err = capsys.readouterr().err
    assert f"has no screening results yet: run `scoping-review run --directory '{workdir}'`" in err
    decisions = tmp_path / "rayyan.csv"
    decisions.write_text("key,title\n")
    args = ["import-decisions", str(decisions), "--directory", str(workdir), "--tool", "rayyan",
            "--out", str(tmp_path / "o.csv")]  # fmt: skip
    assert cli.main(args) == 2
    assert "has no screening results yet" in capsys.readouterr().err
    args[1] = str(tmp_path / "no-such-export.csv")
    assert cli.main(args) == 2
    assert "no-such-export.csv: cannot read (No such file or directory)" in capsys.readouterr().err
    (workdir / "config/config.yaml").write_text("review: {title: [unclosed\n")
    for argv in (["export-pending", "--directory", str(workdir), "--tool", "rayyan", "--out", out],
                 ["screen", "--directory", str(workdir), "--reviewer", "AB"]):  # fmt: skip
        assert cli.main(argv) == 2
        err = capsys.readouterr().err
        assert "not valid YAML" in err and "Traceback" not in err


def test_init_quotes_the_folder_in_the_command_it_suggests(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "Revue été 2026"
    assert cli.main(["init", str(target), "--title", "A review"]) == 0
    said = capsys.readouterr().out
    assert f"run --directory '{target}'" in said


def test_a_read_only_review_is_said_as_such(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read-only mount gave "[Errno 30] ... scoping-review.lock" and "check the file or value
    named above"; root cannot make a folder read-only here, so the lock's open fails as the
    mount's would."""
    import errno

    from scoping_review import runguard

    workdir = review(tmp_path)
    lock = str(workdir / runguard.LOCK_NAME)

    def read_only(directory: Path) -> None:
        raise OSError(errno.EROFS, "Read-only file system", lock)

    monkeypatch.setattr(runguard, "hold", read_only)
    assert cli.main(["run", "--directory", str(workdir)]) == 1
    err = capsys.readouterr().err
    assert f"error: cannot write {lock}: Read-only file system" in err
    assert "work in a copy of the review you can write" in err
    assert "check the file or value" not in err
