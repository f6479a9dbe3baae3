from __future__ import annotations

import polars as pl
import pytest

from scoping_review import schemas


def files_row(n_raw: int) -> pl.DataFrame:
    row = {c: None for c in schemas.FILES.columns}
    row.update(source_id="s", path="a.ris", sha256="0" * 64, format="ris", n_raw=n_raw,
               n_parsed=2, n_rejected=1, notes=[])  # fmt: skip
    return pl.DataFrame([row], schema=schemas.FILES.polars_schema)


def test_row_checks_are_enforced_at_the_boundary() -> None:
    assert schemas.validate(files_row(3), schemas.FILES).height == 1
    with pytest.raises(
        schemas.SchemaError, match=r"1 rows break 'n_raw == n_parsed \+ n_rejected'"
    ):
        schemas.validate(files_row(4), schemas.FILES)


def test_undeclared_column_and_duplicate_key_are_refused() -> None:
    with pytest.raises(schemas.SchemaError, match="undeclared columns"):
        schemas.validate(files_row(3).with_columns(extra=pl.lit(1)), schemas.FILES)
    with pytest.raises(schemas.SchemaError, match="key"):
        schemas.validate(pl.concat([files_row(3), files_row(3)]), schemas.FILES)
