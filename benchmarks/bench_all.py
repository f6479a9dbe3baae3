"""`make bench`: every benchmark of issue 19 in one invocation, written to one results file.

One run measures, on this machine and at this commit:

- workflow: the whole workflow on synthetic reviews at each of ``--scales`` (default 10k and
  100k; 1M and 2M opt in), a full run and a +``--update`` round (default 1 %) on top, wall,
  CPU seconds and the peak RSS of any process (the largest of the rules' benchmark files and
  getrusage over Snakemake and everything it waited for), per rule; and the example's dry run;
- help: ``scoping-review --help`` wall time, ``--help-runs`` times (best and median), and what
  its start-up imports cost (``python -X importtime``);
- import: a realistic corpus (``realistic_corpus.py``: vendor layouts, multi-line abstracts,
  long author lists) imported through the ``scoping-review import`` command and in-process, and
  by the peers in the same run (rispy for RIS, bibtexparser for BibTeX), each as a command of
  its own and in-process: wall, CPU seconds and peak RSS;
- dedupe: accuracy on the labelled sets of ``../shared/fixtures/dedup`` pooled over pairs (true
  and false positives and misses summed over every set, then precision, recall and F1), ours and
  bib-dedupe, and the speed of both on ``--dedupe-scales`` synthetic records.

Then every target's verdict is computed from those numbers (``verdicts.py``) and
``benchmarks/results.json`` and ``benchmarks/RESULTS.md`` are written, stamped with the machine,
CPU count, load average at start and end, commit (and whether the tree was dirty), versions and
the exact command. Nothing is read from an earlier run.

    python benchmarks/bench_all.py                                   # `make bench`
    python benchmarks/bench_all.py --scales 10000 100000 1000000     # opt in to 1M
    python benchmarks/bench_all.py --sections workflow,help --scales 10000   # a part
"""

from __future__ import annotations

import argparse
import functools
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO / "workflow" / "scripts"))

import bench_workflow  # noqa: E402
import realistic_corpus  # noqa: E402
import results_md  # noqa: E402
import stamp  # noqa: E402
import verdicts  # noqa: E402

SECTIONS = ("workflow", "help", "import", "dedupe")
BIN = Path(sys.executable).parent


def _cli() -> list[str]:
    exe = BIN / "scoping-review"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "scoping_review.cli"]


# --- help ---------------------------------------------------------------------------------------


def importtime_top(stderr: str, k: int = 8) -> list[tuple[str, int]]:
    """The largest imports by cumulative microseconds from ``python -X importtime`` output: the
    top-level modules and the modules they import directly (nested ones, indented two spaces
    more, are inside those figures)."""
    rows: list[tuple[str, int]] = []
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, cumulative, name = line.removeprefix("import time:").split("|", 2)
        depth = (len(name) - len(name.lstrip(" ")) - 1) // 2
        if depth <= 1:
            rows.append((name.strip(), int(cumulative.strip())))
    return sorted(rows, key=lambda r: -r[1])[:k]


def bench_help(work: Path, runs: int) -> dict[str, Any]:
    cmd = [*_cli(), "--help"]
    results = [bench_workflow.measure(cmd, work) for _ in range(runs)]
    code = (
        "import sys; sys.argv = ['scoping-review', '--help']\n"
        "from scoping_review.cli import main; main()"
    )
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        capture_output=True, text=True, check=False, cwd=work,
    )  # fmt: skip
    return {
        "command": " ".join(cmd),
        "runs_s": [r["wall_s"] for r in results],
        "best_s": min(r["wall_s"] for r in results),
        "median_s": statistics.median(r["wall_s"] for r in results),
        "cpu_s_best": min(r["cpu_s"] for r in results),
        "peak_rss_mib": max(r["peak_rss_mib"] for r in results),
        "importtime_top": importtime_top(done.stderr),
    }


# --- import -------------------------------------------------------------------------------------

RISPY_CMD = (
    "import sys, rispy\n"
    "with open(sys.argv[1], encoding='utf-8-sig') as f: print(len(rispy.load(f)))"
)
BIBTEX_CMD = (
    "import sys, bibtexparser\n"
    "print(len(bibtexparser.parse_string(open(sys.argv[1], encoding='utf-8').read()).entries))"
)


