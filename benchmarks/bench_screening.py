"""Prioritised-screening benchmark: our simulation against ASReview LAB's default, same run.

On every labelled set in ../shared/fixtures/screening/labelled/ (title, abstract,
label_included), for each seed: the same random include and exclude start both tools
(``simulate.prior_rows``; ASReview gets them as ``--prior-idx`` and the seed as ``--seed``),
then each screens in its own ranked order. ASReview LAB runs as ``asreview simulate`` with its
default model (ELAS u4) from its own virtual environment (benchmarks/work/asreview-venv, made
here from the ``bench-screening`` extra's requirement when missing). Metrics come from one
function (``simulate.metrics``) applied to both tools' screening orders.

The stopping rule is judged over every seed (at least 20 per set by default): per set, the
share of seeds whose recall at the rule's decision point reaches the target, against the
stated confidence. A last section times ranking 100k pending records with 10k decisions.

    python benchmarks/bench_screening.py                     # 20 seeds, ASReview on 2 of them
    python benchmarks/bench_screening.py --seeds 3 --peer-seeds 2 --sets Cohen_2006_NSAIDS

Writes benchmarks/screening.md and benchmarks/screening.json.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import platform
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
import zipfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "workflow" / "scripts"))
sys.path.insert(0, str(REPO / "tests"))  # support: test scaffolding (synthetic records)

from stamp import cpu_model, git_commit  # noqa: E402

from scoping_review import ranking, simulate, stopping, storage  # noqa: E402

LABELLED = REPO.parent / "shared" / "fixtures" / "screening" / "labelled"
WORK = HERE / "work"
PEER_VENV = WORK / "asreview-venv"
METRICS = (
    "wss_95",
    "recall_at_10pct",
    "recall_at_25pct",
    "screened_fraction_for_95_recall",
    "screened_fraction_for_100_recall",
    "seconds",
)


def peer_requirement() -> str:
    """The ``bench-screening`` extra's requirement from pyproject.toml."""
    import tomllib

    meta = tomllib.loads((REPO / "pyproject.toml").read_text())
    return str(meta["project"]["optional-dependencies"]["bench-screening"][0])


def ensure_peer() -> Path:
    exe = PEER_VENV / "bin" / "asreview"
    if not exe.exists():
        print(f"installing {peer_requirement()} into {PEER_VENV}", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(PEER_VENV)], check=True)
        subprocess.run(
            [str(PEER_VENV / "bin" / "pip"), "install", "--quiet", peer_requirement()], check=True
        )
    return exe


def peer_version(exe: Path) -> str:
    out = subprocess.run([str(exe), "--version"], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def run_peer(exe: Path, csv: Path, prior: tuple[int, int], seed: int) -> tuple[list[int], float]:
    """ASReview LAB's default simulation from the same two prior rows: labels in the order
    screened, and wall seconds (process start included)."""
    out = WORK / "asreview" / f"{csv.stem}_seed{seed}.asreview"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.unlink(missing_ok=True)
    shutil.rmtree(out.with_name(out.name + ".tmp"), ignore_errors=True)  # left by a killed run
    cmd = [str(exe), "simulate", str(csv), "--prior-idx", str(prior[0]), str(prior[1])]
    cmd += ["--seed", str(seed), "-o", str(out)]
    t0 = time.perf_counter()
    done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{done.stderr[-2000:]}")
    seconds = time.perf_counter() - t0
    db = out.with_suffix(".db")
    with zipfile.ZipFile(out) as z:
        db.write_bytes(z.read("results.db"))
    con = sqlite3.connect(db)
    try:
        rows = con.execute("select record_id, label from results order by rowid").fetchall()
    finally:
        con.close()
    db.unlink()
    if [r for r, _ in rows[:2]] != list(prior):
        raise RuntimeError(f"ASReview did not start from rows {prior}: {rows[:2]}")
    return [int(label) for _, label in rows], seconds


def summarise(values: list[float]) -> dict[str, float]:
    return {
        "mean": statistics.fmean(values),
        "min": min(values),
        "max": max(values),
        "sd": statistics.pstdev(values) if len(values) > 1 else 0.0,
    }


def ranking_speed(n_pending: int, n_decided: int, seed: int) -> dict[str, Any]:
    """Wall and CPU seconds of ranking ``n_pending`` studies with ``n_decided`` decisions on
    synthetic titles and abstracts (features, fit, scores and top terms)."""
    from support import synthetic

    recs = synthetic.records(n_pending + n_decided, seed=seed)
    studies = recs.select(
        pl.format("S-{}", pl.int_range(pl.len())).alias("study_id"), "title", "abstract"
    )
    rng = np.random.default_rng(seed)
    decided = studies["study_id"].head(n_decided)
    labels = pl.DataFrame(
        {"study_id": decided, "label": (rng.random(n_decided) < 0.1).astype(np.int64)}
    )
    load = os.getloadavg()[0]
    c0, t0 = time.process_time(), time.perf_counter()
    ranked = ranking.rank_studies(studies, labels)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    assert ranked.height == n_pending
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "pending": n_pending,
        "decided": n_decided,
        "seconds": wall,
        "cpu_seconds": cpu,
        "max_rss_mib": rss,
        "load_before": load,
    }


