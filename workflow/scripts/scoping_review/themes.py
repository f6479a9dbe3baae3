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


def overarching(prev: pl.DataFrame) -> pl.DataFrame:
    """Per overarching theme: its themes and kept codes, and the distinct studies behind them."""
    kept = prev.filter(pl.col("kept"))
    order = prev.select("overarching_theme").unique(maintain_order=True)
    frame = order.join(
        kept.group_by("overarching_theme").agg(
            pl.col("theme").unique(maintain_order=True).alias("themes"),
            pl.col("code").alias("codes"),
            pl.col("study_ids")
            .list.explode(keep_nulls=False, empty_as_null=False)
            .drop_nulls()
            .unique()
            .sort()
            .alias("study_ids"),
        ),
        on="overarching_theme",
        how="left",
        maintain_order="left",
    ).with_columns(
        pl.col("themes").fill_null(pl.lit([], pl.List(pl.String))),
        pl.col("codes").fill_null(pl.lit([], pl.List(pl.String))),
        pl.col("study_ids").fill_null(pl.lit([], pl.List(pl.String))),
    )
    frame = frame.with_columns(
        pl.col("themes").list.len().cast(pl.Int64).alias("n_themes"),
        pl.col("codes").list.len().cast(pl.Int64).alias("n_codes"),
        pl.col("study_ids").list.len().cast(pl.Int64).alias("n_studies"),
    )
    return schemas.validate(frame.select(list(schemas.OVERARCHING.columns)), schemas.OVERARCHING)


def cooccurrence_id(code_a: str, code_b: str) -> str:
    return f"cooccurrence.{slug(code_a)}.{slug(code_b)}"


def cooccurrence(segments: pl.DataFrame, prev: pl.DataFrame) -> pl.DataFrame:
    """Pairs of kept codes applied to the same study (counted by study, code_a < code_b)."""
    kept = prev.filter(pl.col("kept")).select("code", "theme")
    pairs = (
        segments.filter(pl.col("status") == "ok")
        .join(kept, on="code", how="semi")
        .select("study_id", "code")
        .unique()
    )
    joined = (
        pairs.join(pairs, on="study_id", suffix="_b")
        .filter(pl.col("code") < pl.col("code_b"))
        .group_by(pl.col("code").alias("code_a"), "code_b")
        .agg(pl.col("study_id").unique().sort().alias("study_ids"))
    )
    theme = dict(zip(kept["code"], kept["theme"], strict=True))
    frame = (
        joined.with_columns(
            pl.col("code_a").replace_strict(theme, return_dtype=pl.String).alias("theme_a"),
            pl.col("code_b").replace_strict(theme, return_dtype=pl.String).alias("theme_b"),
            pl.struct("code_a", "code_b")
            .map_elements(
                lambda r: cooccurrence_id(r["code_a"], r["code_b"]), return_dtype=pl.String
            )
            .alias("count_id"),
            pl.col("study_ids").list.len().cast(pl.Int64).alias("n_studies"),
        )
        .sort("code_a", "code_b")
        .select(list(schemas.COOCCURRENCE.columns))
    )
    return schemas.validate(frame, schemas.COOCCURRENCE)


def evidence_map(prev: pl.DataFrame, charting: pl.DataFrame, fields: list[str]) -> pl.DataFrame:
    """Themes × values of charted fields: the studies behind a theme with each charted value."""
    kept = prev.filter(pl.col("kept"))
    per_theme = (
        kept.select("theme", "overarching_theme", pl.col("study_ids").alias("study_id"))
        .explode("study_id")
        .drop_nulls("study_id")
        .unique()
    )
    parts = []
    for field in fields:
        if field not in charting.columns:
            raise ValueError(f"evidence map field {field!r} is not a charting field")
        values = charting.select("study_id", pl.col(field).alias("value"))
        if values.schema["value"] == pl.List(pl.String):
            values = values.explode("value")
        values = values.with_columns(pl.col("value").fill_null("not charted"))
        cells = (
            per_theme.join(values, on="study_id")
            .group_by("theme", "overarching_theme", "value")
            .agg(pl.col("study_id").unique().sort().alias("study_ids"))
            .with_columns(
                pl.lit(field).alias("field"),
                pl.col("study_ids").list.len().cast(pl.Int64).alias("n_studies"),
            )
        )
        parts.append(cells)
    if not parts:
        return schemas.EVIDENCE_MAP.empty()
    frame = pl.concat(parts).with_columns(
        pl.struct("field", "theme", "value")
        .map_elements(
            lambda r: f"evidence.{r['field']}.{slug(r['theme'])}.{slug(r['value'])}",
            return_dtype=pl.String,
        )
        .alias("count_id")
    )
    frame = frame.sort("field", "theme", "value").select(list(schemas.EVIDENCE_MAP.columns))
    return schemas.validate(frame, schemas.EVIDENCE_MAP)


def synthesis_counts(over: pl.DataFrame, cooc: pl.DataFrame, evidence: pl.DataFrame) -> list[Count]:
    emit = Emitter("06_themes", "themes")
    counts: list[Count] = []
    for name, codes, ids in over.select("overarching_theme", "codes", "study_ids").iter_rows():
        counts.append(
            emit.count(
                f"overarching.{slug(name)}.n_studies",
                ids,
                unit="studies",
                label=f"Studies contributing to overarching theme '{name}'",
                id_kind="study_id",
            )
        )
        counts.append(
            emit.count(
                f"overarching.{slug(name)}.n_codes",
                codes,
                unit="codes",
                label=f"Kept codes in overarching theme '{name}'",
                id_kind="code",
            )
        )
    counts.append(
        emit.count(
            "cooccurrence.pairs",
            [f"{a} + {b}" for a, b in cooc.select("code_a", "code_b").rows()],
            unit="code pairs",
            label="Pairs of kept codes found together in at least one study",
            id_kind="code_pair",
        )
    )
    for a, b, cid, ids in cooc.select("code_a", "code_b", "count_id", "study_ids").iter_rows():
        counts.append(
            emit.count(
                cid,
                ids,
                unit="studies",
                label=f"Studies coded both '{a}' and '{b}'",
                id_kind="study_id",
            )
        )
    for field, theme, value, cid, ids in evidence.select(
        "field", "theme", "value", "count_id", "study_ids"
    ).iter_rows():
        counts.append(
            emit.count(
                cid,
                ids,
                unit="studies",
                label=f"Studies in theme '{theme}' with {field} '{value}'",
                id_kind="study_id",
            )
        )
    return counts
