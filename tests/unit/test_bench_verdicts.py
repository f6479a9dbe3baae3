"""The benchmark's verdicts are computed from numbers; accuracy is pooled over pairs; the stamp."""

from __future__ import annotations

import copy
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "benchmarks"))

import bench_all  # noqa: E402
import bench_dedupe  # noqa: E402
import results_md  # noqa: E402
import stamp  # noqa: E402
import verdicts  # noqa: E402

ALLOWED = {"met", "gap", "–"}


def _rules(**walls: float) -> dict[str, dict[str, float]]:
    return {n: {"s": s, "cpu_s": s, "max_rss_mib": 100.0, "jobs": 1} for n, s in walls.items()}


def _scale(n: int, wall: float, update_wall: float | None = None) -> dict[str, Any]:
    row: dict[str, Any] = {
        "records": n,
        "studies": n * 7 // 10,
        "full": {"ok": True, "wall_s": wall, "cpu_s": wall * 1.2, "peak_rss_mib": 500.0},
        "rules": _rules(dedupe=wall * 0.4, report=wall * 0.3, screen=wall * 0.1),
    }
    if update_wall is not None:
        row["update"] = {
            "ok": True, "wall_s": update_wall, "cpu_s": update_wall, "peak_rss_mib": 400.0,
            "added_records": n // 100, "ratio": update_wall / wall,
            "rules": _rules(dedupe=update_wall * 0.6, report=update_wall * 0.3),
        }  # fmt: skip
    return row


def _result(**sections: Any) -> dict[str, Any]:
    return {"stamp": {}, "sections": list(sections), **sections}


def _by_target(result: dict[str, Any]) -> dict[str, dict[str, str]]:
    return {r["target"]: r for r in verdicts.verdicts(result)}


def _find(rows: dict[str, dict[str, str]], start: str) -> dict[str, str]:
    (row,) = [r for t, r in rows.items() if t.startswith(start)]
    return row


def _workflow(*scales: dict[str, Any]) -> dict[str, Any]:
    dry = {"best_s": 1.4, "runs_s": [1.4, 1.5], "best_cpu_s": 1.5, "snakemake_floor_s": 1.1,
           "snakemake_floor_cpu_s": 1.2}  # fmt: skip
    return {"update": 0.01, "dry_run": dry, "scales": list(scales)}


def test_nothing_run_is_never_met() -> None:
    rows = verdicts.verdicts(_result())
    assert rows, "no target rows"
    for row in rows:
        assert row["verdict"] == "–" or row["verdict"].startswith("not measured"), row
    assert _find(_by_target(_result()), "+1 % update ≤ 25%")["verdict"] == verdicts.NOT_RUN_SECTION


def test_update_and_end_to_end_met_at_100k_and_larger_scales_not_measured() -> None:
    rows = _by_target(_result(workflow=_workflow(_scale(100_000, 20.0, 4.0))))
    assert _find(rows, "+1 % update ≤ 25%")["verdict"] == "met"
    assert "20%" in _find(rows, "+1 % update ≤ 25%")["measured"]
    assert _find(rows, "100k records end to end")["verdict"] == "met"
    for start in ("+1 % update ≤ 10%", "1M records end to end", "peak RSS", "2M records"):
        assert _find(rows, start)["verdict"] == verdicts.NOT_RUN_SCALE, start


def test_gaps_name_their_measured_cause() -> None:
    rows = _by_target(_result(workflow=_workflow(_scale(100_000, 40.0, 30.0))))
    update = _find(rows, "+1 % update ≤ 25%")
    assert update["verdict"] == "gap"
    assert update["cause"].startswith("largest rules: dedupe 18.0 s wall (60%), 18.0 s CPU")
    assert update["cause"].endswith(
        "outside the rules (Snakemake itself, or CPU the sampling missed) 3.0 s CPU"
    )
    e2e = _find(rows, "100k records end to end")
    assert e2e["verdict"] == "gap" and "dedupe 16.0 s wall (40%)" in e2e["cause"]


def test_a_gaps_rules_carry_what_their_logs_say_of_their_work() -> None:
    scale = _scale(100_000, 40.0, 30.0)
    scale["update"]["notes"] = {"dedupe": "1010 records -> 708 studies; 9 pairs compared"}
    scale["notes"] = {"report": "figures: 19 renderings drawn, 0 reused"}
    rows = _by_target(_result(workflow=_workflow(scale)))
    update = _find(rows, "+1 % update ≤ 25%")["cause"]
    assert "dedupe 18.0 s wall (60%), 18.0 s CPU [log: 1010 records -> 708 studies;" in update
    assert "figures:" not in update  # the full run's note is not the update's
    e2e = _find(rows, "100k records end to end")["cause"]
    assert "report 12.0 s wall (30%), 12.0 s CPU [log: figures: 19 renderings drawn" in e2e