_FEATURES: dict[tuple[Path, ranking.RankingSettings], ranking.Features] = {}


def _set_features(csv: Path, frame: pl.DataFrame, settings: ranking.RankingSettings) -> Any:
    """The set's TF-IDF, fitted once per set in each worker and reused for every seed."""
    key = (csv, settings)
    if key not in _FEATURES:
        _FEATURES[key] = simulate.set_features(frame, settings)
    return _FEATURES[key]


def _one(
    task: tuple[Path, int, bool],
    rule: stopping.StoppingSettings,
    settings: ranking.RankingSettings,
) -> dict[str, Any]:
    """One seed on one set: ours, and ASReview from the same prior rows when asked."""
    csv, seed, with_peer = task
    frame = simulate.read_labelled(storage.read_sheet(csv), str(csv))
    y = frame["label_included"].to_numpy().astype(np.int64)
    prior = simulate.prior_rows(y, seed)
    feats = _set_features(csv, frame, settings)
    c0 = time.process_time()
    ours = simulate.simulate(
        frame, seed=seed, settings=settings, rule=rule, prior=prior, feats=feats
    )
    ours["cpu_seconds"] = time.process_time() - c0
    run: dict[str, Any] = {"seed": seed, "prior_rows": list(prior), "ours": ours}
    if with_peer:
        labels, seconds = run_peer(PEER_VENV / "bin" / "asreview", csv, prior, seed)
        peer = simulate.metrics(labels, y.shape[0])
        peer["seconds"] = seconds
        run["asreview"] = peer
    print(
        csv.stem,
        seed,
        f"ours wss {ours['wss_95']:.3f} ({ours['seconds']:.1f}s)",
        f"asreview wss {run['asreview']['wss_95']:.3f}" if "asreview" in run else "",
        f"stop at {ours['stopping']['screened_fraction']} recall {ours['stopping']['recall']}",
        flush=True,
    )
    return run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=20, help="seeds per set (ours)")
    parser.add_argument("--peer-seeds", type=int, default=20, help="first N seeds for ASReview too")
    parser.add_argument("--sets", nargs="*", default=None, help="set names (default: all)")
    parser.add_argument("--recall-target", type=float, default=0.95)
    parser.add_argument("--confidence", type=float, default=0.95)
    parser.add_argument("--speed-pending", type=int, default=100_000)
    parser.add_argument("--speed-decided", type=int, default=10_000)
    parser.add_argument("--jobs", type=int, default=2, help="runs at the same time")
    parser.add_argument("--out", default=str(HERE / "screening.md"))
    parser.add_argument("--note", default="", help="why the seed counts are what they are")
    args = parser.parse_args()

    if not LABELLED.exists():
        print(f"labelled sets not found at {LABELLED}", file=sys.stderr)
        return 2
    csvs = sorted(p for p in LABELLED.glob("*.csv") if p.name != "index.csv")
    if args.sets:
        csvs = [p for p in csvs if p.stem in set(args.sets)]
    exe = ensure_peer()
    rule = stopping.StoppingSettings(args.recall_target, args.confidence)
    settings = ranking.RankingSettings()
    started = time.perf_counter()
    results: dict[str, Any] = {"sets": {}}
    # seed-major: the seeds both tools run come first, and a worker's set features are reused
    tasks = [(csv, seed, seed < args.peer_seeds) for seed in range(args.seeds) for csv in csvs]
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        done = list(pool.map(_one, tasks, [rule] * len(tasks), [settings] * len(tasks)))
    for csv in csvs:
        runs = sorted(
            (run for (c, _, _), run in zip(tasks, done, strict=True) if c == csv),
            key=lambda run: int(run["seed"]),
        )
        y = simulate.read_labelled(storage.read_sheet(csv), str(csv))["label_included"]
        results["sets"][csv.stem] = {
            "records": int(y.len()),
            "includes": int(y.sum()),
            "runs": runs,
        }
    ours = done[0]["ours"]
    results["speed"] = ranking_speed(args.speed_pending, args.speed_decided, seed=0)
    results["env"] = {
        "commit": git_commit(),
        "finished": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "cpu_model": cpu_model(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "asreview": peer_version(exe),
        "seeds": args.seeds,
        "peer_seeds": min(args.peer_seeds, args.seeds),
        "recall_target": args.recall_target,
        "confidence": args.confidence,
        "model": ours["model"],
        "total_seconds": time.perf_counter() - started,
        "jobs": args.jobs,
        "command": "python benchmarks/bench_screening.py " + " ".join(sys.argv[1:]),
        "note": args.note,
    }
    verdicts = judge(results)
    results["verdicts"] = verdicts
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")
    out.write_text(render(results))
    print(f"written {out}")
    return 0


def _common(runs: list[dict[str, Any]], tool: str, key: str) -> list[float]:
    return [float(r[tool][key]) for r in runs if "asreview" in r]


def judge(results: dict[str, Any]) -> dict[str, Any]:
    """Verdicts computed from the numbers: WSS@95 per set and on average against ASReview on
    the seeds both ran, the stopping rule's achieved recall, and ranking speed."""
    env = results["env"]
    per_set: dict[str, Any] = {}
    diffs: list[float] = []
    weights: list[int] = []
    for name, data in results["sets"].items():
        ours = _common(data["runs"], "ours", "wss_95")
        peer = _common(data["runs"], "asreview", "wss_95")
        recalls = [r["ours"]["stopping"]["recall"] for r in data["runs"]]
        reached = [x is not None and x >= env["recall_target"] - 1e-12 for x in recalls]
        entry: dict[str, Any] = {
            "stop_seeds": len(recalls),
            "stop_reached": sum(reached),
            "stop_share": sum(reached) / len(recalls),
            "stop_ok": sum(reached) / len(recalls) >= env["confidence"],
        }
        if ours:
            d = statistics.fmean(ours) - statistics.fmean(peer)
            diffs.append(d)
            weights.append(data["records"])
            paired = [a - b for a, b in zip(ours, peer, strict=True)]
            entry.update(wss_ours=statistics.fmean(ours), wss_asreview=statistics.fmean(peer))
            entry.update(wss_diff=d, wss_at_least_peer=d >= 0, paired_seeds=len(paired))
            entry.update(
                paired_sd=statistics.stdev(paired) if len(paired) > 1 else 0.0,
                paired_min=min(paired),
                paired_max=max(paired),
                paired_wins=sum(x > 0 for x in paired),
            )
        per_set[name] = entry
    mean_diff = statistics.fmean(diffs) if diffs else math.nan
    weighted = (
        sum(d * w for d, w in zip(diffs, weights, strict=True)) / sum(weights)
        if diffs
        else math.nan
    )
    return {
        "wss_record_weighted_diff": weighted,
        "sets": per_set,
        "wss_every_set_at_least_peer": all(
            e.get("wss_at_least_peer", False) for e in per_set.values()
        ),
        "wss_mean_diff": mean_diff,
        "wss_mean_diff_at_least_5_points": mean_diff >= 0.05,
        "stopping_every_set": all(e["stop_ok"] for e in per_set.values()),
        "speed_ok": results["speed"]["seconds"] <= 30.0
        and results["speed"]["pending"] >= 100_000
        and results["speed"]["decided"] >= 10_000,
    }


def _f(x: float | None, digits: int = 3) -> str:
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}f}"


