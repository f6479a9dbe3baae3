"""The package ships no test scaffolding: no module imports ``support`` or ``helpers``, and the
modules moved to ``tests/support`` are gone from it."""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "workflow" / "scripts" / "scoping_review"
SCAFFOLDING = {"support", "helpers", "tests", "conftest"}


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_no_package_module_imports_test_scaffolding() -> None:
    modules = sorted(PACKAGE.rglob("*.py"))
    assert len(modules) > 40
    offenders = {
        str(p.relative_to(PACKAGE)): sorted(imported_roots(p) & SCAFFOLDING) for p in modules
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_scaffolding_modules_live_in_tests_support() -> None:
    for gone in ("synthetic.py", "synthetic_corpus.py", "report/sample.py", "dedupe/layout.py"):
        assert not (PACKAGE / gone).exists(), gone


def test_adapters_take_their_job_from_the_typed_accessor() -> None:
    """Every adapter runs ``main(job.current())``; outside Snakemake that is a clear error."""
    import pytest

    from scoping_review import job

    scripts = Path(__file__).resolve().parents[2] / "workflow/scripts"
    for adapter in sorted(scripts.glob("*.py")):
        text = adapter.read_text("utf-8")
        assert text.rstrip().endswith("main(job.current())"), adapter.name
        assert "def main(smk: job.Job) -> None:" in text, adapter.name
    with pytest.raises(RuntimeError, match="no Snakemake job"):
        job.current()


def test_test_module_basenames_are_unique() -> None:
    """pytest's default import mode refuses two test modules of one basename in a whole-suite run
    (a subset that holds only one of them passes, so the clash shows only in CI)."""
    tests = Path(__file__).resolve().parents[1]
    names = Counter(p.name for p in tests.rglob("test_*.py"))
    assert [n for n, k in names.items() if k > 1] == []


def test_no_package_module_over_500_lines() -> None:
    """One job per module: a module past 500 lines is split by job (docs/ARCHITECTURE.md)."""
    long = {
        str(p.relative_to(PACKAGE)): n
        for p in PACKAGE.rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > 500
    }
    assert long == {}
