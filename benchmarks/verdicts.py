"""Every verdict in RESULTS.md, computed from the measured numbers of one `make bench` run.

Pure: :func:`verdicts` takes the results dict that ``bench_all.py`` builds (and writes to
results.json) and returns one row per target: what was measured, the verdict and, where a
target is missed, its measured cause. A verdict is one of

- ``met`` / ``gap``: the measured value against the target;
- ``not measured (...)``: the scale or section was not run, or the peer did not give a number.

No verdict is ever written by hand: a target whose scale was not run is never "met".
"""

from __future__ import annotations

import itertools
import math
import statistics
from typing import Any

GIB_MIB = 1024.0
MET, GAP = "met", "gap"
NOT_RUN_SCALE = "not measured (scale not run)"
NOT_RUN_SECTION = "not measured (section not run)"

# issue 19's targets (2 cores, 24 GiB); the earlier issues' targets further down
TARGETS: dict[str, float] = {
    "update_ratio_100k": 0.25,
    "update_ratio_1m": 0.10,
    "e2e_1m_s": 360.0,
    "peak_1m_gib": 6.0,
    "e2e_100k_s": 30.0,
    "help_s": 0.3,
    "ris_vs_rispy_cpu": 2.0,
    # "peak memory must grow sub-linearly in practice (100k, 1M, 2M)": each step's exponent
    # log(peak ratio) / log(records ratio) at most this, so that run-to-run noise around a
    # linear step (exponent 1) is not read as sub-linear
    "peak_growth_exponent": 0.9,
    # earlier issues, still computed
    "dry_run_s": 2.0,
    "bibtex_vs_bibtexparser_cpu": 1.0,
    "dedupe_vs_bib_dedupe_100k": 10.0,
}


def _row(target: str, measured: str, verdict: str, cause: str = "") -> dict[str, str]:
    return {"target": target, "measured": measured, "verdict": verdict, "cause": cause}


def judge(value: float | None, limit: float, *, at_least: bool = False) -> str:
    """``met`` or ``gap`` for ``value`` against ``limit`` (at most, or at least)."""
    if value is None:
        return "not measured (no value)"
    ok = value >= limit if at_least else value <= limit
    return MET if ok else GAP


def rule_mib(rule: dict[str, float]) -> float:
    """A rule's memory: its largest process where its log gives it (getrusage, exact:
    bench_workflow.rule_peaks), else from its benchmark file (sampled) the proportional set
    size of its processes (pages a forked worker shares with its parent counted once), else
    their summed RSS."""
    return rule.get("peak_exact_mib") or rule.get("max_pss_mib") or rule["max_rss_mib"]


def peak_mib(run: dict[str, Any], rules: dict[str, dict[str, float]]) -> float:
    """Peak RSS of any process of a run: the largest of the rules' benchmark files
    (:func:`rule_mib`) and the getrusage maximum over Snakemake and every process it waited
    for (exact per process, forked workers included)."""
    return max([float(run.get("peak_rss_mib") or 0.0)] + [rule_mib(r) for r in rules.values()])


def peak_process(run: dict[str, Any], rules: dict[str, dict[str, float]]) -> str:
    """The rule whose process holds the peak (its :func:`rule_mib` within 5 % of the peak),
    else Snakemake itself or a process its benchmark sampling missed."""
    peak = peak_mib(run, rules)
    if rules:
        name, top = max(rules.items(), key=lambda kv: rule_mib(kv[1]))
        if rule_mib(top) >= 0.95 * peak:
            return f"rule {name} ({rule_mib(top) / GIB_MIB:.2f} GiB)"
    return f"Snakemake or a process its benchmark files do not cover ({peak / GIB_MIB:.2f} GiB)"


