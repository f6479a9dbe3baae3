"""README accuracy claims are the benchmark's own sentences, word for word."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _words(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def test_readme_dedupe_accuracy_claim_matches_the_benchmark_table() -> None:
    table = (REPO / "benchmarks" / "dedupe.md").read_text(encoding="utf-8")
    claims = [line for line in table.splitlines() if line.startswith("**Pooled over the")]
    assert len(claims) == 1, "benchmarks/dedupe.md has no pooled accuracy sentence"
    claim = claims[0].strip("*")
    readme = _words((REPO / "README.md").read_text(encoding="utf-8"))
    assert _words(claim) in readme, f"README.md does not quote: {claim}"
    # and the pooled table it summarises holds the same numbers
    rows = {
        cells[1].strip(): [c.strip() for c in cells[2:-1]]
        for line in table.splitlines()
        if (cells := line.split("|"))
        and len(cells) == 10
        and cells[1].strip() in ("ours", "bib-dedupe")
    }
    for tool, text in (
        ("ours", claim.split("; bib-dedupe")[0]),
        ("bib-dedupe", claim.split("; bib-dedupe")[1]),
    ):
        _gold, _tp, fp, _fn, precision, recall, f1 = rows[tool]
        assert f"precision {precision}, recall {recall}, F1 {f1}, {fp} false-merge pairs" in text
