"""`make bench`'s driver end to end on a 2k-record review: one run writes RESULTS.md and
results.json, stamped, with every verdict computed (over 30 s on 2 cores: two workflow runs)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_driver_writes_results_from_one_run(tmp_path: Path) -> None:
    out = tmp_path / "out"
    cmd = [sys.executable, str(REPO / "benchmarks" / "bench_all.py"),
           "--sections", "workflow,help,import", "--scales", "2000", "--help-runs", "2",
           "--dry-runs", "1", "--import-n", "300", "--bibtex-n", "20", "--import-repeat", "1",
           "--work", str(tmp_path / "work"), "--out", str(out)]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=900, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-6000:]
    result = json.loads((out / "results.json").read_text(encoding="utf-8"))
    st = result["stamp"]
    assert st["command"].startswith("python benchmarks/bench_all.py --sections workflow,help")
    assert len(st["loadavg_start"]) == len(st["loadavg_end"]) == 3 and st["commit"]
    (scale,) = result["workflow"]["scales"]
    assert scale["full"]["ok"] and scale["update"]["ok"]
    assert scale["counts"]["database_results"] == 2000
    assert scale["update"]["counts"]["database_results"] == 2000 + scale["update"]["added_records"]
    assert scale["update"]["added_records"] > 0 and scale["rules"]["dedupe"]["jobs"] == 1
    rows = {r["format"]: r for r in result["import"]["rows"]}
    assert set(rows) == {"ris", "medline", "bibtex"}
    assert all(r["counts_agree"] for r in rows.values())
    assert all(r["profile"] and r["profile_sample_records"] == r["records"] for r in rows.values())
    assert rows["ris"]["peer_command"]["cpu_s"] > 0 and rows["ris"]["command"]["cpu_s"] > 0
    assert len(result["help"]["runs_s"]) == 2
    by_target = {r["target"]: r for r in result["verdicts"]}
    upd100k = by_target["+1 % update ≤ 25% of the full run at 100k"]
    assert upd100k["verdict"] == "not measured (scale not run)"
    dedupe = [r for t, r in by_target.items() if t.startswith("dedupe ≥")]
    assert dedupe[0]["verdict"] == "not measured (section not run)"
    ris = next(r for t, r in by_target.items() if t.startswith("RIS import"))
    assert ris["verdict"] in ("met", "gap")
    text = (out / "RESULTS.md").read_text(encoding="utf-8")
    assert "## Targets (verdicts computed from the numbers below)" in text
    assert f"Commit `{st['commit']}`" in text and "### Per rule at 2,000 records" in text
    assert st["python_loop_s"] > 0 and "Machine speed: a fixed pure-Python loop" in text
    floor = result["workflow"]["dry_run"]["rule_floor"]
    assert 0 < floor["best_s"] <= max(floor["runs_s"]) and "The start of any rule" in text
