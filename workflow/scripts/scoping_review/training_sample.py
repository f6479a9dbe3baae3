"""The training rows of a ranking: which unscreened studies are presumed excluded and which
of the team's excludes a model learns (:mod:`.ranking`), both chosen by a keyed hash of seed
and study so that a study's place depends on the study alone. Pure: arrays in, arrays out."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from .ranking import RankingSettings

# the share of the unscreened studies each model takes as presumed excludes (capped by
# ``RankingSettings.presumed_excludes``); BMI's 100 documents are a small share of a TREC
# collection, where 10 % of a review's unscreened studies would not be
PRESUMED_FRACTION = 0.1


def presumed_keys(ids: Sequence[object], seed: int) -> npt.NDArray[np.uint64]:
    """A keyed hash of ``seed`` and each id (BLAKE2b, 64 bits): the order in which unscreened
    studies are taken as presumed excludes. It depends on the study alone, not on the other
    studies or their order, so a study keeps its place from one run to the next."""
    import hashlib

    key = str(seed).encode()
    return np.array(
        [
            int.from_bytes(hashlib.blake2b(str(i).encode(), digest_size=8, key=key).digest(), "big")
            for i in ids
        ],
        dtype=np.uint64,
    )


def presumed_count(n_unscreened: int, settings: RankingSettings) -> int:
    """Presumed excludes per model: ``PRESUMED_FRACTION`` of the unscreened, rounded up, at
    most ``settings.presumed_excludes``; 0 when two disjoint samples would not fit."""
    k = min(settings.presumed_excludes, math.ceil(PRESUMED_FRACTION * n_unscreened))
    return k if k > 0 and 2 * k <= n_unscreened else 0


def training_rows(
    rows: npt.NDArray[np.int_],
    labels: npt.NDArray[np.int_],
    keys: npt.NDArray[np.uint64] | None,
    settings: RankingSettings,
) -> tuple[npt.NDArray[np.int_], npt.NDArray[np.int_]]:
    """The decisions a model learns, in their order: every include, and every exclude up to
    ``settings.max_excludes`` of them; above it, the ``max_excludes`` excludes with the
    smallest ``keys`` (the decided studies' :func:`presumed_keys`: a study's place depends on
    the study alone, so the sample changes only at its edge as decisions are added).

    Undersampling the majority class, as ASReview's "double" balance strategy does: a fit's
    time and memory grow with the decisions (liblinear passes over every row), while the
    includes, which are few, are always all learnt. Measured in benchmarks/screening_models.md
    with a cap of 100, binding on every labelled set for most of its replay (a share of the
    excludes like 50,000 of the 666k at 1M records): mean WSS@95 0.623 against 0.628 uncapped
    (ASReview LAB 0.579). At 1M records the pending ranking took 27.5 s uncapped, 3.3 s with
    the default cap."""
    if not capped(labels, settings):
        return rows, labels
    cap = settings.max_excludes
    excluded = labels == 0
    if keys is None or keys.shape[0] != labels.shape[0]:
        raise ValueError(
            f"{int(excluded.sum())} excludes are more than max_excludes={cap}: the sample "
            "needs a key per decision"
        )
    at = np.flatnonzero(excluded)
    keep = ~excluded
    keep[at[np.argsort(keys[at], kind="stable")[:cap]]] = True
    return rows[keep], labels[keep]


def capped(labels: npt.NDArray[np.int_], settings: RankingSettings) -> bool:
    """Whether :func:`training_rows` samples the excludes of ``labels``."""
    return 0 < settings.max_excludes < int((labels == 0).sum())
