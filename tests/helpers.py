"""Builders for small, valid stage tables used across unit tests."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, NoReturn

import polars as pl
import pytest

from scoping_review import schemas


def records(rows: list[dict[str, Any]]) -> pl.DataFrame:
    """A records table; each row needs at least record_id, the rest defaults sensibly."""
    full = []
    for i, row in enumerate(rows):
        base: dict[str, Any] = {c: None for c in schemas.RECORDS.columns}
        base.update(
            source_id=row["record_id"].split(":")[0],
            database="DB",
            search_date="2024-01-01",
            source_file="test.ris",
            source_line=i + 1,
            native_id=row["record_id"].split(":", 1)[-1],
            authors=[],
            keywords=[],
            raw_tags=[],
            raw_values=[],
        )
        base.update(row)
        full.append(base)
    return schemas.validate(
        pl.DataFrame(full, schema=schemas.RECORDS.polars_schema), schemas.RECORDS
    )


def skip_unless_required(reason: str, variable: str) -> NoReturn:
    """Skip with ``reason``, or fail when the environment variable ``variable`` is ``1`` (CI)."""
    if os.environ.get(variable) == "1":
        pytest.fail(f"{reason} ({variable}=1)")
    pytest.skip(reason)


REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


def require_shared(*parts: str) -> Path:
    """A path under ../shared; skips with the reason when the clone lacks it (fails under CI).

    Lives here, not in conftest.py: ``from conftest import`` resolves to whichever conftest.py
    pytest put on sys.path first (tests/browser has its own), so it breaks in a whole-suite run.
    """
    path = SHARED.joinpath(*parts)
    if not path.exists():
        skip_unless_required(
            f"shared fixture {path} is not present (clone lacks ../shared)",
            "SCOPING_REVIEW_REQUIRE_SHARED",
        )
    return path
