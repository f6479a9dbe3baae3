"""What ``check-config`` and ``run``/``update`` say about a review's config, before any job runs.

Three kinds of problem, each one line naming the file and where in it:

- the YAML does not parse (file, line and column of the error);
- the config breaks the schema (the config key, and for a misspelt key the key itself);
- a file the config lists does not exist (the search, sheet or setting that lists it, and the path).

The functions take parsed values and an ``exists`` callable, never open files themselves: the
CLI adapter reads the YAML and asks the file system.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from typing import Any

import jsonschema
import yaml

WHAT_TO_DO_CONFIG = "correct config/config.yaml (every key is documented in config/README.md)"
WHAT_TO_DO_FILE = "correct the path in the config, or put the file there, then run again"


def parse_yaml(text: str, name: str) -> tuple[Any, str | None]:
    """``(value, None)``, or ``(None, "NAME, line L, column C: problem")`` for a YAML error."""
    try:
        return yaml.safe_load(text), None
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        where = f", line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = " ".join(p for p in (err.context, err.problem) if p) or "not valid YAML"
        return None, f"{name}{where}: not valid YAML: {problem}"
    except yaml.YAMLError as err:
        return None, f"{name}: not valid YAML: {err}"


def schema_problems(
    config: Any, schema: Mapping[str, Any], name: str, *, formats_only: bool = False
) -> list[str]:
    """One line per schema violation: ``NAME: key/path: message`` (sorted by key path).
    ``formats_only``: only the values that break a ``format`` (a date of the calendar), for a
    config Snakemake has validated and extended (API rounds add searches of their own)."""
    if not isinstance(config, Mapping):
        return [f"{name}: (top level): the config must be a mapping of keys, not {config!r}"]
    validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    errors = sorted(validator.iter_errors(config), key=lambda e: [str(p) for p in e.absolute_path])
    if formats_only:
        errors = [e for e in errors if e.validator == "format"]
    return [
        f"{name}: {'/'.join(str(p) for p in err.absolute_path) or '(top level)'}: {_message(err)}"
        for err in errors
    ]


def _message(err: jsonschema.ValidationError) -> str:
    """The schema's message, said plainly where a date is concerned."""
    if isinstance(err.instance, datetime.date) and err.validator == "type":
        # YAML reads an unquoted 2025-03-01 as a date, not as the text the schema asks for
        return (
            f'write the date in quotes, as text: "{err.instance.isoformat()}" '
            f"(YAML reads an unquoted date as a date)"
        )
    if err.validator == "format" and err.validator_value == "date":
        return f"{err.instance!r} is not a date of the calendar (YYYY-MM-DD)"
    return err.message


def listed_files(config: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """Every input file the config names: ``(who lists it, config key, path)``."""
    out: list[tuple[str, str, str]] = []
    for i, search in enumerate(config.get("searches") or []):
        for j, path in enumerate(search.get("files") or []):
            out.append((f"search {search.get('id')!r}", f"searches/{i}/files/{j}", str(path)))
    for i, sheet in enumerate((config.get("screening") or {}).get("sheets") or []):
        stage = sheet.get("stage", "?")
        out.append((f"{stage} screening sheet", f"screening/sheets/{i}/path", str(sheet["path"])))
    charting = config.get("charting") or {}
    if charting.get("sheet"):
        out.append(("charting sheet", "charting/sheet", str(charting["sheet"])))
    coding = config.get("coding") or {}
    for i, path in enumerate(coding.get("highlights") or []):
        out.append(("coded segments", f"coding/highlights/{i}", str(path)))
    for key in ("documents", "codebook"):
        if coding.get(key):
            out.append((f"coding {key}", f"coding/{key}", str(coding[key])))
    for i, path in enumerate((config.get("dedupe") or {}).get("decisions") or []):
        out.append(("duplicate decisions sheet", f"dedupe/decisions/{i}", str(path)))
    claims = (config.get("quality") or {}).get("manuscript_claims")
    if claims:
        out.append(("manuscript claims", "quality/manuscript_claims", str(claims)))
    return out


NOT_A_FILE = "which is a folder, not a file: list the files in it one by one"
MISSING = "which does not exist"


def missing_files(
    config: Mapping[str, Any],
    exists: Callable[[str], bool],
    name: str,
    is_folder: Callable[[str], bool] | None = None,
) -> list[str]:
    """One line per listed file that does not exist (``exists``: a file is there), saying so
    of a path that is a folder (``is_folder``)."""
    return [
        f"{name}: {key}: {who} lists {path}, "
        f"{NOT_A_FILE if is_folder is not None and is_folder(path) else MISSING}"
        for who, key, path in listed_files(config)
        if not exists(path)
    ]


def what_to_do(lines: list[str]) -> str:
    """The advice for a list of :func:`problems` lines."""
    if lines and all(line.endswith((MISSING, NOT_A_FILE)) for line in lines):
        return WHAT_TO_DO_FILE
    return WHAT_TO_DO_CONFIG


def problems(
    text: str,
    schema: Mapping[str, Any],
    exists: Callable[[str], bool],
    name: str,
    is_folder: Callable[[str], bool] | None = None,
) -> list[str]:
    """Everything wrong with a config's text: YAML, then schema, then missing files."""
    config, yaml_error = parse_yaml(text, name)
    if yaml_error:
        return [yaml_error]
    found = schema_problems(config, schema, name)
    if found:
        return found
    return missing_files(config, exists, name, is_folder)
