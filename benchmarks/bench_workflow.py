"""Whole-workflow benchmark on synthetic reviews, with a living update and the peers' ratios.

For each scale (records): generate a synthetic review (tests/support/synthetic_corpus.py) in a
scratch folder, run the whole workflow (`snakemake --cores 2`) and record wall time, CPU time and
peak memory end to end (getrusage of the child processes, measured in a child of its own) and per
rule (Snakemake's `benchmark:` files, results/logs/benchmarks/). After the largest scale (and every
scale by default) a second search round with --update x records is added (new studies and
duplicates of earlier ones) and the run is timed again. Also times a dry run of the bundled
example. The functions here are the workflow section of ``bench_all.py`` (`make bench`), which
writes benchmarks/RESULTS.md and results.json; run alone it is that driver with only this section:

    python benchmarks/bench_workflow.py --scales 10000 100000   # `make bench-workflow`
"""

from __future__ import annotations

import json
import re
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO / "workflow" / "scripts"))

import make_corpus  # noqa: E402


def measure(cmd: list[str], cwd: Path, *, check: bool = True) -> dict[str, Any]:
    """Run ``cmd`` in a child process of its own that reports wall, CPU and peak RSS of it (and
    of every process it waited for). A failed command raises, or with ``check=False`` gives
    ``{"ok": False, "error": ..., "wall_s": ...}`` so that a benchmark records the failure."""
    probe = [sys.executable, __file__, "--measure", "--", *cmd]
    start = time.perf_counter()
    done = subprocess.run(probe, cwd=cwd, capture_output=True, text=True, check=False)
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        error = f"exit {done.returncode}: {(done.stdout[-1500:] + done.stderr[-3000:]).strip()}"
        if check:
            raise RuntimeError(f"{' '.join(cmd)} failed: {error}")
        return {"ok": False, "error": error, "wall_s": round(time.perf_counter() - start, 2)}
    result: dict[str, Any] = json.loads(lines[-1])
    result["ok"] = True
    return result


def _measure_child(cmd: list[str]) -> None:
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        sys.stderr.write(done.stdout[-4000:] + done.stderr[-8000:])
        sys.exit(done.returncode)
    row = {
        "wall_s": round(wall, 2),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
        "peak_rss_mib": round(usage.ru_maxrss / 1024, 1),
    }
    print(json.dumps(row))


def snakemake_cmd(folder: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"),
            "--directory", str(folder), "--cores", "2", "--quiet", *extra]  # fmt: skip


def rule_benchmarks(folder: Path, since: float = 0.0) -> dict[str, dict[str, float]]:
    """Per rule (import_search summed over searches): s, cpu_time, max_rss and max_pss (MiB)
    from the Snakemake benchmark files written after ``since``. Both are sums over the rule's
    process and its children: max_rss counts a page shared by a forked worker and its parent
    once per process, max_pss once in all (each process its share)."""
    rules: dict[str, dict[str, float]] = {}
    for tsv in sorted((folder / "results" / "logs" / "benchmarks").rglob("*.tsv")):
        if tsv.stat().st_mtime < since:
            continue
        head, row = tsv.read_text().strip().splitlines()[:2]
        values = dict(zip(head.split("\t"), row.split("\t"), strict=False))
        rel = tsv.relative_to(folder / "results" / "logs" / "benchmarks")
        name = rel.parts[0].removesuffix(".tsv")
        entry = rules.setdefault(
            name, {"s": 0.0, "cpu_s": 0.0, "max_rss_mib": 0.0, "max_pss_mib": 0.0, "jobs": 0}
        )

        def num(key: str, values: dict[str, str] = values) -> float:
            try:
                return float(values.get(key, "") or 0)
            except ValueError:
                return 0.0

        entry["s"] = round(entry["s"] + num("s"), 2)
        entry["cpu_s"] = round(entry["cpu_s"] + num("cpu_time"), 2)
        entry["max_rss_mib"] = max(entry["max_rss_mib"], num("max_rss"))
        entry["max_pss_mib"] = max(entry["max_pss_mib"], num("max_pss"))
        entry["jobs"] += 1
    for name, mib in rule_peaks(folder, since).items():
        if name in rules:
            rules[name]["peak_exact_mib"] = mib
    return dict(sorted(rules.items(), key=lambda kv: -kv[1]["s"]))