def test_log_notes_quote_each_rules_last_marked_line_written_since(tmp_path: Path) -> None:
    import os

    import bench_workflow

    logs = tmp_path / "results" / "logs"
    logs.mkdir(parents=True)
    (logs / "rank.log").write_text(
        "INFO ranking term cache: none\nINFO rank phases, wall s: features 1.00\n"
        "INFO rank phases, wall s: features 2.00; living rounds: 1 evaluated anew\n"
    )
    (logs / "report.log").write_text("INFO listings written\n")  # no marked line
    (logs / "screen.log").write_text("INFO 5 decisions\nINFO screen phases, wall s: counts 0.50\n")
    (logs / "dedupe.log").write_text(
        "INFO dedupe state: reusing 9 records' keys\nINFO 10 records -> 7 studies; 3 pairs\n"
        "INFO dedupe phases, wall s: keys 0.10, clustering 0.20\n"
    )
    os.utime(logs / "dedupe.log", (1000.0, 1000.0))  # written before the run asked about
    notes = bench_workflow.log_notes(tmp_path, since=2000.0)
    assert notes == {
        "rank": "rank phases, wall s: features 2.00; living rounds: 1 evaluated anew",
        "screen": "screen phases, wall s: counts 0.50",
    }
    (logs / "report.log").write_text(
        "INFO figures: 3 renderings drawn, 0 reused\nINFO report written\n"
        "INFO report phases, wall s: inputs read 0.20, figures drawn 1.50\n"
    )
    assert bench_workflow.log_notes(tmp_path)["report"] == (
        "report phases, wall s: inputs read 0.20, figures drawn 1.50 / "
        "figures: 3 renderings drawn, 0 reused"
    )
    assert bench_workflow.log_notes(tmp_path)["dedupe"] == (
        "dedupe phases, wall s: keys 0.10, clustering 0.20 / "
        "dedupe state: reusing 9 records' keys / 10 records -> 7 studies; 3 pairs"
    )


def test_peak_memory_gap_names_the_process_and_a_failed_scale_is_a_gap() -> None:
    big = _scale(1_000_000, 300.0, 20.0)
    big["rules"]["dedupe"]["max_rss_mib"] = 7 * 1024.0
    failed = _scale(2_000_000, 50.0)
    failed["full"] = {"ok": False, "error": "exit 1: MemoryError", "wall_s": 50.0}
    rows = _by_target(_result(workflow=_workflow(big, failed)))
    peak = _find(rows, "peak RSS")
    assert peak["verdict"] == "gap" and "rule dedupe" in peak["cause"]
    assert _find(rows, "1M records end to end")["verdict"] == "met"
    assert _find(rows, "+1 % update ≤ 10%")["verdict"] == "met"  # 20 / 300 s
    two = _find(rows, "2M records")
    assert two["verdict"] == "gap" and "MemoryError" in two["cause"]


def test_a_rules_memory_is_its_proportional_set_size_where_the_file_gives_one() -> None:
    """Snakemake sums the RSS of a rule's processes: a forked worker's pages shared with the
    rule's process count twice there, once in the PSS; the getrusage peak still counts."""
    big = _scale(1_000_000, 300.0, 20.0)
    big["rules"]["screen"]["max_rss_mib"] = 9 * 1024.0  # the process and two forked workers
    big["rules"]["screen"]["max_pss_mib"] = 5 * 1024.0
    peak = _find(_by_target(_result(workflow=_workflow(big))), "peak RSS")
    assert peak["verdict"] == "met" and "5.00 GiB" in peak["measured"]
    big["full"]["peak_rss_mib"] = 6.5 * 1024.0  # one process above the target
    peak = _find(_by_target(_result(workflow=_workflow(big))), "peak RSS")
    assert peak["verdict"] == "gap" and "6.50 GiB" in peak["measured"]


def test_the_updates_peak_is_shown_beside_the_end_to_end_runs() -> None:
    """The target is the end-to-end run's; an update above the line is shown, not hidden."""
    big = _scale(1_000_000, 300.0, 20.0)
    big["update"]["fraction"] = 0.01
    big["update"]["peak_rss_mib"] = 6.25 * 1024.0
    peak = _find(_by_target(_result(workflow=_workflow(big))), "peak RSS")
    assert peak["verdict"] == "met"
    assert peak["measured"] == "0.49 GiB (its +1 % update: 6.25 GiB)"