def dominant_rules(
    rules: dict[str, dict[str, float]],
    total_s: float,
    total_cpu_s: float | None = None,
    k: int = 3,
    notes: dict[str, str] | None = None,
) -> str:
    """The ``k`` rules with the most wall time, their share of ``total_s`` and CPU seconds, each
    with what its log says of its work (``notes``, bench_workflow.log_notes); with
    ``total_cpu_s``, also the CPU spent outside the rules (Snakemake's start-up, DAG, checks)."""
    top = sorted(rules.items(), key=lambda kv: -kv[1]["s"])[:k]
    notes = notes or {}
    parts = [
        f"{n} {r['s']:.1f} s wall ({r['s'] / total_s:.0%}), {r['cpu_s']:.1f} s CPU"
        + (f" [log: {notes[n]}]" if n in notes else "")
        for n, r in top
        if total_s
    ]
    if not parts:
        return "no per-rule benchmark files"
    text = "largest rules: " + "; ".join(parts)
    if total_cpu_s is not None:
        outside = total_cpu_s - sum(r["cpu_s"] for r in rules.values())
        text += "; outside the rules (Snakemake itself, or CPU the sampling missed) "
        text += f"{outside:.1f} s CPU"
    return text


def _scale(result: dict[str, Any], n: int) -> dict[str, Any] | None:
    wf = result.get("workflow")
    if not wf:
        return None
    return next((s for s in wf["scales"] if s["records"] == n), None)


def _workflow_missing(result: dict[str, Any]) -> str:
    return NOT_RUN_SECTION if not result.get("workflow") else NOT_RUN_SCALE


def _failed(run: dict[str, Any]) -> str | None:
    return None if run.get("ok", True) else error_summary(str(run.get("error", "failed")))


def error_summary(error: str, limit: int = 300) -> str:
    """What a failed run says went wrong, in one line: from Snakemake's "error in rule" (or
    the last lines of output), not the banner it prints first; the exit status kept."""
    status = error.split(":", 1)[0] if error.startswith("exit ") else ""
    lines = [ln.strip() for ln in error.splitlines() if ln.strip()]
    at = next((i for i, ln in enumerate(lines) if ln.lower().startswith("error in rule")), None)
    picked = lines[at : at + 3] if at is not None else lines[-3:]
    text = " / ".join(picked)
    if status and not text.startswith(status):
        text = f"{status}: {text}"
    return text[:limit]


def _update_row(result: dict[str, Any], n: int, key: str, label: str) -> dict[str, str]:
    limit = TARGETS[key]
    target = f"+1 % update ≤ {limit:.0%} of the full run at {label}"
    s = _scale(result, n)
    if s is None:
        return _row(target, "–", _workflow_missing(result))
    if _failed(s["full"]):
        return _row(target, "full run failed", GAP, f"full run failed: {_failed(s['full'])}")
    upd = s.get("update")
    if not upd:
        return _row(target, "–", "not measured (update not run)")
    if _failed(upd):
        return _row(target, "update failed", GAP, f"update run failed: {_failed(upd)}")
    ratio = upd["wall_s"] / s["full"]["wall_s"]
    cpu_ratio = upd["cpu_s"] / s["full"]["cpu_s"] if s["full"]["cpu_s"] else None
    measured = f"{ratio:.0%} of wall ({upd['wall_s']:.1f} s / {s['full']['wall_s']:.1f} s)" + (
        f"; {cpu_ratio:.0%} of CPU" if cpu_ratio is not None else ""
    )
    verdict = judge(ratio, limit)
    cause = (
        ""
        if verdict == MET
        else dominant_rules(
            upd.get("rules", {}), upd["wall_s"], upd["cpu_s"], notes=upd.get("notes")
        )
    )
    floor = ((result.get("workflow") or {}).get("dry_run") or {}).get("rule_floor")
    if cause and floor:
        jobs = int(sum(r.get("jobs", 0) for r in upd.get("rules", {}).values()))
        fixed = jobs * floor["best_s"]
        cause += (
            f"; {jobs} jobs re-ran, each paying the start of a rule (a script rule that only "
            f"imports polars and writes one row: {floor['best_s']:.2f} s), {fixed:.1f} s = "
            f"{fixed / s['full']['wall_s']:.0%} of the full run"
        )
    return _row(target, measured, verdict, cause)


