"""Column types, the table schema type (columns, key, grain) and validation at stage boundaries."""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

Str = pl.String()
Int = pl.Int64()
Bool = pl.Boolean()
StrList = pl.List(pl.String())
InputHash = pl.Struct({"name": pl.String(), "sha256": pl.String()})


class SchemaError(ValueError):
    """A stage table does not meet its declared contract."""


@dataclass(frozen=True)
class TableSchema:
    """A stage table's contract: columns and dtypes, grain, key and non-null columns."""

    name: str
    path: str
    grain: str
    key: tuple[str, ...]
    columns: dict[str, pl.DataType]
    required: tuple[str, ...] = ()
    open_columns: bool = False  # extra columns allowed (e.g. charting form fields)
    description: str = ""
    # row-level rules: (what must hold, expression true on every valid row)
    checks: tuple[tuple[str, pl.Expr], ...] = field(default=())

    @property
    def polars_schema(self) -> pl.Schema:
        return pl.Schema(self.columns)

    def empty(self) -> pl.DataFrame:
        return pl.DataFrame(schema=self.polars_schema)


def validate(df: pl.DataFrame, schema: TableSchema) -> pl.DataFrame:
    """Check ``df`` against ``schema``; return it with columns in contract order.

    Raises :class:`SchemaError` naming the table, the column and (for key or null
    violations) the first offending values.
    """
    problems: list[str] = []
    missing = [c for c in schema.columns if c not in df.columns]
    if missing:
        problems.append(f"missing columns {missing}")
    extra = [c for c in df.columns if c not in schema.columns]
    if extra and not schema.open_columns:
        problems.append(f"undeclared columns {extra}")
    for col, dtype in schema.columns.items():
        if col in df.columns and df.schema[col] != dtype:
            problems.append(f"column {col!r} has dtype {df.schema[col]}, contract says {dtype}")
    if problems:
        raise SchemaError(f"{schema.name} ({schema.path}): " + "; ".join(problems))
    for col in schema.required:
        n_null = df.get_column(col).null_count()
        if n_null:
            raise SchemaError(f"{schema.name}: column {col!r} must not be null ({n_null} nulls)")
    if schema.key and df.height:
        dup = df.group_by(list(schema.key)).len().filter(pl.col("len") > 1)
        if dup.height:
            sample = dup.head(5).select(list(schema.key)).rows()
            raise SchemaError(
                f"{schema.name}: key {list(schema.key)} is not unique "
                f"({dup.height} repeated keys, e.g. {sample}); grain is {schema.grain}"
            )
    for rule, expr in schema.checks:
        bad = df.filter(~expr)
        if bad.height:
            sample = bad.head(3).select(list(schema.key)).rows() if schema.key else []
            raise SchemaError(f"{schema.name}: {bad.height} rows break '{rule}', e.g. {sample}")
    ordered = list(schema.columns) + [c for c in df.columns if c not in schema.columns]
    return df.select(ordered)