def test_a_failed_scale_is_explained_by_snakemakes_error_not_its_banner() -> None:
    error = (
        "exit 1: Assuming unrestricted shared filesystem usage.\n\nSNAKEMAKE\n=========\n"
        "  Date: 2026-12-03 13:51:17\nBuilding DAG of jobs...\nerror in rule dedupe:\n"
        "  studies: key ['study_id'] is not unique (2 repeated keys)\n"
        "  what to do: correct the file\n  details: results/logs/dedupe.log\nRuleException:\n"
    )
    got = verdicts.error_summary(error)
    assert got.startswith("exit 1: error in rule dedupe: / studies: key ['study_id'] is not")
    assert "SNAKEMAKE" not in got
    assert verdicts.error_summary("exit 137: a\nb\nKilled") == "exit 137: a / b / Killed"


def test_help_import_and_dedupe_verdicts_from_numbers() -> None:
    help_ = {"runs_s": [0.5, 0.2, 0.25], "cpu_s_best": 0.2, "importtime_top": [["polars", 90000]]}
    cmd = {"wall_s": 2.0, "cpu_s": 2.0, "peak_rss_mib": 900.0}
    row = {"format": "ris", "records": 1000, "command": cmd, "in_process": {"cpu_s": 1.5},
           "read": {"cpu_s": 0.5}, "peer_command": {"wall_s": 3.0, "cpu_s": 3.0, "peak_rss_mib": 200.0},
           "peer_in_process": {"cpu_s": 2.9}, "profile": [["PyLazyFrame.collect", 0.3]],
           "profile_sample_records": 2000}  # fmt: skip
    speed = {"100000": {"ours": {"seconds": 9.0}, "bib-dedupe": {"failed": "killed by SIGKILL"}}}
    result = _result(help=help_, import_={"rows": [row]}, dedupe={"speed": speed, "pooled": {}})
    result["import"] = result.pop("import_")
    rows = _by_target(result)
    assert _find(rows, "`scoping-review --help`")["verdict"] == "met"  # median 0.25 s
    ris = _find(rows, "RIS import through the command")
    assert ris["verdict"] == "gap" and ris["measured"].startswith("1.50× per CPU s")
    assert "of which reading 0.50 CPU s" in ris["cause"]
    assert "profile of the import on 2,000 records: PyLazyFrame.collect 30%" in ris["cause"]
    assert _find(rows, "BibTeX import")["verdict"].startswith("not measured")
    assert _find(rows, "dedupe ≥ 10×")["verdict"] == "not measured (bib-dedupe failed)"
    faster = copy.deepcopy(result)
    faster["import"]["rows"][0]["peer_command"]["cpu_s"] = 4.0
    faster["help"]["runs_s"] = [0.4, 0.35, 0.2]
    faster["dedupe"]["speed"]["100000"]["bib-dedupe"] = {"seconds": 100.0}
    rows = _by_target(faster)
    assert _find(rows, "RIS import through the command")["verdict"] == "met"
    assert _find(rows, "`scoping-review --help`")["verdict"] == "gap"
    assert _find(rows, "dedupe ≥ 10×")["verdict"] == "met"


def test_every_verdict_is_computed_or_not_measured() -> None:
    result = _result(workflow=_workflow(_scale(10_000, 10.0, 9.0), _scale(100_000, 31.0, 5.0)))
    for row in verdicts.verdicts(result):
        assert row["verdict"] in ALLOWED or row["verdict"].startswith("not measured"), row


def test_pooled_accuracy_weighs_sets_by_their_pairs_not_the_mean_of_sets() -> None:
    big = {"tp": 90, "fp": 0, "fn": 10}  # recall 0.9 over 100 pairs
    small = {"tp": 0, "fp": 1, "fn": 2}  # recall 0 over 2 pairs, one false merge
    pooled = bench_dedupe.pooled([big, small])
    assert (pooled["tp"], pooled["fp"], pooled["fn"]) == (90, 1, 12)
    assert pooled["recall"] == pytest.approx(90 / 102)
    assert pooled["precision"] == pytest.approx(90 / 91)
    mean = bench_all.mean_of_sets([{**m, **bench_dedupe.pooled([m])} for m in (big, small)])
    assert mean["recall"] == pytest.approx(0.45)
    assert abs(mean["recall"] - pooled["recall"]) > 0.4


