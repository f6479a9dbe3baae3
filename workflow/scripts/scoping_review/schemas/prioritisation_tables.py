"""Tables of prioritised screening (``prioritisation.py``): ranking, rounds, stopping rule."""

from __future__ import annotations

import polars as pl

from .base import Bool, Int, Str, StrList, TableSchema

Float = pl.Float64()

RANKING = TableSchema(
    name="ranking",
    path="03_screen/ranking.parquet",
    grain="one row per study awaiting title/abstract screening",
    key=("study_id",),
    columns={
        "study_id": Str,
        "rank": Int,
        "score": Float,
        "top_terms": StrList,
    },
    required=("study_id", "rank", "top_terms"),
    description="rank 1 = screen first; score = the model's probability of inclusion (null while "
    "the decisions hold no include or no exclude); top_terms = terms that raised the score most",
)

ROUNDS = TableSchema(
    name="rounds",
    path="03_screen/rounds.parquet",
    grain="one row per search round after the first",
    key=("round",),
    columns={
        "round": Int,
        "search_date": Str,
        "studies": Int,
        "includes": Int,
        "trained_on": Int,
        "found_10pct": Int,
        "found_25pct": Int,
        "found_50pct": Int,
    },
    required=("round", "search_date", "studies", "includes", "trained_on"),
    description="studies first found in the round and decided at title/abstract, ranked by the "
    "model of the earlier rounds' decisions on the features of the studies known by that round "
    "(later rounds do not change it); found_x = title/abstract includes among the first "
    "ceil(x * studies) of that ranking (null without a model)",
)

STOPPING = TableSchema(
    name="stopping",
    path="03_screen/stopping.parquet",
    grain="one row: the stopping rule's test on the title/abstract decisions so far",
    key=("rule",),
    columns={
        "rule": Str,
        "recall_target": Float,
        "confidence": Float,
        "n_total": Int,
        "n_screened": Int,
        "includes_found": Int,
        "p_value": Float,
        "sample_size": Int,
        "stop": Bool,
        "applied": Bool,
        "set_aside": Int,
    },
    required=("rule", "recall_target", "confidence", "stop", "applied", "set_aside"),
    description="stop: the unscreened remainder may be set aside (p < 1 - confidence); applied: "
    "the config's apply switch was on and the remainder was excluded (PRISMA: marked as "
    "ineligible by automation tools)",
)