PEAK_LINE = re.compile(r"peak RSS: this process (\d+) MiB; its largest child (\d+) MiB")


def rule_peaks(folder: Path, since: float = 0.0) -> dict[str, float]:
    """Per rule (import_search: the largest of its searches' jobs), the largest process of its
    jobs whose logs were written after ``since``: the last line of a rule's log gives its
    process's and its largest child's peak RSS (exact; storage.peak_memory_line)."""
    logs = folder / "results" / "logs"
    peaks: dict[str, float] = {}
    for log in sorted(logs.rglob("*.log")):
        if log.stat().st_mtime < since or log.relative_to(logs).parts[0] == "benchmarks":
            continue
        name = log.relative_to(logs).parts[0].removesuffix(".log")
        found = [PEAK_LINE.search(ln) for ln in log.read_text(encoding="utf-8").splitlines()]
        hits = [m for m in found if m]
        if hits:
            mib = float(max(int(hits[-1][1]), int(hits[-1][2])))
            peaks[name] = max(peaks.get(name, 0.0), mib)
    return peaks


# what a rule's log says of its own work, quoted beside its time where a target is missed: the
# phases of the ranking and what they fitted, the report's phases and the figures drawn or
# reused, screen's phases, dedupe's phases, the state it reused and the pairs it compared
LOG_NOTES = {
    "rank": ("rank phases, wall s:",),
    "report": ("report phases, wall s:", "figures:"),
    "screen": ("screen phases, wall s:",),
    "dedupe": ("dedupe phases, wall s:", "dedupe state:", " records -> "),
}


def log_notes(folder: Path, since: float = 0.0) -> dict[str, str]:
    """Per rule of :data:`LOG_NOTES`, the last line of its log (written after ``since``) that
    holds each of the rule's markers, without the level, joined by " / "."""
    notes: dict[str, str] = {}
    for rule, markers in LOG_NOTES.items():
        log = folder / "results" / "logs" / f"{rule}.log"
        if not log.is_file() or log.stat().st_mtime < since:
            continue
        lines = log.read_text(encoding="utf-8").splitlines()
        found = []
        for marker in markers:
            hits = [ln for ln in lines if marker in ln]
            if hits:
                found.append(hits[-1].removeprefix("INFO ").strip())
        if found:
            notes[rule] = " / ".join(found)
    return notes


def counts(folder: Path) -> dict[str, int]:
    import polars as pl

    frame = pl.read_parquet(folder / "results" / "ledger" / "counts.parquet")
    wanted = ("database_results", "records_screened", "new_studies", "duplicates_removed")
    return {
        k: int(v) for k, v in zip(frame["count_id"], frame["value"], strict=True) if k in wanted
    }


def bench_scale(n: int, work: Path, seed: int, update: float) -> dict[str, Any]:
    """The full run at ``n`` records and, with ``update``, a +``update`` round timed again; a
    run that fails is recorded (``ok`` false, its error), never aborts the benchmark."""
    folder = work / f"review_{n}"
    shutil.rmtree(folder, ignore_errors=True)
    t0 = time.perf_counter()
    corpus = make_corpus.build(n, seed, None)
    make_corpus.write(corpus, folder)
    gen_s = time.perf_counter() - t0
    print(f"[{n}] corpus written in {gen_s:.1f}s ({corpus.n_studies} studies)", flush=True)
    full = measure(snakemake_cmd(folder), folder, check=False)
    print(f"[{n}] full run: {full}", flush=True)
    row: dict[str, Any] = {
        "records": n,
        "studies": corpus.n_studies,
        "generate_s": round(gen_s, 1),
        "full": full,
        "rules": rule_benchmarks(folder),
        "notes": log_notes(folder),
        "counts": counts(folder) if full["ok"] else {},
    }
    if update and full["ok"]:
        time.sleep(1.1)  # file times: the update's benchmark files are newer than this
        since = time.time()
        bigger = make_corpus.build(n, seed, update)
        make_corpus.write(bigger, folder)
        upd = measure(snakemake_cmd(folder), folder, check=False)
        print(f"[{n}] +{update:.0%} update: {upd}", flush=True)
        row["update"] = {
            "fraction": update,
            "added_records": bigger.n_records - corpus.n_records,
            **upd,
            "ratio": round(upd["wall_s"] / full["wall_s"], 3) if upd["ok"] else None,
            "rules": rule_benchmarks(folder, since),
            "notes": log_notes(folder, since),
            "counts": counts(folder) if upd["ok"] else {},
        }
    return row