def test_the_stamp_has_its_fields() -> None:
    st = stamp.stamp(["python", "benchmarks/bench_all.py", "--scales", "10000"])
    for key in ("started", "machine", "cpu", "cpus", "memory_gib", "loadavg_start", "commit",
                "dirty", "python", "polars", "snakemake", "command"):  # fmt: skip
        assert key in st, key
    assert st["command"] == "python benchmarks/bench_all.py --scales 10000"
    assert isinstance(st["dirty"], bool) and len(st["loadavg_start"]) == 3
    stamp.finish(st)
    assert len(st["loadavg_end"]) == 3 and st["finished"] >= st["started"]


def _fake_scontrol(folder: Path, ping_output: str) -> Path:
    """A stand-in ``scontrol`` whose ``ping`` prints ``ping_output`` (the controller's state)."""
    folder.mkdir()
    (folder / "scontrol").write_text(f"#!/bin/sh\necho '{ping_output}'\n")
    (folder / "scontrol").chmod(0o755)
    return folder


def test_an_idle_slurm_client_is_stubbed_for_the_run_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil
    import subprocess

    fake = _fake_scontrol(tmp_path / "bin", "Slurmctld(primary) at node is DOWN")
    monkeypatch.setenv("PATH", f"{fake}:/usr/bin:/bin")
    said = stamp.quiet_idle_slurm(tmp_path / "work")
    assert said.startswith("a SLURM client without a controller")
    found = shutil.which("scontrol")
    assert found is not None and Path(found).parent == tmp_path / "work" / "no-slurm-bin"
    # what a Snakemake start would call now fails at once, as on a machine without SLURM
    assert subprocess.run(["scontrol", "show", "config"], check=False).returncode == 1
    assert (fake / "scontrol").read_text().startswith("#!/bin/sh\necho")  # left as it was


def test_a_slurm_controller_that_answers_is_left_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = _fake_scontrol(tmp_path / "bin", "Slurmctld(primary) at node is UP")
    monkeypatch.setenv("PATH", f"{fake}:/usr/bin:/bin")
    assert stamp.quiet_idle_slurm(tmp_path / "work") == "a SLURM controller answers"
    assert not (tmp_path / "work").exists()
    result = _result(workflow=_workflow(_scale(100_000, 40.0, 30.0)))
    result["stamp"] = stamp.finish(stamp.stamp(["x"]))
    result["stamp"]["slurm_client"] = "a SLURM controller answers"
    result["verdicts"] = verdicts.verdicts(result)
    assert "- SLURM: a SLURM controller answers" in results_md.render(result)


def test_results_md_renders_the_stamp_and_the_verdicts() -> None:
    result = _result(workflow=_workflow(_scale(100_000, 40.0, 30.0)))
    result["stamp"] = stamp.finish(stamp.stamp(["python", "benchmarks/bench_all.py"]))
    result["verdicts"] = verdicts.verdicts(result)
    text = results_md.render(result)
    assert "Command: `python benchmarks/bench_all.py`" in text
    assert "| +1 % update ≤ 25% of the full run at 100k | 75% of wall" in text
    assert "**gap** | largest rules: dedupe" in text


def test_the_tables_update_ratio_is_the_verdicts_not_the_rounded_stored_one() -> None:
    # 22.45 / 28.24 s is 79.5 %: the stored ratio, rounded to 0.795, printed 80 % beside the
    # target row's 79 %
    scale = _scale(100_000, 28.24, 22.45)
    scale["update"]["ratio"] = 0.795
    result = _result(workflow=_workflow(scale))
    result["stamp"] = stamp.finish(stamp.stamp(["python", "benchmarks/bench_all.py"]))
    result["verdicts"] = verdicts.verdicts(result)
    text = results_md.render(result)
    assert "| 79% of wall (22.4 s / 28.2 s)" in text
    assert "| 22.45 | 22.45 | 79% |" in text


def test_dedupe_speed_is_reported_at_the_largest_scale_both_tools_ran() -> None:
    speed = {
        "10000": {"ours": {"seconds": 2.0}, "bib-dedupe": {"seconds": 150.0}},
        "100000": {"ours": {"seconds": 20.0}},
    }
    rows = _by_target(_result(dedupe={"speed": speed, "pooled": {}}))
    reported = _find(rows, "dedupe speed against bib-dedupe")
    assert reported["measured"].startswith("75.0× at 10,000 records") and reported["verdict"] == "–"
    assert _find(rows, "dedupe ≥ 10×")["verdict"] == "not measured (bib-dedupe not run)"


