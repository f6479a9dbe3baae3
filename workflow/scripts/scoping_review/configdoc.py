"""config/README.md, generated from the config schema: one table row per property of each section.

Grain: one row per schema property (nested keys dotted, list items as ``key[]``). The schema's
``x-header`` (prose before the first section), a property's ``x-default`` (a default the
code computes, in words) and each section's ``description`` (before its table)
and ``x-notes`` (after it) carry the prose. ``python -m scoping_review.configdoc`` rewrites the
file; ``--check`` exits 1 when it differs from the schema (``make config-docs``; a test runs it).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

REPO_DIR = Path(__file__).resolve().parents[3]
SCHEMA_PATH = REPO_DIR / "workflow" / "schemas" / "config.schema.yaml"
README_PATH = REPO_DIR / "config" / "README.md"
TITLE = "# Configuration"
GENERATED = (
    "<!-- Generated from workflow/schemas/config.schema.yaml by `make config-docs`; "
    "edit the schema, not this file. -->"
)

Node = Mapping[str, Any]


def _literal(value: Any) -> str:
    """A default as YAML flow text in backticks."""
    if value is None:
        return "`null`"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, str):
        return f"`{value}`" if value else '`""`'
    text = yaml.safe_dump(value, default_flow_style=True, width=1000).strip()
    return f"`{text.removesuffix('...').strip()}`"


def _resolve(node: Node, schema: Node) -> Node:
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        merged = dict(schema["$defs"][ref.removeprefix("#/$defs/")])
        merged.update({k: v for k, v in node.items() if k != "$ref"})
        return merged
    return node


def type_text(node: Node) -> str:
    """The property's type in words: enums list their values, bounds and patterns shown."""
    if "enum" in node:
        return ", ".join(f"`{value}`" for value in node["enum"])
    kinds = node.get("type", [])
    kinds = [kinds] if isinstance(kinds, str) else list(kinds)
    words = []
    for kind in kinds:
        if kind == "array":
            items = node.get("items", {})
            inner = type_text(items) if isinstance(items, Mapping) else "value"
            plural = {"string": "strings", "integer": "integers", "map": "maps", "bool": "bools"}
            words.append(f"list of {plural.get(inner, inner)}")
        elif kind in ("integer", "number"):
            low, high = node.get("minimum"), node.get("maximum")
            if low is not None and high is not None:
                words.append(f"{kind} {low}-{high}")
            elif low is not None:
                words.append(f"{kind} ≥ {low}")
            else:
                words.append(kind)
        elif kind == "string" and "pattern" in node:
            words.append(f"string `{node['pattern'].strip('^$')}`")
        elif kind == "object":
            words.append("map")
        elif kind == "boolean":
            words.append("bool")
        else:
            words.append(str(kind))
    return " or ".join(words)


def default_text(node: Node, required: bool) -> str:
    if required:
        return "required"
    if "default" in node:
        return _literal(node["default"])
    if "x-default" in node:  # a default computed by the code, in words
        return str(node["x-default"])
    return "none"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def rows(node: Node, schema: Node, prefix: str = "") -> Iterator[tuple[str, Node, bool]]:
    """(dotted key, property node, required) for every property under an object node, in order."""
    node = _resolve(node, schema)
    required = set(node.get("required", []))
    for key, child in node.get("properties", {}).items():
        child = _resolve(child, schema)
        name = f"{prefix}{key}"
        yield name, child, key in required
        if "properties" in child:
            yield from rows(child, schema, f"{name}.")
        items = child.get("items")
        if isinstance(items, Mapping) and "properties" in items:
            yield from rows(items, schema, f"{name}[].")


def section(name: str, node: Node, schema: Node) -> str:
    parts = [f"## `{name}`"]
    if node.get("description"):
        parts.append(str(node["description"]).strip())
    body = node.get("items", node) if node.get("type") == "array" else node
    table = [
        f"| `{key}` | {type_text(child)} | {default_text(child, req)} | "
        f"{_cell(str(child.get('description', '')))} |"
        for key, child, req in rows(body, schema)
    ]
    if table:
        parts.append("\n".join(["| key | type | default | meaning |", "|---|---|---|---|", *table]))
    if node.get("x-notes"):
        parts.append(str(node["x-notes"]).strip())
    return "\n\n".join(parts)


def render(schema: Node) -> str:
    """The whole config/README.md text for a schema."""
    parts = [TITLE, GENERATED]
    if schema.get("x-header"):
        parts.append(str(schema["x-header"]).strip())
    parts.extend(section(name, node, schema) for name, node in schema["properties"].items())
    return "\n\n".join(parts) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scoping_review.configdoc", description=__doc__)
    parser.add_argument("--schema", type=Path, default=SCHEMA_PATH)
    parser.add_argument("--out", type=Path, default=README_PATH)
    parser.add_argument("--check", action="store_true", help="exit 1 if --out is not up to date")
    args = parser.parse_args(argv)
    text = render(yaml.safe_load(args.schema.read_text("utf-8")))
    if args.check:
        current = args.out.read_text("utf-8") if args.out.exists() else ""
        if current != text:
            print(f"{args.out} differs from {args.schema}: run `make config-docs`", file=sys.stderr)
            return 1
        return 0
    args.out.write_text(text, "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
