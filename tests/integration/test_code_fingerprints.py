"""Per-rule code fingerprints: a rule re-runs when the code it uses changes, not when any does.

Real Snakemake on a copy of the workflow (so the test can edit package files): the tiny review is
run up to dedupe, then a report-only module and a dedupe module are edited in turn and a dry run
says which jobs would run.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from scoping_review.fingerprint import code_fingerprint, module_closure

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = REPO / "workflow/scripts"
PACKAGE = SCRIPTS / "scoping_review"
pytestmark = pytest.mark.integration

DEDUPE_TARGET = "results/02_dedupe/clusters.parquet"
REPORT_ONLY = "report/figures/charts.py"
DEDUPE_MODULE = "dedupe/pipeline.py"


def test_closures_follow_imports_and_keep_stages_apart() -> None:
    dedupe = {
        p.relative_to(PACKAGE).as_posix() for p in module_closure(SCRIPTS / "dedupe.py", PACKAGE)
    }
    report = {
        p.relative_to(PACKAGE).as_posix() for p in module_closure(SCRIPTS / "report.py", PACKAGE)
    }
    # direct, through a package __init__ (relative imports), and parents run on import
    assert {"__init__.py", "dedupe/__init__.py", DEDUPE_MODULE, "storage.py"} <= dedupe
    assert {REPORT_ONLY, "report/__init__.py", "report/figures/__init__.py"} <= report
    assert REPORT_ONLY not in dedupe
    assert not any(name.startswith("report/") for name in dedupe)
    # dedupe reads the app's pair sheets, not the screening: an edit to the ranking, the
    # worklists or the screening rules must not force a from-scratch dedupe of a large corpus
    later = {"worklists.py", "prioritisation.py", "ranking.py", "living_rounds.py", "stopping.py"}
    assert not dedupe & later, dedupe & later
    assert not any(name.startswith(("screen/", "prioritisation/")) for name in dedupe)


def test_fingerprint_changes_only_with_the_closure(tmp_path: Path) -> None:
    copy = tmp_path / "scripts"
    shutil.copytree(SCRIPTS, copy, ignore=shutil.ignore_patterns("__pycache__"))
    package = copy / "scoping_review"
    before = code_fingerprint(copy / "dedupe.py", package)
    assert before == code_fingerprint(SCRIPTS / "dedupe.py", PACKAGE)
    with (package / REPORT_ONLY).open("a") as handle:
        handle.write("# edited\n")
    assert code_fingerprint(copy / "dedupe.py", package) == before
    with (package / DEDUPE_MODULE).open("a") as handle:
        handle.write("# edited\n")
    assert code_fingerprint(copy / "dedupe.py", package) != before
    with (copy / "dedupe.py").open("a") as handle:
        handle.write("# edited\n")
    assert len({before, code_fingerprint(copy / "dedupe.py", package)}) == 2


def snakemake(repo: Path, workdir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "snakemake", "--snakefile", str(repo / "Snakefile"),
           "--directory", str(workdir), "--cores", "2", *args]  # fmt: skip
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)


def test_editing_a_report_module_does_not_rerun_dedupe(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    shutil.copy(REPO / "Snakefile", repo / "Snakefile")
    shutil.copytree(
        REPO / "workflow", repo / "workflow", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copy(REPO / "environment.yml", repo / "environment.yml")
    workdir = tmp_path / "review"
    shutil.copytree(REPO / "tests/data/tiny_review", workdir)
    done = snakemake(repo, workdir, DEDUPE_TARGET)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    package = repo / "workflow/scripts/scoping_review"

    with (package / REPORT_ONLY).open("a") as handle:
        handle.write("# a report-only edit\n")
    dry = snakemake(repo, workdir, "--dry-run", DEDUPE_TARGET)
    assert dry.returncode == 0, dry.stderr[-3000:]
    assert "Nothing to be done" in dry.stdout + dry.stderr
    whole = snakemake(repo, workdir, "--dry-run")
    assert whole.returncode == 0, whole.stderr[-3000:]
    assert "rule report:" in whole.stdout and "rule dedupe:" not in whole.stdout

    with (package / DEDUPE_MODULE).open("a") as handle:
        handle.write("# a dedupe edit\n")
    dry = snakemake(repo, workdir, "--dry-run", DEDUPE_TARGET)
    assert dry.returncode == 0, dry.stderr[-3000:]
    assert "rule dedupe:" in dry.stdout
    assert "rule import_merge:" not in dry.stdout and "rule import_search:" not in dry.stdout