def _import_text(text: str, fmt: str) -> int:
    from scoping_review import importing

    meta = importing.SourceMeta("bench", "Bench", "", "sample")
    return int(importing.import_export(text.encode("utf-8"), meta, fmt=fmt).records.height)


def _in_process(fn: Callable[[], int]) -> dict[str, Any]:
    c0, t0 = time.process_time(), time.perf_counter()
    n = fn()
    return {
        "wall_s": round(time.perf_counter() - t0, 3),
        "cpu_s": round(time.process_time() - c0, 3),
        "records": n,
    }


def _best(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Best wall and best CPU of repeated runs (load from other processes only adds), the
    largest peak RSS."""
    return {
        "wall_s": min(r["wall_s"] for r in runs),
        "cpu_s": min(r["cpu_s"] for r in runs),
        "peak_rss_mib": max(r.get("peak_rss_mib", 0.0) for r in runs),
        "runs": len(runs),
    }


def bench_import_format(path: Path, fmt: str, n: int, repeat: int, work: Path) -> dict[str, Any]:
    """One realistic export imported by the command and in-process, and by its peer (RIS:
    rispy, BibTeX: bibtexparser) as a command and in-process, interleaved ``repeat`` times."""
    import bibtexparser
    import rispy

    from scoping_review import importing
    from scoping_review.io.decode import decode

    peer_code = {"ris": RISPY_CMD, "bibtex": BIBTEX_CMD}.get(fmt)
    peer_name = {
        "ris": f"rispy {getattr(rispy, '__version__', '')}".strip(),
        "bibtex": f"bibtexparser {bibtexparser.__version__}",
    }.get(fmt)
    ours_cmd = [*_cli(), "import", str(path), "--format", fmt]
    command, peer_command, ours_ip, peer_ip, read = [], [], [], [], []
    meta = importing.SourceMeta("bench", "Bench", "", str(path))

    def ours() -> int:
        result = importing.import_export(path.read_bytes(), meta, fmt=fmt)
        return int(result.records.height)

    def reading() -> int:
        parsed, _, _ = importing.parse_text(decode(path.read_bytes()), fmt)
        return int(parsed.n_records)

    def peer() -> int:
        if fmt == "ris":
            with open(path, encoding="utf-8-sig") as handle:
                return len(rispy.load(handle))
        return len(bibtexparser.parse_string(path.read_text(encoding="utf-8")).entries)

    for _ in range(repeat):
        command.append(bench_workflow.measure(ours_cmd, work))
        ours_ip.append(_in_process(ours))
        read.append(_in_process(reading))
        if peer_code:
            peer_command.append(
                bench_workflow.measure([sys.executable, "-c", peer_code, str(path)], work)
            )
            peer_ip.append(_in_process(peer))
    with_out = bench_workflow.measure([*ours_cmd, "--out", str(work / f"{fmt}.parquet")], work)
    counts = {
        "ours": ours_ip[0]["records"],
        "read": read[0]["records"],
        **({"peer": peer_ip[0]["records"]} if peer_ip else {}),
    }
    row: dict[str, Any] = {
        "format": fmt,
        "records": n,
        "mb": round(path.stat().st_size / 1e6, 1),
        "counts": counts,
        "counts_agree": all(v == n for v in counts.values()),
        "command": {**_best(command), "argv": " ".join(ours_cmd[1:])},
        "command_with_out": with_out,
        "in_process": _best(ours_ip),
        "read": _best(read),
    }
    if peer_code:
        row["peer"] = peer_name
        row["peer_command"] = _best(peer_command)
        row["peer_in_process"] = _best(peer_ip)
    return row


def _owner(filename: str) -> str:
    """Who a profiled function belongs to: a third-party package, a module of ours, or Python."""
    path = Path(filename)
    if "site-packages" in path.parts:
        return path.parts[path.parts.index("site-packages") + 1].split(".")[0]
    if "scoping_review" in path.parts:
        rel = path.parts[path.parts.index("scoping_review") :]
        return ".".join(rel).removesuffix(".py")
    return f"stdlib {path.stem}" if "python3" in filename else path.stem


def _native(func: str) -> str:
    """A built-in or native function's name: ``<method 'collect' of 'builtins.PyLazyFrame'
    objects>`` -> ``PyLazyFrame.collect`` (polars' engine), ``<built-in method x>`` -> ``x``."""
    m = re.match(r"<method '([^']+)' of '(?:[\w.]*\.)?([^'.]+)' objects>", func)
    if m:
        return f"{m.group(2)}.{m.group(1)}"
    return func.removeprefix("<built-in method ").removeprefix("<").removesuffix(">")


def profile_owners(fn: Callable[[], object], k: int = 4) -> list[tuple[str, float]]:
    """``fn``'s own CPU time (cProfile tottime) summed per owner (:func:`_owner`), largest
    first: where an import spends its time, measured."""
    import cProfile
    import pstats

    prof = cProfile.Profile()
    prof.runcall(fn)
    totals: dict[str, float] = {}
    for (filename, _, func), row in pstats.Stats(prof).stats.items():  # type: ignore[attr-defined]
        owner = _native(func) if filename == "~" else _owner(filename)
        totals[owner] = totals.get(owner, 0.0) + row[2]
    whole = sum(totals.values()) or 1.0
    top = sorted(totals.items(), key=lambda kv: -kv[1])[:k]
    return [(name, round(t / whole, 3)) for name, t in top]


def bench_import(work: Path, n: int, bibtex_n: int, seed: int, repeat: int) -> dict[str, Any]:
    out: dict[str, Any] = {"n": n, "bibtex_n": bibtex_n, "seed": seed, "repeat": repeat}
    rows = []
    for fmt, count, rounds in (("ris", n, repeat), ("medline", n, repeat), ("bibtex", bibtex_n, 1)):
        if not count:
            continue
        recs = realistic_corpus.records(count, seed)
        path = work / f"realistic.{realistic_corpus.SUFFIX[fmt]}"
        path.write_text(realistic_corpus.render(recs, fmt), encoding="utf-8")
        del recs
        try:
            row = bench_import_format(path, fmt, count, rounds, work)
        except (RuntimeError, MemoryError) as err:  # recorded, the other sections still run
            row = {"format": fmt, "records": count, "failed": str(err)[:500]}
        sample = realistic_corpus.render(realistic_corpus.records(min(count, 2000), seed), fmt)
        row["profile_sample_records"] = min(count, 2000)
        row["profile"] = profile_owners(functools.partial(_import_text, sample, fmt))
        print(f"import {fmt}: {json.dumps(row)}", flush=True)
        rows.append(row)
        path.unlink()
    out["rows"] = rows
    return out


# --- dedupe -------------------------------------------------------------------------------------


def mean_of_sets(metrics: list[dict[str, Any]]) -> dict[str, float]:
    """The unweighted mean of per-set precision, recall and F1 (shown only to contrast with the
    pooled figures: a 3-pair set weighs as much as a 479-pair one)."""
    return {k: statistics.mean(m[k] for m in metrics) for k in ("precision", "recall", "f1")}


def bench_dedupe_section(scales: list[int], peer_max: int) -> dict[str, Any]:
    import bench_dedupe as bd

    labelled: dict[str, dict[str, Any]] = {}
    found = bd.FIXTURES.exists()  # ../shared: absent from a bare clone; the speed part still runs
    for name in bd.CSV_SETS if found else ():
        folder = bd.FIXTURES / "bib-dedupe_colrev" / name
        gold = bd.gold_groups(folder)
        for tool in ("ours", "bib-dedupe"):
            res = bd.run_tool(tool, folder / "records_pre_merged.csv")
            metrics = bd.pairwise(res["groups"], gold)
            metrics["seconds"] = res["seconds"]
            labelled.setdefault(name, {})[tool] = metrics
    for tool in ("ours", "bib-dedupe") if found else ():
        labelled.setdefault(bd.PAIR_CASES, {})[tool] = bd.pair_cases(tool)
    pooled, means = {}, {}
    for tool in ("ours", "bib-dedupe") if found else ():
        per_set = [labelled[name][tool] for name in labelled]
        pooled[tool] = bd.pooled(per_set)
        means[tool] = mean_of_sets([{**m, **bd.pooled([m])} for m in per_set])
    print(f"dedupe pooled: {pooled}", flush=True)
    speed: dict[str, dict[str, Any]] = {}
    for n in scales:
        csv, gold = bd.synthetic(n)
        for tool in ("ours", "bib-dedupe"):
            if tool == "bib-dedupe" and n > peer_max:
                continue
            res = bd.run_tool(tool, csv)
            if "failed" not in res:
                metrics = bd.pairwise(res.pop("groups"), gold)
                res = {**metrics, "seconds": res["seconds"], "peak_mib": res["peak_mib"]}
            speed.setdefault(str(n), {})[tool] = res
            print(f"dedupe {n} {tool}: {res}", flush=True)
    return {
        "labelled_sets": str(bd.FIXTURES) if found else f"not found: {bd.FIXTURES}",
        "labelled": labelled,
        "pooled": pooled,
        "mean_of_sets": means,
        "speed": speed,
        "peer_max": peer_max,
    }


# --- driver -------------------------------------------------------------------------------------


def run(args: argparse.Namespace, argv: list[str]) -> dict[str, Any]:
    sections = [s for s in args.sections.split(",") if s]
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        raise SystemExit(f"unknown sections {sorted(unknown)}; known: {', '.join(SECTIONS)}")
    command = ["python", "benchmarks/bench_all.py", *argv]
    result: dict[str, Any] = {"stamp": stamp.stamp(command), "sections": sections}
    work = args.work or Path(tempfile.mkdtemp(prefix="scoping-review-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    result["stamp"]["slurm_client"] = stamp.quiet_idle_slurm(work)
    try:
        if "help" in sections:
            result["help"] = bench_help(work, args.help_runs)
            print(f"help: {result['help']}", flush=True)
        if "import" in sections:
            result["import"] = bench_import(
                work, args.import_n, args.bibtex_n, args.import_seed, args.import_repeat
            )
        if "dedupe" in sections:
            result["dedupe"] = bench_dedupe_section(args.dedupe_scales, args.peer_max)
        if "workflow" in sections:
            dry = bench_workflow.dry_run(work, args.dry_runs)
            print(f"dry run of the example: {dry}", flush=True)
            scales = [
                bench_workflow.bench_scale(n, work, args.seed, args.update) for n in args.scales
            ]
            result["workflow"] = {"update": args.update, "dry_run": dry, "scales": scales}
    finally:
        if not args.keep and args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    stamp.finish(result["stamp"])
    result["verdicts"] = verdicts.verdicts(result)
    return result


def write(result: dict[str, Any], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    (out / "RESULTS.md").write_text(results_md.render(result), encoding="utf-8")
    print(f"written {out / 'RESULTS.md'} and {out / 'results.json'}")


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sections", default=",".join(SECTIONS), help="comma-separated subset")
    ap.add_argument("--scales", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--update", type=float, default=0.01, help="update round (fraction)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--help-runs", type=int, default=10)
    ap.add_argument("--dry-runs", type=int, default=3, help="dry runs of the example")
    ap.add_argument("--import-n", type=int, default=100_000, help="RIS and MEDLINE records")
    ap.add_argument("--bibtex-n", type=int, default=3_000, help="BibTeX records (0: skip)")
    ap.add_argument("--import-seed", type=int, default=11)
    ap.add_argument("--import-repeat", type=int, default=3)
    ap.add_argument("--dedupe-scales", type=int, nargs="*", default=[10_000])
    ap.add_argument("--peer-max", type=int, default=10_000, help="largest bib-dedupe scale")
    ap.add_argument("--work", type=Path, default=None, help="scratch folder (default: temp)")
    ap.add_argument("--keep", action="store_true", help="keep the scratch folder")
    ap.add_argument("--out", type=Path, default=HERE)
    ap.add_argument(
        "--render",
        type=Path,
        default=None,
        help="only rewrite RESULTS.md and results.json (verdicts recomputed) from this JSON",
    )
    return ap


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser().parse_args(argv)
    if args.render:
        # the same run's numbers; the verdicts (and how they are worded) recomputed and written
        # into both files, so results.json and RESULTS.md never disagree
        result = json.loads(args.render.read_text(encoding="utf-8"))
        result["verdicts"] = verdicts.verdicts(result)
        write(result, args.out)
        return
    write(run(args, argv), args.out)


if __name__ == "__main__":
    main()
