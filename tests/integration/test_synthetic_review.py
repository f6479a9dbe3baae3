"""The whole workflow on a small synthetic review (the generator behind `make bench`)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "benchmarks"))

import make_corpus  # noqa: E402

pytestmark = pytest.mark.integration


def test_synthetic_review_runs_to_the_report(tmp_path: Path) -> None:
    corpus = make_corpus.build(300, seed=5, update=None)
    make_corpus.write(corpus, tmp_path)
    cmd = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"),
           "--directory", str(tmp_path), "--cores", "2", "--quiet"]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-6000:]
    assert (tmp_path / "results/07_report/index.html").exists()
    ledger = pl.read_parquet(tmp_path / "results/ledger/counts.parquet")
    v = dict(zip(ledger["count_id"], ledger["value"], strict=True))
    assert v["database_results"] == 300
    # every duplicate found (no false merges): one study per generated study
    assert v["records_screened"] + v["records_pending"] == corpus.n_studies
    assert v["new_studies"] == corpus.charting.height
    # per-rule benchmark files for the performance table
    bench = tmp_path / "results/logs/benchmarks"
    assert (bench / "report.tsv").exists() and (bench / "dedupe.tsv").exists()
    assert len(list((bench / "import_search").glob("*.tsv"))) == 4


def test_make_corpus_update_adds_a_round_to_the_folders_own_corpus(tmp_path: Path) -> None:
    script = [sys.executable, str(REPO / "benchmarks" / "make_corpus.py"), str(tmp_path)]

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*script, *args], capture_output=True, text=True, check=False)

    assert "300 records" in run("--records", "300").stdout
    assert "303 records" in run("--update", "0.01").stdout  # round 1 of 300, not 10k
    refused = run("--records", "500", "--update", "0.01")
    assert refused.returncode == 2 and "holds a corpus of 300 records" in refused.stderr
    (tmp_path / "corpus.json").unlink()  # a folder made before the script recorded its corpus
    unknown = run("--update", "0.01")
    assert unknown.returncode == 2 and "no corpus.json" in unknown.stderr
