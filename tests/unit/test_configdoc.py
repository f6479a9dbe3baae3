"""The config schema documents itself and config/README.md is generated from it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import yaml

from scoping_review import configdoc

REPO = Path(__file__).resolve().parents[2]
SCHEMA = yaml.safe_load((REPO / "workflow/schemas/config.schema.yaml").read_text())
# Optional keys whose absence means "no such thing" (no rule field, no vocabulary, ...).
NO_DEFAULT = {
    "screening.automation[].field",
    "screening.stages.title_abstract",
    "screening.stages.full_text",
    "charting.fields[].vocabulary",
    "charting.fields[].allowed",
}


def every_property() -> list[tuple[str, dict[str, Any], bool]]:
    found = []
    for name, node in SCHEMA["properties"].items():
        found.append((name, node, name in SCHEMA["required"]))
        body = node.get("items", node) if node.get("type") == "array" else node
        found.extend(
            (f"{name}.{key}", child, req) for key, child, req in configdoc.rows(body, SCHEMA)
        )
    return found


def test_readme_is_generated_from_the_schema() -> None:
    text = (REPO / "config/README.md").read_text("utf-8")
    assert text == configdoc.render(SCHEMA), "config/README.md is stale: run `make config-docs`"
    assert configdoc.main(["--check"]) == 0


def test_check_fails_when_the_readme_differs(tmp_path: Path) -> None:
    stale = tmp_path / "README.md"
    stale.write_text((REPO / "config/README.md").read_text("utf-8") + "hand edit\n", "utf-8")
    assert configdoc.main(["--check", "--out", str(stale)]) == 1
    assert configdoc.main(["--out", str(stale)]) == 0
    assert configdoc.main(["--check", "--out", str(stale)]) == 0


def test_every_property_has_description_type_and_default() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    properties = every_property()
    assert len(properties) > 89
    for key, node, required in properties:
        assert str(node.get("description", "")).strip(), f"{key} has no description"
        assert "type" in node, f"{key} has no type"
        if not required and key not in NO_DEFAULT:
            assert "default" in node or "x-default" in node, f"{key} has no default"


def test_every_property_is_in_the_readme() -> None:
    text = (REPO / "config/README.md").read_text("utf-8")
    for key, _node, _required in every_property():
        leaf = key.split(".", 1)[-1] if "." in key else key
        assert f"`{leaf}`" in text, key