def _yes(ok: bool) -> str:
    return "**met**" if ok else "**not met**"


def render(results: dict[str, Any]) -> str:
    env, v = results["env"], results["verdicts"]
    lines = [
        "# Prioritised screening benchmark",
        "",
        f"Generated by `make bench-screening` ({env['command'].strip()}) in one run finished "
        f"{env['finished']} at commit {env['commit']} on {env['cpu_model']} ({env['cpus']} CPUs "
        f"visible), Python {env['python']}, {env['asreview']}; {env['total_seconds']:.0f} s in "
        f"all, {env['jobs']} runs at a time.",
        "",
        f"Seeds: ours ran {env['seeds']} seeds per set, ASReview LAB {env['peer_seeds']}. "
        + (env.get("note") or ""),
        "",
        f"Ours: {env['model']}, re-trained after every batch of max(1, floor("
        f"{simulate.BATCH_FRACTION} x screened)) records. ASReview LAB: `asreview simulate` "
        "with its defaults (ELAS u4: TF-IDF, SVM, "
        "maximum querier, balanced sampling; one record per query, re-trained each query). "
        f"Seeds 0..{env['seeds'] - 1} per set for ours; ASReview on seeds "
        f"0..{env['peer_seeds'] - 1}, each started from the same include and exclude as ours "
        "(`--prior-idx`, `--seed`). The two prior records count as screened for both. "
        "Metrics are fractions: WSS@95 = (N - k)/N - 0.05 with k the records screened until "
        "ceil(0.95 x includes) were found; recall@x = includes in the first ceil(x N) records "
        "over all includes.",
        "",
        "## Per set (means over the seeds both tools ran)",
        "",
        "| set | records | includes | tool | WSS@95 | recall@10% | recall@25% | "
        "screened for 95% | screened for 100% | seconds/run |",
        "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    pooled: dict[str, dict[str, list[float]]] = {"ours": {}, "asreview": {}}
    for name, data in results["sets"].items():
        for tool in ("ours", "asreview"):
            means = {}
            for key in METRICS:
                vals = _common(data["runs"], tool, key)
                means[key] = statistics.fmean(vals) if vals else math.nan
                pooled[tool].setdefault(key, []).append(means[key])
            lines.append(
                f"| {name} | {data['records']} | {data['includes']} | {tool} | "
                + " | ".join(_f(means[k], 1 if k == "seconds" else 3) for k in METRICS)
                + " |"
            )
    records = [data["records"] for data in results["sets"].values()]
    lines += [
        "",
        "## Pooled",
        "",
        "*Mean of sets*: the unweighted mean of the per-set means (each set counts once). "
        "*Record-weighted*: the per-set means weighted by the set's records (each record counts "
        "once).",
        "",
        "| tool | pooled | WSS@95 | recall@10% | recall@25% | screened for 95% | "
        "screened for 100% | seconds/run |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for tool in ("ours", "asreview"):
        for how in ("mean of sets", "record-weighted"):
            cells = []
            for k in METRICS:
                vals = pooled[tool][k]
                w = records if how == "record-weighted" else [1] * len(vals)
                value = sum(a * b for a, b in zip(vals, w, strict=True)) / sum(w)
                cells.append(_f(value, 1 if k == "seconds" else 3))
            lines.append(f"| {tool} | {how} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "## WSS@95 per set, ours against ASReview (paired: the same seeds, same start)",
        "",
        "Difference = ours − ASReview per seed; its mean, standard deviation over the seeds, "
        "smallest and largest, and on how many seeds ours was ahead.",
        "",
        "| set | seeds | ours | ASReview | difference | sd | min | max | ours ahead | "
        "ours ≥ ASReview |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for name, e in v["sets"].items():
        if "wss_diff" in e:
            lines.append(
                f"| {name} | {e['paired_seeds']} | {_f(e['wss_ours'])} | "
                f"{_f(e['wss_asreview'])} | {e['wss_diff']:+.3f} | {e['paired_sd']:.3f} | "
                f"{e['paired_min']:+.3f} | {e['paired_max']:+.3f} | "
                f"{e['paired_wins']}/{e['paired_seeds']} | "
                f"{'yes' if e['wss_at_least_peer'] else 'no'} |"
            )
    lines += [
        "",
        f"Mean of the per-set differences {v['wss_mean_diff']:+.3f}; record-weighted "
        f"{v['wss_record_weighted_diff']:+.3f}.",
        "",
        "## Ours over every seed",
        "",
        "| set | seeds | WSS@95 mean | sd | min | max | CPU s/run |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, data in results["sets"].items():
        wss = [float(r["ours"]["wss_95"]) for r in data["runs"]]
        cpu = [float(r["ours"].get("cpu_seconds", math.nan)) for r in data["runs"]]
        lines.append(
            f"| {name} | {len(wss)} | {statistics.fmean(wss):.3f} | "
            f"{statistics.stdev(wss) if len(wss) > 1 else 0.0:.3f} | {min(wss):.3f} | "
            f"{max(wss):.3f} | {statistics.fmean(cpu):.2f} |"
        )
    lines += [
        "",
        "## Stopping rule (ours, every seed)",
        "",
        f"Hypergeometric test (Callaghan & Müller-Hansen 2020), recall target "
        f"{env['recall_target']}, confidence {env['confidence']}: the share of seeds whose recall "
        "at the rule's decision point reached the target should be at least the confidence.",
        "",
        "| set | seeds | target reached | share | mean screened at stop | min recall at stop "
        "| mean recall at stop |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, data in results["sets"].items():
        e = v["sets"][name]
        stops = [r["ours"]["stopping"] for r in data["runs"]]
        fr = [s["screened_fraction"] for s in stops if s["screened_fraction"] is not None]
        rc = [s["recall"] for s in stops if s["recall"] is not None]
        lines.append(
            f"| {name} | {e['stop_seeds']} | {e['stop_reached']} | {_f(e['stop_share'])} | "
            f"{_f(statistics.fmean(fr) if fr else None)} | {_f(min(rc) if rc else None)} | "
            f"{_f(statistics.fmean(rc) if rc else None)} |"
        )
    s = results["speed"]
    lines += [
        "",
        "## Ranking speed",
        "",
        f"Ranking {s['pending']:,} pending synthetic records with {s['decided']:,} decisions "
        f"(TF-IDF, fit, scores, top terms): {s['seconds']:.1f} s wall, {s['cpu_seconds']:.1f} s "
        f"CPU, peak RSS {s.get('max_rss_mib', math.nan):.0f} MiB (whole process); load average "
        f"{s.get('load_before', math.nan):.2f} before.",
        "",
        "## Verdicts (computed from the numbers above)",
        "",
        f"- WSS@95 at least ASReview's on every set: {_yes(v['wss_every_set_at_least_peer'])}.",
        "- WSS@95 on average ≥ 5 points above ASReview: "
        f"{_yes(v['wss_mean_diff_at_least_5_points'])} "
        f"(mean difference {v['wss_mean_diff']:+.3f}).",
        f"- Stopping rule reaches its target at its confidence on every set: "
        f"{_yes(v['stopping_every_set'])}.",
        f"- Ranking 100k pending with 10k decisions in ≤ 30 s: {_yes(v['speed_ok'])} "
        f"({s['pending']:,} pending, {s['decided']:,} decisions: {s['seconds']:.1f} s).",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