def _e2e_row(result: dict[str, Any], n: int, key: str, label: str) -> dict[str, str]:
    limit = TARGETS[key]
    target = f"{label} records end to end ≤ {limit:g} s"
    s = _scale(result, n)
    if s is None:
        return _row(target, "–", _workflow_missing(result))
    full = s["full"]
    if _failed(full):
        return _row(target, "failed", GAP, f"run failed: {_failed(full)}")
    verdict = judge(full["wall_s"], limit)
    cause = (
        ""
        if verdict == MET
        else dominant_rules(s.get("rules", {}), full["wall_s"], full["cpu_s"], notes=s.get("notes"))
    )
    return _row(target, f"{full['wall_s']:.1f} s wall, {full['cpu_s']:.1f} s CPU", verdict, cause)


def _peak_row(result: dict[str, Any], n: int, label: str) -> dict[str, str]:
    limit = TARGETS["peak_1m_gib"]
    target = f"peak RSS of any process ≤ {limit:g} GiB at {label}"
    s = _scale(result, n)
    if s is None:
        return _row(target, "–", _workflow_missing(result))
    rules = s.get("rules", {})
    gib = peak_mib(s["full"], rules) / GIB_MIB
    if _failed(s["full"]):
        return _row(target, f"{gib:.2f} GiB before failing", GAP, _failed(s["full"]) or "")
    verdict = judge(gib, limit)
    cause = "" if verdict == MET else "peak process: " + peak_process(s["full"], rules)
    measured = f"{gib:.2f} GiB"
    update = s.get("update")
    if update and not _failed(update):
        # the target is the end-to-end run's; the update's peak is shown beside it, not hidden
        up = peak_mib(update, update.get("rules", {})) / GIB_MIB
        measured += f" (its +{update.get('fraction', 0) * 100:g} % update: {up:.2f} GiB)"
    return _row(target, measured, verdict, cause)


GROWTH_SCALES = ((100_000, "100k"), (1_000_000, "1M"), (2_000_000, "2M"))


def growth_exponent(n1: float, peak1: float, n2: float, peak2: float) -> float:
    """The exponent k of peak memory ~ records^k between two scales (1: linear)."""
    return math.log(peak2 / peak1) / math.log(n2 / n1)


def _growth_row(result: dict[str, Any]) -> dict[str, str]:
    limit = TARGETS["peak_growth_exponent"]
    labels = " → ".join(label for _, label in GROWTH_SCALES)
    target = (
        f"sub-linear growth of peak RSS ({labels}): each step's k ≤ {limit:g} (peak ~ records^k)"
    )
    done = []
    for n, label in GROWTH_SCALES:
        s = _scale(result, n)
        if s is not None and not _failed(s["full"]):
            done.append((n, label, s))
    if len(done) < 2:
        return _row(target, "–", _workflow_missing(result) if not done else NOT_RUN_SCALE)
    peaks = [(n, label, peak_mib(s["full"], s.get("rules", {})), s) for n, label, s in done]
    parts = [f"{peaks[0][1]} {peaks[0][2] / GIB_MIB:.2f} GiB"]
    steep = []
    for (n1, _, p1, _), (n2, label2, p2, s2) in itertools.pairwise(peaks):
        k = growth_exponent(n1, p1, n2, p2)
        parts.append(f"{label2} {p2 / GIB_MIB:.2f} GiB (k = {k:.2f})")
        if k > limit:
            where = peak_process(s2["full"], s2.get("rules", {}))
            steep.append(f"to {label2}: k = {k:.2f}, peak process {where}")
    verdict = GAP if steep else MET
    return _row(target, " → ".join(parts), verdict, "; ".join(steep))


def _complete_row(result: dict[str, Any], n: int, label: str) -> dict[str, str]:
    target = f"{label} records complete"
    s = _scale(result, n)
    if s is None:
        return _row(target, "–", _workflow_missing(result))
    if _failed(s["full"]):
        return _row(target, "failed", GAP, _failed(s["full"]) or "")
    rules = s.get("rules", {})
    gib = peak_mib(s["full"], rules) / GIB_MIB
    return _row(target, f"completed in {s['full']['wall_s']:.0f} s, peak {gib:.2f} GiB", MET)


