"""06_themes: kept codes grouped into themes and overarching themes (from the codebook)."""

from __future__ import annotations

import polars as pl

from . import schemas
from .ledger import Count, Emitter
from .normalize import slug


def themes(prev: pl.DataFrame) -> pl.DataFrame:
    frame = (
        prev.group_by("theme", maintain_order=True)
        .agg(
            pl.col("overarching_theme").first(),
            pl.col("code").filter(pl.col("kept")).alias("codes"),
            pl.col("code").filter(~pl.col("kept")).alias("codes_dropped"),
            pl.col("study_ids")
            .filter(pl.col("kept"))
            .list.explode(keep_nulls=False, empty_as_null=False)
            .drop_nulls()
            .unique()
            .sort()
            .alias("study_ids"),
        )
        .with_columns(
            pl.col("codes").list.len().cast(pl.Int64).alias("n_codes"),
            pl.col("study_ids").list.len().cast(pl.Int64).alias("n_studies"),
        )
    )
    return schemas.validate(frame.select(list(schemas.THEMES.columns)), schemas.THEMES)


def theme_counts(frame: pl.DataFrame) -> list[Count]:
    emit = Emitter("06_themes", "themes")
    kept = frame.filter(pl.col("n_codes") > 0)
    counts = [
        emit.count(
            "themes",
            kept["theme"].to_list(),
            unit="themes",
            label="Themes",
            id_kind="theme",
        ),
        emit.count(
            "overarching_themes",
            kept["overarching_theme"].to_list(),
            unit="themes",
            label="Overarching themes",
            id_kind="theme",
        ),
    ]
    for theme, codes, ids in frame.select("theme", "codes", "study_ids").iter_rows():
        counts.append(
            emit.count(
                f"theme.{slug(theme)}.n_studies",
                ids,
                unit="studies",
                label=f"Studies contributing to theme '{theme}'",
                id_kind="study_id",
            )
        )
        counts.append(
            emit.count(
                f"theme.{slug(theme)}.n_codes",
                codes,
                unit="codes",
                label=f"Codes in theme '{theme}'",
                id_kind="code",
            )
        )
    return counts