def dry_run(work: Path, repeat: int = 3) -> dict[str, Any]:
    """Wall time of `snakemake --dry-run` on a fresh copy of the bundled example."""
    folder = work / "example"
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(REPO / "config", folder / "config")
    shutil.copytree(REPO / "resources" / "example", folder / "resources" / "example")
    runs = [measure(snakemake_cmd(folder, "--dry-run"), folder) for _ in range(repeat)]
    times = [r["wall_s"] for r in runs]
    # Snakemake's floor: the same command on a one-rule Snakefile (start-up, plugin discovery)
    floor_dir = work / "floor"
    floor_dir.mkdir(exist_ok=True)
    (floor_dir / "Snakefile").write_text(
        'rule all:\n    output:\n        "x.txt"\n    shell:\n        "touch {output}"\n'
    )
    floor_cmd = [sys.executable, "-m", "snakemake", "--snakefile", str(floor_dir / "Snakefile"),
                 "--directory", str(floor_dir), "--cores", "2", "--quiet", "--dry-run"]  # fmt: skip
    floor = [measure(floor_cmd, floor_dir) for _ in range(repeat)]
    return {
        "rule_floor": rule_floor(work, repeat),
        "best_s": min(times),
        "runs_s": times,
        "best_cpu_s": min(r["cpu_s"] for r in runs),
        "snakemake_floor_s": min(r["wall_s"] for r in floor),
        "snakemake_floor_cpu_s": min(r["cpu_s"] for r in floor),
    }


FLOOR_SCRIPT = """import polars as pl

from scoping_review import job, storage

smk = job.current()
storage.open_log(smk.log[0], "floor").info("floor")
pl.DataFrame({"x": [1]}).write_parquet(smk.output[0])
"""


def rule_floor(work: Path, repeat: int = 3) -> dict[str, Any]:
    """What any rule costs before its work: a one-rule workflow whose script imports polars and
    the package's storage, logs a line and writes a one-row Parquet (the job's wall and CPU
    from its Snakemake benchmark file, best of ``repeat``)."""
    folder = work / "rule_floor"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    (folder / "floor.py").write_text(FLOOR_SCRIPT)
    (folder / "Snakefile").write_text(
        'rule floor:\n    output:\n        "x.parquet"\n    log:\n        "floor.log"\n'
        '    benchmark:\n        "floor.tsv"\n    script:\n        "floor.py"\n'
    )
    cmd = [sys.executable, "-m", "snakemake", "--snakefile", str(folder / "Snakefile"),
           "--directory", str(folder), "--cores", "1", "--quiet", "--forceall"]  # fmt: skip
    walls, cpus = [], []
    for _ in range(repeat):
        measure(cmd, folder)
        head, row = (folder / "floor.tsv").read_text().strip().splitlines()[:2]
        values = dict(zip(head.split("\t"), row.split("\t"), strict=False))
        walls.append(float(values["s"]))
        cpus.append(float(values.get("cpu_time") or 0))
    return {"best_s": min(walls), "runs_s": walls, "best_cpu_s": min(cpus)}


def main() -> None:
    """The ``--measure`` child (see :func:`measure`); otherwise the workflow section of
    ``bench_all.py`` alone (`make bench-workflow`)."""
    if len(sys.argv) > 2 and sys.argv[1] == "--measure":
        _measure_child(sys.argv[3:])
        return
    import bench_all

    bench_all.main(["--sections", "workflow", *sys.argv[1:]])


if __name__ == "__main__":
    main()