def _help_row(result: dict[str, Any]) -> dict[str, str]:
    limit = TARGETS["help_s"]
    target = f"`scoping-review --help` ≤ {limit:g} s (median)"
    h = result.get("help")
    if not h:
        return _row(target, "–", NOT_RUN_SECTION)
    median = statistics.median(h["runs_s"])
    measured = f"median {median:.3f} s, best {min(h['runs_s']):.3f} s of {len(h['runs_s'])}"
    verdict = judge(median, limit)
    cause = ""
    if verdict != MET and h.get("importtime_top"):
        top = ", ".join(f"{m} {us / 1e6:.2f} s" for m, us in h["importtime_top"][:4])
        cause = f"start-up imports (python -X importtime, cumulative): {top}"
    return _row(target, measured, verdict, cause)


def _import_rows(result: dict[str, Any]) -> list[dict[str, str]]:
    imp = result.get("import")
    ris_target = (
        f"RIS import through the command ≥ {TARGETS['ris_vs_rispy_cpu']:g}× rispy per CPU "
        "second (realistic corpus)"
    )
    bib_target = (
        f"BibTeX import ≥ {TARGETS['bibtex_vs_bibtexparser_cpu']:g}× bibtexparser per CPU "
        "second (issue 18; realistic corpus)"
    )
    if not imp:
        return [_row(ris_target, "–", NOT_RUN_SECTION), _row(bib_target, "–", NOT_RUN_SECTION)]
    rows = {r["format"]: r for r in imp["rows"]}
    out = []
    for fmt, target, key in (
        ("ris", ris_target, "ris_vs_rispy_cpu"),
        ("bibtex", bib_target, "bibtex_vs_bibtexparser_cpu"),
    ):
        r = rows.get(fmt)
        if r is not None and r.get("failed"):
            out.append(_row(target, "failed", GAP, r["failed"][:300]))
            continue
        if r is None or not r.get("peer_command"):
            out.append(_row(target, "–", "not measured (format or peer not run)"))
            continue
        ours, peer = r["command"], r["peer_command"]
        ratio = peer["cpu_s"] / ours["cpu_s"]
        wall = peer["wall_s"] / ours["wall_s"]
        measured = (
            f"{ratio:.2f}× per CPU s ({ours['cpu_s']:.2f} vs {peer['cpu_s']:.2f} CPU s), "
            f"{wall:.2f}× wall, at {r['records']:,} records; in-process "
            f"{r['peer_in_process']['cpu_s'] / r['in_process']['cpu_s']:.2f}× per CPU s"
        )
        verdict = judge(ratio, TARGETS[key], at_least=True)
        cause = ""
        if verdict != MET:
            start = (result.get("help") or {}).get("cpu_s_best")
            parts = [f"command {ours['cpu_s']:.2f} CPU s, {ours['peak_rss_mib']:.0f} MiB peak"]
            if start is not None:
                parts.append(f"interpreter and imports ~{start:.2f} CPU s (`--help`)")
            parts.append(f"import_export in-process {r['in_process']['cpu_s']:.2f} CPU s")
            if r.get("read"):
                parts.append(f"of which reading {r['read']['cpu_s']:.2f} CPU s")
            parts.append(f"peer {peer['cpu_s']:.2f} CPU s, {peer['peak_rss_mib']:.0f} MiB peak")
            if r.get("profile"):
                owners = ", ".join(f"{name} {share:.0%}" for name, share in r["profile"])
                parts.append(
                    f"profile of the import on {r['profile_sample_records']:,} records: {owners}"
                )
            cause = "; ".join(parts)
        out.append(_row(target, measured, verdict, cause))
    return out


