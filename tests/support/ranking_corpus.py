"""A small labelled corpus for the ranking tests: short texts whose first fifth are the includes."""

from __future__ import annotations

import numpy as np

WORDS = [
    "therapy",
    "alliance",
    "rupture",
    "repair",
    "session",
    "client",
    "outcome",
    "trial",
    "drug",
    "dose",
    "placebo",
]


def corpus(n: int, seed: int = 0) -> tuple[list[str], np.ndarray]:
    """``n`` short texts; the first fifth talk about alliance ruptures (the includes)."""
    rng = np.random.default_rng(seed)
    texts, labels = [], []
    for i in range(n):
        include = i < n // 5
        core = ["alliance", "rupture", "repair"] if include else ["drug", "dose", "placebo"]
        extra = rng.choice(WORDS, size=6).tolist()
        texts.append(" ".join(core + extra + [f"w{i % 7}"]))
        labels.append(int(include))
    return texts, np.array(labels, dtype=np.int64)
