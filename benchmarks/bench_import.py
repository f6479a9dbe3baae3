"""Import benchmark: synthetic seeded exports of N records per format, imported by our reader,
by the named peer in the same run (rispy for RIS, bibtexparser for BibTeX) and by a raw
read-and-split of the same bytes (the floor: read, decode, split into lines).

    python benchmarks/bench_import.py [--n 100000] [--seed 7] [--out benchmarks]

Writes ``import.json`` and ``import.md`` to ``--out``. Times are the best of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import datetime
import json
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "workflow" / "scripts"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # support: test scaffolding

import bibtexparser
import polars as pl
from stamp import cpu_model, git_commit

from scoping_review import importing
from scoping_review.io.decode import decode
from support import synthetic


def timed(fn: Callable[[], int]) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds of this process (all its threads) and ``fn``'s count."""
    c0, t0 = time.process_time(), time.perf_counter()
    n = fn()
    return time.perf_counter() - t0, time.process_time() - c0, n


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--repeat", type=int, default=1, help="interleaved rounds")
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent))
    ap.add_argument("--formats", default=",".join(synthetic.FORMATS))
    args = ap.parse_args()

    t0 = time.perf_counter()
    frame = synthetic.records(args.n, args.seed)
    print(f"generated {args.n} records in {time.perf_counter() - t0:.1f}s", flush=True)
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for fmt in args.formats.split(","):
            path = Path(tmp) / f"synthetic.{fmt}"
            path.write_text(synthetic.render(frame, fmt), encoding="utf-8")
            size_mb = path.stat().st_size / 1e6
            meta = importing.SourceMeta("bench", "Bench", "", str(path))

            def raw(path: Path = path) -> int:
                return len(path.read_bytes().decode("utf-8").split("\n"))

            def ours(path: Path = path, fmt: str = fmt, meta: Any = meta) -> int:
                result = importing.import_export(path.read_bytes(), meta, fmt=fmt)
                assert result.file_row["n_raw"] == result.records.height == args.n, result.notes
                return int(result.records.height)

            def read(path: Path = path, fmt: str = fmt) -> int:
                """Our reader alone: bytes to tag/value fields per record (what rispy does)."""
                decoded = decode(path.read_bytes())
                parsed, _, _ = importing.parse_text(decoded, fmt)
                return parsed.n_records

            row: dict[str, Any] = {"format": fmt, "records": args.n, "mb": round(size_mb, 1)}
            peer: Callable[[], int] | None
            if fmt == "ris":
                import rispy

                def peer(path: Path = path) -> int:
                    with open(path, encoding="utf-8-sig") as handle:
                        return len(rispy.load(handle))

                row["peer"] = (
                    f"rispy {rispy.__version__ if hasattr(rispy, '__version__') else ''}".strip()
                )
            elif fmt == "bibtex":

                def peer(path: Path = path) -> int:
                    lib = bibtexparser.parse_string(path.read_text(encoding="utf-8"))
                    return len(lib.entries)

                row["peer"] = f"bibtexparser {bibtexparser.__version__} (no middleware)"
            else:
                peer = None
            # interleaved: each round runs raw, read, ours and the peer once, so that load from
            # other processes on a shared machine hits all of them alike (best of the rounds)
            fns: dict[str, Callable[[], int]] = {"raw": raw, "read": read, "ours": ours}
            if peer is not None:
                fns["peer"] = peer
            best: dict[str, float] = {}
            cpu: dict[str, float] = {}
            counts: dict[str, int] = {}
            for _ in range(args.repeat):
                for name, fn in fns.items():
                    elapsed, used, counts[name] = timed(fn)
                    best[name] = min(elapsed, best.get(name, elapsed))
                    cpu[name] = min(used, cpu.get(name, used))
            t_raw, t_read, t_ours, n = best["raw"], best["read"], best["ours"], counts["ours"]
            assert counts["read"] == args.n
            row["read_s"] = round(t_read, 3)
            row["read_rec_per_s"] = round(args.n / t_read)
            row["raw_split_s"] = round(t_raw, 3)
            row["ours_s"] = round(t_ours, 3)
            row["ours_rec_per_s"] = round(n / t_ours)
            row["raw_rec_per_s"] = round(args.n / t_raw)
            row["ours_vs_raw"] = round(t_raw / t_ours, 3)
            row["ours_cpu_s"] = round(cpu["ours"], 3)
            row["read_cpu_s"] = round(cpu["read"], 3)
            if peer is not None:
                t_peer, n_peer = best["peer"], counts["peer"]
                assert n_peer == args.n, (fmt, n_peer)
                row["peer_s"] = round(t_peer, 3)
                row["peer_rec_per_s"] = round(args.n / t_peer)
                row["ours_vs_peer"] = round(t_peer / t_ours, 2)
                row["read_vs_peer"] = round(t_peer / t_read, 2)
                # per core: the peers run on one core, polars on all of them
                row["peer_cpu_s"] = round(cpu["peer"], 3)
                row["ours_vs_peer_cpu"] = round(cpu["peer"] / cpu["ours"], 2)
            results.append(row)
            print(json.dumps(row), flush=True)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    env = {
        "python": platform.python_version(),
        "polars": pl.__version__,
        "machine": platform.machine(),
        "cpu_model": cpu_model(),
        "commit": git_commit(),
        "finished": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "cpus": __import__("os").cpu_count(),
        "n": args.n,
        "seed": args.seed,
        "repeat": args.repeat,
    }
    (out / "import.json").write_text(json.dumps({"env": env, "results": results}, indent=2) + "\n")
    lines = [
        "# Import benchmark",
        "",
        f"`python benchmarks/bench_import.py --n {args.n} --seed {args.seed}` "
        f"(Python {env['python']}, polars {env['polars']}, {env['cpus']} CPUs visible, "
        f"{env['cpu_model']}, commit {env['commit']}, finished {env['finished']}; "
        "the machine is shared, so absolute times are noisy: compare the ratios, taken in "
        "the same run).",
        "",
        "| format | MB | import rec/s | read rec/s | peer | peer rec/s | import ÷ peer "
        "| read ÷ peer | import CPU s | peer CPU s | import ÷ peer per CPU s "
        "| raw split rec/s | import ÷ raw | read ÷ raw |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r['format']} | {r['mb']} | {r['ours_rec_per_s']:,} | {r['read_rec_per_s']:,} | "
            f"{r.get('peer', '—')} | "
            f"{format(r['peer_rec_per_s'], ',') if 'peer_rec_per_s' in r else '—'} | "
            f"{r.get('ours_vs_peer', '—')}× | {r.get('read_vs_peer', '—')}× | "
            f"{r['ours_cpu_s']} | {r.get('peer_cpu_s', '—')} | "
            f"{r.get('ours_vs_peer_cpu', '—')}× | "
            f"{r['raw_rec_per_s']:,} | {r['ours_vs_raw']} | "
            f"{round(r['raw_split_s'] / r['read_s'], 3)} |"
        )
    lines += [
        "",
        "import: `importing.import_export` on the file's bytes: decoding, parsing, canonical "
        "mapping, record IDs and contract validation (the whole 01_import step for one file). "
        "read: decoding + our reader alone (bytes to per-record tag/value fields, record "
        "boundaries, notes and the independent start count), the work rispy does. "
        "rec/s and the ÷ peer ratios are wall-clock throughput (the issue's measure); CPU s "
        "is the process's CPU time over all its threads (best of the rounds), so the per-CPU-s "
        "ratio compares the work done per core: the peers run on one core, polars on all. "
        "raw split: read + UTF-8 decode + split into lines of the same bytes. rispy: "
        "`rispy.load` (tags to dict only, no canonical mapping). bibtexparser: `parse_string` "
        "with its default parse stack only (string references, enclosing braces removed); "
        "ours reads BibTeX with its own tolerant splitter and adds LaTeX decoding and author "
        "splitting (bibtexparser's name parser) on top.",
    ]
    (out / "import.md").write_text("\n".join(lines) + "\n")
    print(f"written {out / 'import.json'} and {out / 'import.md'}")


if __name__ == "__main__":
    main()
