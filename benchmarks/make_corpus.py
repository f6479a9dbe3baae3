"""Write a synthetic review (tests/support/synthetic_corpus.py) to a folder the workflow runs in.

    python benchmarks/make_corpus.py DIR --records 10000 [--seed 0] [--update 0.01]

DIR gets config/config.yaml and inputs/ (exports, screening, charting and coding sheets).
With --update the folder is given the second search round on top (written over round 1).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "workflow" / "scripts"))
sys.path.insert(0, str(REPO / "tests"))  # support: test scaffolding

from support import synthetic_corpus  # noqa: E402
from support.synthetic_corpus import Corpus  # noqa: E402


def write(corpus: Corpus, folder: Path) -> None:
    """Write ``corpus``'s files under ``folder`` (only files whose content changed are rewritten,
    so Snakemake re-runs only what a new round touches)."""

    def put(rel: str, text: str) -> None:
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")

    for rel, text in corpus.exports.items():
        put(rel, text)
    sheets = {
        "inputs/title_abstract.csv": corpus.title_abstract,
        "inputs/full_text.csv": corpus.full_text,
        "inputs/charting.csv": corpus.charting,
        "inputs/highlights.csv": corpus.highlights,
        "inputs/documents.csv": corpus.documents,
        "inputs/codebook.csv": corpus.codebook,
    }
    for rel, frame in sheets.items():
        put(rel, frame.write_csv())
    put("config/config.yaml", yaml.safe_dump(corpus.config, sort_keys=False, allow_unicode=True))


def build(records: int, seed: int, update: float | None) -> Corpus:
    corpus = synthetic_corpus.corpus(records, seed=seed)
    if update:
        corpus = synthetic_corpus.update_round(corpus, fraction=update, seed=seed)
    return corpus


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("folder", type=Path)
    ap.add_argument(
        "--records",
        type=int,
        default=None,
        help="round 1's records (default 10000; with --update, the folder's own round 1)",
    )
    ap.add_argument("--seed", type=int, default=None, help="default 0 (or the folder's own)")
    ap.add_argument("--update", type=float, default=None, help="add round 2 of this fraction")
    args = ap.parse_args()
    # the folder remembers what round 1 was, so `--update F` alone updates that corpus
    # instead of writing a different one over it
    marker = args.folder / "corpus.json"
    made = json.loads(marker.read_text()) if marker.is_file() else {}
    records = args.records or made.get("records") or 10_000
    seed = args.seed if args.seed is not None else made.get("seed", 0)
    if args.update and not made and (args.folder / "config" / "config.yaml").exists():
        ap.error(
            f"{args.folder} holds a review this script did not record (no corpus.json): "
            "write round 1 first (--records N) or use another folder"
        )
    if args.update and made and (made["records"], made["seed"]) != (records, seed):
        ap.error(
            f"{args.folder} holds a corpus of {made['records']} records (seed {made['seed']}); "
            f"--update adds a round to it: drop --records/--seed or use another folder"
        )
    corpus = build(records, seed, args.update)
    write(corpus, args.folder)
    marker.write_text(json.dumps({"records": records, "seed": seed}) + "\n")
    print(
        f"{args.folder}: {corpus.n_records} records of {corpus.n_studies} studies, "
        f"{corpus.charting.height} included, {corpus.highlights.height} highlights"
    )


if __name__ == "__main__":
    main()