def test_a_failed_import_is_a_gap_with_its_error() -> None:
    rows = [{"format": "ris", "records": 10, "failed": "exit -9: killed"}]
    result = _result(import_={"rows": rows, "seed": 11, "repeat": 1})
    result["import"] = result.pop("import_")
    ris = _find(_by_target(result), "RIS import through the command")
    assert ris["verdict"] == "gap" and "killed" in ris["cause"]
    result["stamp"] = stamp.finish(stamp.stamp(["x"]))
    result["verdicts"] = verdicts.verdicts(result)
    assert "| ris | 10 | failed: exit -9: killed |" in results_md.render(result)


def test_peak_memory_growth_is_judged_per_step_from_the_peaks() -> None:
    """Sub-linear growth: each step's exponent from the measured peaks; a near-linear step
    (1M → 2M nearly doubling) is a gap naming the process that holds the peak there."""
    small, mid, big = (_scale(n, 10.0) for n in (100_000, 1_000_000, 2_000_000))
    small["full"]["peak_rss_mib"] = 1.0 * 1024
    mid["full"]["peak_rss_mib"] = 4.0 * 1024  # k = log 4 / log 10 = 0.60
    big["full"]["peak_rss_mib"] = 7.2 * 1024  # k = log 1.8 / log 2 = 0.85
    row = _find(_by_target(_result(workflow=_workflow(small, mid, big))), "sub-linear growth")
    assert row["verdict"] == "met", row
    assert "1M 4.00 GiB (k = 0.60)" in row["measured"] and "(k = 0.85)" in row["measured"]
    big["full"]["peak_rss_mib"] = 2.0 * 1024
    big["rules"]["rank"] = {"s": 5.0, "cpu_s": 5.0, "max_rss_mib": 7.9 * 1024, "jobs": 1}
    row = _find(_by_target(_result(workflow=_workflow(small, mid, big))), "sub-linear growth")
    assert row["verdict"] == "gap", row
    assert "to 2M: k = 0.98" in row["cause"] and "rule rank (7.90 GiB)" in row["cause"]


def test_peak_memory_growth_needs_two_scales() -> None:
    rows = _by_target(_result(workflow=_workflow(_scale(100_000, 10.0))))
    assert _find(rows, "sub-linear growth")["verdict"] == verdicts.NOT_RUN_SCALE
    assert _find(_by_target(_result()), "sub-linear growth")["verdict"] == verdicts.NOT_RUN_SECTION


def test_each_rules_largest_process_comes_from_its_log_and_names_the_peak(
    tmp_path: Path,
) -> None:
    """The peak line a rule's log ends with (the same text storage.peak_memory_line writes)
    gives the rule's largest process, exact, and the peak is put on the rule it names."""
    import bench_workflow

    from scoping_review import storage

    logs = tmp_path / "results" / "logs"
    (logs / "import_search").mkdir(parents=True)
    (logs / "benchmarks").mkdir()
    (logs / "benchmarks" / "rank.tsv").write_text(
        "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"
        "60.0\t0:01:00\t4000\t0\t0\t3900\t0\t0\t0\t50.0\n"
    )
    (logs / "rank.log").write_text(
        "INFO rank phases\nINFO " + storage.peak_memory_line(5000 * 1024, 6200 * 1024) + "\n"
    )
    for name, own in (("a", 300), ("b", 700)):
        line = storage.peak_memory_line(own * 1024, 0)
        (logs / "import_search" / f"{name}.log").write_text(f"INFO {line}\n")
    assert bench_workflow.rule_peaks(tmp_path) == {"rank": 6200.0, "import_search": 700.0}
    rules = bench_workflow.rule_benchmarks(tmp_path)
    assert rules["rank"]["peak_exact_mib"] == 6200.0  # the child's, above the sampled PSS
    big = _scale(1_000_000, 300.0)
    big["rules"]["rank"] = rules["rank"]
    big["full"]["peak_rss_mib"] = 6200.0  # getrusage over every process Snakemake waited for
    peak = _find(_by_target(_result(workflow=_workflow(big))), "peak RSS")
    assert peak["verdict"] == "gap" and "rule rank (6.05 GiB)" in peak["cause"], peak
    result = _result(workflow=_workflow(big))
    result["stamp"] = stamp.finish(stamp.stamp(["python", "benchmarks/bench_all.py"]))
    result["verdicts"] = verdicts.verdicts(result)
    assert "| rank | 1 | 60.0 | 50.0 | 4000 | 3900 | 6200 |" in results_md.render(result)
