"""Which ranking model to ship: candidates compared on every labelled set, with leave-one-set-out.

Each candidate (features, model, class weights, re-training schedule) replays screening on
every labelled set in ../shared/fixtures/screening/labelled/ from the same seeds' random include
and exclude as ``make bench-screening``. Reported per candidate: WSS@95 per set (mean over the
seeds), pooled two ways (the mean of the sets, each set counting once; and weighted by records,
each record counting once), and the leave-one-set-out estimate of how the choice generalises:
for each set, the candidate best on the pooled mean of the OTHER sets is chosen and scored on
the held-out set. With ``--peer`` (ASReview LAB's WSS@95 per set and seed, from
bench_screening's JSON or a file of the same shape) each candidate's worst per-set difference
to ASReview on the shared seeds is shown too.

    python benchmarks/compare_screening_models.py --seeds 6 --jobs 2

Writes benchmarks/screening_models.md and benchmarks/screening_models.json.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "workflow" / "scripts"))

from stamp import cpu_model, git_commit  # noqa: E402

from scoping_review import ranking, simulate, storage  # noqa: E402

LABELLED = REPO.parent / "shared" / "fixtures" / "screening" / "labelled"
# the candidates before presumed excludes and word pruning: every term kept, decisions only
PLAIN = ranking.RankingSettings(min_df=1, presumed_excludes=0)
BASE = replace(PLAIN, model="logistic", c=10.0, include_ratio=1.0)
SHIPPED = ranking.DEFAULT
# name -> (ranking settings, batch fraction of the re-training schedule)
CANDIDATES: dict[str, tuple[ranking.RankingSettings, float]] = {
    "shipped: SVM (ELAS u4) min_df=2 + at most 200 presumed excludes, batch 2%": (SHIPPED, 0.02),
    "SVM (ELAS u4) min_df=2, batch 2%": (replace(SHIPPED, presumed_excludes=0), 0.02),
    "SVM (ELAS u4) + presumed excludes, batch 2%": (replace(SHIPPED, min_df=1), 0.02),
    "SVM C=0.11 includes x9.8 (ASReview's), batch 2%": (PLAIN, 0.02),
    "shipped with C=0.3": (replace(SHIPPED, c=0.3), 0.02),
    "shipped with at most 100 presumed excludes": (replace(SHIPPED, presumed_excludes=100), 0.02),
    "shipped as LR C=10 balanced + SVM ensemble": (replace(SHIPPED, model="lr+svm", c=10.0), 0.02),
    # max_excludes binding on every set (most of each replay): the undersampling a review of
    # more than 50,000 excludes gets, at about the share of excludes kept at 1M records
    "shipped learning at most 100 of the team's excludes": (
        replace(SHIPPED, max_excludes=100),
        0.02,
    ),
    "LR C=10 balanced, 1-2 grams, batch 2%": (BASE, 0.02),
    "LR C=10 includes x10, 1-2 grams, batch 2%": (replace(BASE, include_ratio=10.0), 0.02),
    "LR C=1 balanced, 1-2 grams, batch 2%": (replace(BASE, c=1.0), 0.02),
    "ensemble LR C=10 balanced + SVM C=0.11 includes x9.8, batch 2%": (
        replace(BASE, model="lr+svm"),
        0.02,
    ),
    "LR C=10 balanced, unigrams, batch 2%": (replace(BASE, ngram_max=1), 0.02),
    "ensemble LR+NB balanced, 1-2 grams, batch 2%": (replace(BASE, model="ensemble"), 0.02),
    "complement NB balanced, 1-2 grams, batch 2%": (replace(BASE, model="nb"), 0.02),
    "LR C=10 balanced, 1-2 grams, every record": (BASE, 0.0),
}
CACHE = HERE / "work" / "screening_models"


def _task(args: tuple[str, Path, int]) -> dict[str, Any]:
    name, csv, seeds = args
    settings, batch = CANDIDATES[name]
    # one file per candidate, set and seed count: an interrupted comparison resumes
    key = hashlib.sha256(repr((settings, batch)).encode()).hexdigest()[:12]
    cached = CACHE / f"{key}_{csv.stem}_{seeds}.json"
    if cached.exists():
        return dict(json.loads(cached.read_text()), candidate=name)
    frame = simulate.read_labelled(storage.read_sheet(csv), str(csv))
    feats = simulate.set_features(frame, settings)
    c0 = time.process_time()
    runs = [
        simulate.simulate(frame, seed=s, settings=settings, batch_fraction=batch, feats=feats)
        for s in range(seeds)
    ]
    cpu = time.process_time() - c0
    print(name, csv.stem, f"{statistics.fmean(r['wss_95'] for r in runs):.3f}", flush=True)
    result = {
        "candidate": name,
        "set": csv.stem,
        "records": frame.height,
        "wss_95": [r["wss_95"] for r in runs],
        "cpu_seconds_per_run": cpu / seeds,
    }
    CACHE.mkdir(parents=True, exist_ok=True)
    cached.write_text(json.dumps(result))
    return result


def loso(table: dict[str, dict[str, float]], sets: list[str]) -> list[dict[str, Any]]:
    """Per held-out set: the candidate best on the mean of the other sets, and its score there."""
    out = []
    for held in sets:
        rest = [s for s in sets if s != held]
        best = max(table, key=lambda c: (statistics.fmean(table[c][s] for s in rest), c))
        out.append({"held_out": held, "chosen": best, "wss_95": table[best][held]})
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=6)
    parser.add_argument("--first", type=int, default=len(CANDIDATES), help="first N candidates")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--peer", default=None, help="JSON: {set: {seed: ASReview WSS@95}}")
    parser.add_argument("--out", default=str(HERE / "screening_models.md"))
    args = parser.parse_args()
    csvs = sorted(p for p in LABELLED.glob("*.csv") if p.name != "index.csv")
    started = time.perf_counter()
    names = list(CANDIDATES)[: args.first]
    tasks = [(name, csv, args.seeds) for name in names for csv in csvs]
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        done = list(pool.map(_task, tasks))
    sets = [c.stem for c in csvs]
    records = {d["set"]: d["records"] for d in done}
    table = {
        n: {d["set"]: statistics.fmean(d["wss_95"]) for d in done if d["candidate"] == n}
        for n in names
    }
    cpu = {
        n: statistics.fmean(d["cpu_seconds_per_run"] for d in done if d["candidate"] == n)
        for n in names
    }
    peer: dict[str, float] = {}
    if args.peer:
        raw = json.loads(Path(args.peer).read_text())
        peer = {
            s: statistics.fmean(v for k, v in raw[s].items() if int(k) < args.seeds)
            for s in sets
            if s in raw
        }
    results = {
        "seeds": args.seeds,
        "sets": sets,
        "records": records,
        "candidates": {
            n: {"settings": asdict(CANDIDATES[n][0]), "batch_fraction": CANDIDATES[n][1]}
            for n in names
        },
        "runs": done,
        "loso": loso(table, sets),
        "peer": peer,
        "commit": git_commit(),
        "cpu_model": cpu_model(),
        "seconds": time.perf_counter() - started,
        "command": "python benchmarks/compare_screening_models.py " + " ".join(sys.argv[1:]),
    }
    out = Path(args.out)
    out.with_suffix(".json").write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")
    out.write_text(render(results, table, cpu))
    print(f"written {out}")
    return 0


def render(
    results: dict[str, Any], table: dict[str, dict[str, float]], cpu: dict[str, float]
) -> str:
    sets, records, peer = results["sets"], results["records"], results["peer"]
    total = sum(records.values())
    lines = [
        "# Choosing the ranking model",
        "",
        f"`{results['command']}` at commit {results['commit']} on {results['cpu_model']}; "
        f"seeds 0..{results['seeds'] - 1} per set (the same random include and exclude as "
        "`make bench-screening`), WSS@95 means over the seeds. *Mean of sets*: each set counts "
        "once; *record-weighted*: each set weighted by its records. "
        + (
            "ASReview's WSS@95 (same seeds) from `--peer`; *worst vs ASReview*: the smallest "
            "per-set difference."
            if peer
            else ""
        ),
        "",
        "| candidate | "
        + " | ".join(sets)
        + " | mean of sets | record-weighted | "
        + ("worst vs ASReview | " if peer else "")
        + "CPU s/run |",
        "|---|" + "---:|" * (len(sets) + 3 + (1 if peer else 0)),
    ]
    order = sorted(table, key=lambda c: -statistics.fmean(table[c].values()))
    rows = [(c, table[c]) for c in order]
    if peer:
        rows.append(("ASReview LAB default (ELAS u4)", peer))
    for name, row in rows:
        mean = statistics.fmean(row[s] for s in sets)
        weighted = sum(row[s] * records[s] for s in sets) / total
        cells = [f"{row[s]:.3f}" for s in sets] + [f"{mean:.3f}", f"{weighted:.3f}"]
        if peer:
            worst = min(row[s] - peer[s] for s in sets) if name in table else 0.0
            cells.append(f"{worst:+.3f}" if name in table else "")
        cells.append(f"{cpu[name]:.2f}" if name in cpu else "")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "## Leave one set out",
        "",
        "For each set, the candidate with the best mean of the other five sets, scored on it.",
        "",
        "| held-out set | chosen on the others | its WSS@95 there | best candidate there |"
        + (" ASReview |" if peer else ""),
        "|---|---|---:|---:|" + ("---:|" if peer else ""),
    ]
    for e in results["loso"]:
        best = max(table[c][e["held_out"]] for c in table)
        lines.append(
            f"| {e['held_out']} | {e['chosen']} | {e['wss_95']:.3f} | {best:.3f} |"
            + (f" {peer[e['held_out']]:.3f} |" if peer else "")
        )
    loso_mean = statistics.fmean(e["wss_95"] for e in results["loso"])
    lines += ["", f"Leave-one-set-out mean WSS@95: {loso_mean:.3f}.", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
