"""Report rendering benchmark: time and page weight of the report at 500 and 100k studies.

For each scale (studies): a synthetic review (tests/support/synthetic_corpus.py: searches,
screening, charting and coding) is written to a scratch folder and run once by Snakemake
(untimed); then the report rule alone is re-run (``--forcerun report``) and timed (wall, CPU,
peak memory of the process tree), and the page's size is recorded with the number of table
rows it shows. The named peer is the same report at the smallest scale in the same run: page
weight must grow with what the page shows, not with the corpus (verdict: the largest page is at
most ``--max-weight-ratio`` times the smallest while the corpus grows by far more), and the
500-study render must stay under the 22 s that issue 20 measured for a 490-study review (the
verdict reads the rule's CPU seconds, which a loaded shared machine does not inflate; wall
seconds and the load average are recorded beside them).

    python benchmarks/bench_report.py --studies 500 100000   # `make bench-report`

Writes benchmarks/report.md and benchmarks/report.json, stamped with machine and commit.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import bench_workflow
import make_corpus
from stamp import git_commit

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
STUDIES_PER_RECORD = 0.7  # synthetic_corpus: about 30 % of records are duplicates
ISSUE_BASELINE_S = 22.0  # issue 20: a 490-study review's report took ~22 s to render


def page_stats(html: str) -> dict[str, int]:
    return {
        "bytes": len(html.encode("utf-8")),
        "table_rows": len(re.findall(r"<tr\b", html)),
        "svg_figures": len(re.findall(r"<svg\b", html)),
        "ledger_json_bytes": len(html.split('id="ledger-data">', 1)[-1].split("</script>", 1)[0]),
    }


def bench_scale(studies: int, work: Path, seed: int) -> dict[str, Any]:
    records = max(50, round(studies / STUDIES_PER_RECORD))
    folder = work / f"review_{studies}"
    shutil.rmtree(folder, ignore_errors=True)
    corpus = make_corpus.build(records, seed, None)
    make_corpus.write(corpus, folder)
    print(f"[{studies}] corpus: {corpus.n_records} records, {corpus.n_studies} studies", flush=True)
    bench_workflow.measure(bench_workflow.snakemake_cmd(folder), folder)
    report = bench_workflow.measure(
        bench_workflow.snakemake_cmd(folder, "--forcerun", "report"), folder
    )
    rule = bench_workflow.rule_benchmarks(folder).get("report", {})
    html = (folder / "results/07_report/index.html").read_text(encoding="utf-8")
    row = {
        "target_studies": studies,
        "records": corpus.n_records,
        "studies": corpus.n_studies,
        "counts": bench_workflow.counts(folder),
        "report_run": report,  # snakemake start-up + the report rule
        "report_rule_s": rule.get("s"),
        "report_rule_cpu_s": rule.get("cpu_s"),
        "report_rule_max_rss_mib": rule.get("max_rss_mib"),
        "page": page_stats(html),
    }
    print(f"[{studies}] {row}", flush=True)
    return row


def verdicts(rows: list[dict[str, Any]], max_ratio: float) -> dict[str, Any]:
    small, large = rows[0], rows[-1]
    corpus_ratio = large["studies"] / max(small["studies"], 1)
    weight_ratio = large["page"]["bytes"] / max(small["page"]["bytes"], 1)
    out: dict[str, Any] = {
        "corpus_ratio": round(corpus_ratio, 1),
        "weight_ratio": round(weight_ratio, 2),
        "max_weight_ratio": max_ratio,
        "weight_ok": weight_ratio <= max_ratio if len(rows) > 1 else None,
    }
    near = [r for r in rows if r["target_studies"] <= 1000]
    if near and near[0]["report_rule_cpu_s"] is not None:
        out["small_render_s"] = near[0]["report_rule_s"]
        out["small_render_cpu_s"] = near[0]["report_rule_cpu_s"]
        out["small_render_ok"] = near[0]["report_rule_cpu_s"] <= ISSUE_BASELINE_S
    return out


def render(result: dict[str, Any]) -> str:
    m = result["machine"]
    lines = [
        "# Report rendering benchmark",
        "",
        f"Commit `{result['commit']}`, {result['date']}; {m['cpu']} ({m['cores']} cores, "
        f"{m['memory_gib']} GiB), Python {m['python']}, load average at start "
        f"{m['loadavg_start']}, at end {result['loadavg_end']}.",
        "Command: `" + result["command"] + "`.",
        "",
        "| studies | records | included | report rule s | CPU s | peak MiB | run incl. start-up s "
        "| page KiB | table rows | figures | ledger JSON KiB |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in result["rows"]:
        p = r["page"]
        lines.append(
            f"| {r['studies']} | {r['records']} | {r['counts'].get('new_studies', '–')} "
            f"| {r['report_rule_s']} | {r['report_rule_cpu_s']} | {r['report_rule_max_rss_mib']} "
            f"| {r['report_run']['wall_s']} | {p['bytes'] / 1024:.0f} | {p['table_rows']} "
            f"| {p['svg_figures']} | {p['ledger_json_bytes'] / 1024:.0f} |"
        )
    v = result["verdicts"]
    lines += [
        "",
        "Peer: the same report at the smallest scale of this run.",
        "",
        f"- page weight, largest / smallest: {v['weight_ratio']}× for a corpus "
        f"{v['corpus_ratio']}× larger (target ≤ {v['max_weight_ratio']}×): "
        + {True: "**met**", False: "**not met**", None: "one scale only"}[v["weight_ok"]],
    ]
    if "small_render_s" in v:
        lines.append(
            f"- report rule at the small scale: {v['small_render_cpu_s']} CPU s "
            f"({v['small_render_s']} s wall at the load above; issue 20 measured ~"
            f"{ISSUE_BASELINE_S:g} s for a 490-study review): "
            + ("**met**" if v["small_render_ok"] else "**not met**")
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--studies", type=int, nargs="+", default=[500, 100_000])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--max-weight-ratio", type=float, default=10.0)
    ap.add_argument("--work", type=Path, default=None, help="scratch folder (default: a temp dir)")
    ap.add_argument("--out", type=Path, default=HERE)
    args = ap.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-report-"))
    started = time.perf_counter()
    host = bench_workflow.machine()  # before the runs: its load average is the one at start
    rows = [bench_scale(n, work, args.seed) for n in sorted(args.studies)]
    result = {
        "commit": git_commit(),
        "date": datetime.datetime.now(tz=datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": host,
        "command": "python benchmarks/bench_report.py --studies "
        + " ".join(str(n) for n in sorted(args.studies)),
        "rows": rows,
        "loadavg_end": [round(x, 2) for x in os.getloadavg()],
        "verdicts": verdicts(rows, args.max_weight_ratio),
        "total_s": round(time.perf_counter() - started, 1),
    }
    (args.out / "report.json").write_text(json.dumps(result, indent=2) + "\n")
    (args.out / "report.md").write_text(render(result))
    print(render(result))
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