def _dry_run_row(result: dict[str, Any]) -> dict[str, str]:
    limit = TARGETS["dry_run_s"]
    target = f"dry run of the example ≤ {limit:g} s (earlier target)"
    d = (result.get("workflow") or {}).get("dry_run")
    if not d:
        return _row(target, "–", NOT_RUN_SECTION)
    measured = (
        f"{d['best_s']:.2f} s best of {len(d['runs_s'])} (one-rule Snakefile "
        f"{d['snakemake_floor_s']:.2f} s)"
    )
    verdict = judge(d["best_s"], limit)
    cause = "" if verdict == MET else f"Snakemake's own start-up {d['snakemake_floor_s']:.2f} s"
    return _row(target, measured, verdict, cause)


def _dedupe_rows(result: dict[str, Any]) -> list[dict[str, str]]:
    limit = TARGETS["dedupe_vs_bib_dedupe_100k"]
    target = f"dedupe ≥ {limit:g}× bib-dedupe's speed at 100k (earlier target)"
    acc_target = "dedupe accuracy, pooled over pairs of the labelled sets (reported, no target)"
    ded = result.get("dedupe")
    if not ded:
        return [_row(target, "–", NOT_RUN_SECTION), _row(acc_target, "–", NOT_RUN_SECTION)]
    rows = []
    at = ded.get("speed", {}).get("100000")
    ours = (at or {}).get("ours")
    peer = (at or {}).get("bib-dedupe")
    if not at or not ours:
        rows.append(_row(target, "–", NOT_RUN_SCALE))
    elif not peer:
        rows.append(
            _row(target, f"ours {ours['seconds']:.1f} s", "not measured (bib-dedupe not run)")
        )
    elif "failed" in peer:
        rows.append(
            _row(
                target,
                f"ours {ours['seconds']:.1f} s; bib-dedupe {peer['failed']}",
                "not measured (bib-dedupe failed)",
            )
        )
    else:
        ratio = peer["seconds"] / ours["seconds"]
        rows.append(_row(target, f"{ratio:.1f}×", judge(ratio, limit, at_least=True)))
    both = [
        (int(n), t["ours"], t["bib-dedupe"])
        for n, t in ded.get("speed", {}).items()
        if "seconds" in t.get("ours", {}) and "seconds" in t.get("bib-dedupe", {})
    ]
    speed_target = "dedupe speed against bib-dedupe (reported, no target)"
    if both:
        n, ours, peer = max(both, key=lambda b: b[0])
        rows.append(
            _row(
                speed_target,
                f"{peer['seconds'] / ours['seconds']:.1f}× at {n:,} records "
                f"({ours['seconds']:.2f} s against {peer['seconds']:.2f} s)",
                "–",
            )
        )
    else:
        rows.append(_row(speed_target, "–", "not measured (bib-dedupe gave no time)"))
    pooled = ded.get("pooled", {})
    if pooled:
        parts = [
            f"{tool}: P {m['precision']:.3f}, R {m['recall']:.3f}, F1 {m['f1']:.3f}, "
            f"{m['fp']} false-merge pairs"
            for tool, m in pooled.items()
        ]
        gold = next(iter(pooled.values()))["gold_pairs"]
        rows.append(_row(acc_target, f"{gold} gold pairs; " + "; ".join(parts), "–"))
    else:
        rows.append(_row(acc_target, "–", f"not measured ({ded.get('labelled_sets', 'no sets')})"))
    return rows


def verdicts(result: dict[str, Any]) -> list[dict[str, str]]:
    """One row per target (issue 19's first, then earlier issues'), each computed."""
    return [
        _update_row(result, 100_000, "update_ratio_100k", "100k"),
        _update_row(result, 1_000_000, "update_ratio_1m", "1M"),
        _e2e_row(result, 1_000_000, "e2e_1m_s", "1M"),
        _peak_row(result, 1_000_000, "1M"),
        _complete_row(result, 2_000_000, "2M"),
        _growth_row(result),
        _e2e_row(result, 100_000, "e2e_100k_s", "100k"),
        _help_row(result),
        *_import_rows(result),
        _dry_run_row(result),
        *_dedupe_rows(result),
    ]
