"""Nothing derived from config or data can make the tool write outside results/.

Config values that end up in output paths or count IDs (search ids, criterion codes,
automation rule ids, charting field names) are constrained by patterns in the config schema;
file names made from data go through :func:`storage.child_path`. The whole-run check (no file
written outside results/ and .snakemake/) is in tests/integration/test_hostile.py.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from scoping_review import storage
from scoping_review.normalize import slug

REPO = Path(__file__).resolve().parents[2]
SCHEMA = yaml.safe_load((REPO / "workflow/schemas/config.schema.yaml").read_text())
CONFIG = yaml.safe_load((REPO / "config/config.yaml").read_text())

HOSTILE_NAMES = [
    "../escape", "..", ".", "a/b", "/etc/passwd", "a\\b", ".hidden", "", "a b", "a\0b",
    "~", "$HOME", "a:b", "C:", "Ünï",
]  # fmt: skip


def _set(config: dict[str, Any], where: str, value: str) -> dict[str, Any]:
    config = copy.deepcopy(config)
    if where == "search id":
        config["searches"][0]["id"] = value
    elif where == "criterion code":
        config["criteria"][0]["code"] = value
    elif where == "automation id":
        config["screening"]["automation"] = [
            {"id": value, "kind": "year_before", "values": [2000], "reason": "old"}
        ]
    elif where == "charting field name":
        config["charting"]["fields"][0]["name"] = value
    return config


def _valid(config: dict[str, Any]) -> bool:
    return not list(jsonschema.Draft202012Validator(SCHEMA).iter_errors(config))


PLACES = ["search id", "criterion code", "automation id", "charting field name"]


@pytest.mark.parametrize("where", PLACES)
def test_a_plain_name_is_accepted(where: str) -> None:
    assert _valid(_set(CONFIG, where, "pubmed_2024"))


@pytest.mark.parametrize("where", PLACES)
@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_config_names_that_could_leave_results_are_rejected(where: str, name: str) -> None:
    assert not _valid(_set(CONFIG, where, name))


@given(st.text(max_size=40))
def test_schema_valid_search_ids_are_plain_path_components(name: str) -> None:
    if _valid(_set(CONFIG, "search id", name)):
        path = (Path("/r/results/01_import/by_search") / name / "records.parquet").resolve()
        assert path.parent.parent == Path("/r/results/01_import/by_search")


@pytest.mark.parametrize("name", ["../x.csv", "a/b.csv", ".x.csv", "", "a\\b.csv", "x\0.csv"])
def test_child_path_refuses_names_that_leave_the_directory(name: str, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not a plain file name"):
        storage.child_path(tmp_path, name)


@given(field=st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True), value=st.text())
def test_count_ids_made_from_data_are_safe_file_names(field: str, value: str) -> None:
    """Count IDs built from charted values, code and theme names (``slug``) stay inside
    the report's counts/ directory, whatever the value."""
    name = f"chart.{field}.{slug(value)}.csv"
    path = storage.child_path("/r/results/07_report/counts", name)
    assert path.resolve().parent == Path("/r/results/07_report/counts")
