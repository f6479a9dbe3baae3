"""benchmarks/RESULTS.md from the results dict of one `make bench` run (``bench_all.py``).

Pure: :func:`render` turns that dict (as written to results.json) into Markdown. Every number
and every verdict comes from the dict; RESULTS_NOTES.md, appended at the end, holds only
methods and caveats (no numbers), so nothing in the file is older than the run.
"""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import Any

import verdicts

HERE = Path(__file__).resolve().parent
GIB_MIB = 1024.0


def _n(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _stamp(st: dict[str, Any]) -> list[str]:
    return [
        "## This run",
        "",
        f"- Command: `{st['command']}`",
        f"- Started {st['started']}, finished {st.get('finished', '–')}",
        f"- Machine `{st['machine']}`: {st['cpu']}, {st['cpus']} CPUs visible, "
        f"{st['memory_gib']} GiB memory; {st['os']}",
        f"- Machine speed: a fixed pure-Python loop of 5 million additions took "
        f"{st.get('python_loop_s', '–')} s (best of 3; absolute times scale with it, ratios to "
        "a peer measured in the same run much less)",
        f"- Load average (1, 5, 15 min) at start {st['loadavg_start']}, at end "
        f"{st.get('loadavg_end', '–')}",
        f"- Commit `{st['commit']}`"
        + (" (the working tree had uncommitted changes)" if st.get("dirty") else " (clean tree)"),
        f"- Python {st['python']}, polars {st['polars']}, Snakemake {st['snakemake']}",
        *([f"- SLURM: {st['slurm_client']}"] if st.get("slurm_client") else []),
        "",
    ]


def _verdicts(rows: list[dict[str, str]]) -> list[str]:
    out = [
        "## Targets (verdicts computed from the numbers below)",
        "",
        "| target | measured | verdict | measured cause where missed |",
        "| --- | --- | --- | --- |",
    ]
    for r in rows:
        verdict = f"**{r['verdict']}**" if r["verdict"] in ("met", "gap") else r["verdict"]
        out.append(f"| {r['target']} | {r['measured']} | {verdict} | {r['cause'] or ''} |")
    return [*out, ""]


def _exact(rule: dict[str, Any] | None) -> str:
    """A rule's largest process (MiB) from its log, or – where no log gave it."""
    value = (rule or {}).get("peak_exact_mib")
    return "–" if value is None else f"{value:.0f}"


def _workflow(wf: dict[str, Any]) -> list[str]:
    out = [
        f"## Whole workflow (import → report), `--cores 2`, +{wf['update']:.0%} update",
        "",
        "| records | studies | wall s | CPU s | peak RSS GiB (any process) | update records "
        "| update wall s | update CPU s | update / full (wall) |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for s in wf["scales"]:
        full, upd = s["full"], s.get("update") or {}
        peak = verdicts.peak_mib(full, s["rules"])
        if not full["ok"]:
            out.append(f"| {s['records']:,} | {s['studies']:,} | failed after "
                       f"{full['wall_s']} s | | | | | | |")  # fmt: skip
            continue
        # from the walls, as the verdict computes it (the stored ratio is rounded: 0.795 of
        # 22.45 / 28.24 s would print 80 % beside the verdict's 79 %)
        ratio = upd["wall_s"] / full["wall_s"] if upd.get("ok") and full["wall_s"] else None
        out.append(
            f"| {s['records']:,} | {s['studies']:,} | {full['wall_s']} | {full['cpu_s']} "
            f"| {peak / GIB_MIB:.2f} | {upd.get('added_records', '–')} "
            f"| {upd.get('wall_s', '–')} | {upd.get('cpu_s', '–')} "
            f"| {'–' if ratio is None else f'{ratio:.0%}'} |"
        )
    out += [
        "",
        "Peak RSS: the largest of getrusage's maximum over Snakemake and every process it "
        "waited for (exact per process) and the rules' Snakemake benchmark files (sampled; "
        "their proportional set size, max PSS, where given: Snakemake sums the RSS of a rule's "
        "processes, which counts the pages a forked worker shares with the rule's process once "
        "per process). *Largest process*: the peak RSS of the rule's process or of its "
        "largest child, which the rule's log gives at its end (the kernel's high-water marks, "
        "exact, not sampled). "
        "Ledger counts of each run are in results.json.",
        "",
    ]
    for s in wf["scales"]:
        out += [
            f"### Per rule at {s['records']:,} records (Snakemake `benchmark:` files)",
            "",
            "| rule | jobs | wall s | CPU s | max RSS MiB | max PSS MiB | largest process MiB "
            "| share of full run | update wall s | update CPU s | update max RSS MiB "
            "| update max PSS MiB | update largest process MiB |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
            "| ---: |",
        ]
        upd_rules = (s.get("update") or {}).get("rules", {})
        wall = s["full"]["wall_s"]
        for name, r in s["rules"].items():
            u = upd_rules.get(name)
            u_rss = f"{u['max_rss_mib']:.0f}" if u else "–"
            u_pss = f"{u.get('max_pss_mib', 0.0):.0f}" if u else "–"
            out.append(
                f"| {name} | {int(r['jobs'])} | {r['s']} | {r['cpu_s']} | {r['max_rss_mib']:.0f} "
                f"| {r.get('max_pss_mib', 0.0):.0f} | {_exact(r)} "
                f"| {r['s'] / wall if wall else 0:.0%} "
                f"| {u['s'] if u else '–'} | {u['cpu_s'] if u else '–'} | {u_rss} | {u_pss} "
                f"| {_exact(u)} |"
            )
        out.append("")
    d = wf["dry_run"]
    out += [
        f"Dry run of the bundled example: best {d['best_s']} s wall, {d['best_cpu_s']} s CPU of "
        f"{len(d['runs_s'])} ({d['runs_s']}); a one-rule Snakefile: {d['snakemake_floor_s']} s "
        f"wall, {d['snakemake_floor_cpu_s']} s CPU.",
        "",
    ]
    if d.get("rule_floor"):
        f = d["rule_floor"]
        out += [
            f"The start of any rule (a script rule that only imports polars and the package's "
            f"storage, logs a line and writes one row): best {f['best_s']} s wall, "
            f"{f['best_cpu_s']} s CPU of {len(f['runs_s'])} ({f['runs_s']}).",
            "",
        ]
    return out


def _help(h: dict[str, Any]) -> list[str]:
    top = ", ".join(f"`{m}` {us / 1e3:.0f} ms" for m, us in h["importtime_top"][:8])
    return [
        "## CLI start-up",
        "",
        f"`{h['command']}`, {len(h['runs_s'])} runs: best {h['best_s']} s, median "
        f"{statistics.median(h['runs_s'])} s wall (runs {h['runs_s']}); "
        f"best CPU {h['cpu_s_best']} s, "
        f"peak RSS {h['peak_rss_mib']:.0f} MiB. Largest start-up imports "
        f"(`python -X importtime`, cumulative): {top or '–'}.",
        "",
    ]


def _import(imp: dict[str, Any]) -> list[str]:
    out = [
        f"## Import of a realistic corpus (`benchmarks/realistic_corpus.py`, seed {imp['seed']})",
        "",
        "RIS mixes Scopus, Ovid, Embase and EBSCO/Rayyan layouts (multi-line abstracts with "
        "indented and unindented continuation lines, 4 % of records with 50-100 authors, "
        "untagged keyword lines, numbered lines and link lines between records); MEDLINE wraps "
        "as PubMed does; BibTeX has multi-line abstracts, long `and` lists and LaTeX escapes. "
        f"Commands and in-process calls interleaved, best of {imp['repeat']} "
        "(BibTeX: 1). *command*: `scoping-review import FILE --format F` (what a user runs: "
        "start-up, decoding, parsing, canonical mapping, record IDs, validation and the "
        "reconciliation printed); the peer as a command is `python -c` loading the same file. "
        "*in-process*: `importing.import_export` on the bytes; the peer's load call. "
        "*reading*: decoding and our reader alone (the work rispy does).",
        "",
        "| format | records | MB | counts agree | ours command wall s | CPU s | peak MiB "
        "| ours in-process CPU s | reading CPU s | with `--out` CPU s | peer | peer command "
        "wall s | CPU s | peak MiB | peer in-process CPU s | command ÷ peer per CPU s "
        "| in-process ÷ peer per CPU s |",
        "| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: "
        "| ---: | ---: | ---: | ---: |",
    ]
    for r in imp["rows"]:
        if r.get("failed"):
            out.append(f"| {r['format']} | {r['records']:,} | failed: {r['failed'][:200]} |")
            continue
        c, ip, rd, wo = r["command"], r["in_process"], r["read"], r["command_with_out"]
        pc, pip = r.get("peer_command"), r.get("peer_in_process")
        ratio = f"{pc['cpu_s'] / c['cpu_s']:.2f}×" if pc else "–"
        ip_ratio = f"{pip['cpu_s'] / ip['cpu_s']:.2f}×" if pip else "–"
        p_rss = f"{pc['peak_rss_mib']:.0f}" if pc else "–"
        agree = "yes" if r["counts_agree"] else str(r["counts"])
        out.append(
            f"| {r['format']} | {r['records']:,} | {r['mb']} | {agree} "
            f"| {c['wall_s']} | {c['cpu_s']} | {c['peak_rss_mib']:.0f} | {ip['cpu_s']} "
            f"| {rd['cpu_s']} | {wo.get('cpu_s', 'failed')} | {r.get('peer', '–')} "
            f"| {pc['wall_s'] if pc else '–'} | {pc['cpu_s'] if pc else '–'} "
            f"| {p_rss} | {pip['cpu_s'] if pip else '–'} "
            f"| {ratio} | {ip_ratio} |"
        )
    return [*out, ""]


def _dedupe(ded: dict[str, Any]) -> list[str]:
    out = [
        "## Deduplication against bib-dedupe (same run)",
        "",
        "Accuracy on the pair-labelled sets of `../shared/fixtures/dedup/` (bib-dedupe's own "
        "test sets and its hand-made pair cases), **pooled over pairs**: true positives, false "
        "positives (false merges) and misses summed over every set, then precision, recall and "
        "F1 once. The unweighted mean of per-set scores is shown beside it only to show the "
        "difference (it weighs a 3-pair set as much as a 479-pair one).",
        "",
        "| set | gold pairs | ours TP / FP / FN | bib-dedupe TP / FP / FN |",
        "| --- | ---: | ---: | ---: |",
    ]
    for name, tools in ded["labelled"].items():
        o, p = tools["ours"], tools["bib-dedupe"]
        out.append(
            f"| {name} | {o['gold_pairs']} | {o['tp']} / {o['fp']} / {o['fn']} "
            f"| {p['tp']} / {p['fp']} / {p['fn']} |"
        )
    out += [
        "",
        "| tool | pooled precision | pooled recall | pooled F1 | false-merge pairs "
        "| mean-of-sets F1 (not the headline) |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for tool, m in ded["pooled"].items():
        out.append(
            f"| {tool} | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} | {m['fp']} "
            f"| {ded['mean_of_sets'][tool]['f1']:.3f} |"
        )
    out += [
        "",
        f"Speed on synthetic records (bib-dedupe up to {ded['peer_max']:,} records):",
        "",
        "| records | tool | seconds | peak MiB | F1 | speed-up |",
        "| ---: | --- | ---: | ---: | ---: | ---: |",
    ]
    for n, tools in ded["speed"].items():
        ours, peer = tools.get("ours"), tools.get("bib-dedupe")
        for tool, m in tools.items():
            if "failed" in m:
                out.append(f"| {int(n):,} | {tool} | failed: {m['failed']} | | | |")
                continue
            ratio = ""
            if tool == "ours" and peer and "failed" not in peer and ours:
                ratio = f"{peer['seconds'] / ours['seconds']:.1f}×"
            out.append(
                f"| {int(n):,} | {tool} | {m['seconds']:.2f} | {m['peak_mib']:.0f} "
                f"| {m['f1']:.3f} | {ratio} |"
            )
    return [*out, ""]


def render(result: dict[str, Any]) -> str:
    st = result["stamp"]
    out = [
        "# Performance results (`make bench`)",
        "",
        f"Written by `benchmarks/bench_all.py` from one run (sections: "
        f"{', '.join(result['sections'])}); every number and verdict below comes from that "
        "run (results.json holds them all). Regenerate with `make bench` (scales: "
        '`BENCH_SCALES="10000 100000"`; add `1000000` and `2000000` to opt in).',
        "",
        *_stamp(st),
        *_verdicts(result["verdicts"]),
    ]
    if result.get("workflow"):
        out += _workflow(result["workflow"])
    if result.get("help"):
        out += _help(result["help"])
    if result.get("import"):
        out += _import(result["import"])
    if result.get("dedupe"):
        out += _dedupe(result["dedupe"])
    notes = HERE / "RESULTS_NOTES.md"
    if notes.exists():  # methods and caveats, no numbers
        out += [notes.read_text(encoding="utf-8").rstrip(), ""]
    return "\n".join(out)
