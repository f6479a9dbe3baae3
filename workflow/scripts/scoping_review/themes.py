"""06_themes: kept codes grouped into themes and overarching themes (from the codebook)."""

from __future__ import annotations

import polars as pl

from . import schemas
from .ledger import Count, CountSpec, Emitter
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


# id, label, unit, id kind, selector (over the themes table); then the per-name rows
COUNTS = (
    CountSpec("themes", "Themes", "themes", "theme",
              lambda f: f.filter(pl.col("n_codes") > 0)["theme"]),
    CountSpec("overarching_themes", "Overarching themes", "themes", "theme",
              lambda f: f.filter(pl.col("n_codes") > 0)["overarching_theme"]),
)  # fmt: skip
THEME_STUDIES = CountSpec(
    "theme.{slug}.n_studies", "Studies contributing to theme '{name}'", "studies", "study_id"
)
THEME_CODES = CountSpec("theme.{slug}.n_codes", "Codes in theme '{name}'", "codes", "code")
OVERARCHING_STUDIES = CountSpec(
    "overarching.{slug}.n_studies",
    "Studies contributing to overarching theme '{name}'",
    "studies",
    "study_id",
)
OVERARCHING_CODES = CountSpec(
    "overarching.{slug}.n_codes", "Kept codes in overarching theme '{name}'", "codes", "code"
)
PAIRS = CountSpec(
    "cooccurrence.pairs",
    "Pairs of kept codes found together in at least one study",
    "code pairs",
    "code_pair",
    lambda c: [f"{a} + {b}" for a, b in c.select("code_a", "code_b").rows()],
)
PAIR_STUDIES = CountSpec("{count_id}", "Studies coded both '{a}' and '{b}'", "studies", "study_id")
EVIDENCE_STUDIES = CountSpec(
    "{count_id}", "Studies in theme '{theme}' with {field} '{value}'", "studies", "study_id"
)


def _per_name(
    emit: Emitter, frame: pl.DataFrame, name: str, studies: CountSpec, codes: CountSpec
) -> list[Count]:
    """A studies and a codes count for each row (theme or overarching theme) of ``frame``."""
    counts = []
    for value, code_ids, ids in frame.select(name, "codes", "study_ids").iter_rows():
        counts.append(emit.of(studies, ids, slug=slug(value), name=value))
        counts.append(emit.of(codes, code_ids, slug=slug(value), name=value))
    return counts


def theme_counts(frame: pl.DataFrame) -> list[Count]:
    emit = Emitter("06_themes", "themes")
    return emit.table(COUNTS, frame) + _per_name(emit, frame, "theme", THEME_STUDIES, THEME_CODES)


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
    counts = _per_name(emit, over, "overarching_theme", OVERARCHING_STUDIES, OVERARCHING_CODES)
    counts += emit.table([PAIRS], cooc)
    for a, b, cid, ids in cooc.select("code_a", "code_b", "count_id", "study_ids").iter_rows():
        counts.append(emit.of(PAIR_STUDIES, ids, count_id=cid, a=a, b=b))
    for field, theme, value, cid, ids in evidence.select(
        "field", "theme", "value", "count_id", "study_ids"
    ).iter_rows():
        counts.append(
            emit.of(EVIDENCE_STUDIES, ids, count_id=cid, theme=theme, field=field, value=value)
        )
    return counts
