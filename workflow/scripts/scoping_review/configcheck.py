"""What ``check-config`` and ``run``/``update`` say about a review's config, before any job runs.

Three kinds of problem, each one line naming the file and where in it:

- the YAML does not parse (file, line and column of the error);
- the config breaks the schema (the config key; for a misspelt key the key itself and the key
  it is closest to, "did you mean");
- a file the config lists does not exist (the search, sheet or setting that lists it, and the path).

The functions take parsed values and an ``exists`` callable, never open files themselves: the
CLI adapter reads the YAML and asks the file system.
"""

from __future__ import annotations

import datetime
import difflib
import re
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
    # a misspelt key reads as two errors, the unknown key and the required key it should be:
    # the first says "did you mean" the second, which is then not said again
    meant = {
        (tuple(err.absolute_path), guess)
        for err in errors
        for _key, guess in _unknown_keys(err)
        if guess is not None
    }
    lines = []
    for err in errors:
        path = list(err.absolute_path)
        unknown = _unknown_keys(err)
        if unknown:
            for key, guess in unknown:
                hint = f"did you mean {guess!r}?" if guess else _keys_here(err)
                lines.append(f"{name}: {_where(config, [*path, key])}: unknown key; {hint}")
        elif not (
            err.validator == "required"
            and _missing(err) in {g for p, g in meant if p == tuple(path)}
        ):
            lines.append(f"{name}: {_where(config, path)}: {_message(err)}")
    return lines


def _where(config: Mapping[str, Any], path: list[Any]) -> str:
    """The config key path, naming the search a ``searches/N`` path is in by its ID."""
    where = "/".join(str(p) for p in path) or "(top level)"
    if len(path) >= 2 and path[0] == "searches" and isinstance(path[1], int):
        searches = config.get("searches")
        if isinstance(searches, list) and path[1] < len(searches):
            search = searches[path[1]]
            if isinstance(search, Mapping) and isinstance(search.get("id"), str):
                where += f" (search {search['id']!r})"
    return where


def _unknown_keys(err: jsonschema.ValidationError) -> list[tuple[str, str | None]]:
    """For an "additional properties" error, each key the schema does not know and the known
    key it is closest to (``None`` when none is close)."""
    if err.validator != "additionalProperties" or err.validator_value is not False:
        return []
    if not isinstance(err.instance, Mapping) or not isinstance(err.schema, Mapping):
        return []
    known = [str(k) for k in err.schema.get("properties") or {}]
    patterns = list(err.schema.get("patternProperties") or {})
    # a key already given is not the one meant (`dates:` beside `date:` is not "date")
    absent = [k for k in known if k not in err.instance]
    out = []
    for key in err.instance:
        if key in known or any(re.search(p, str(key)) for p in patterns):
            continue
        close = difflib.get_close_matches(str(key), absent, n=1, cutoff=0.6)
        out.append((str(key), close[0] if close else None))
    return out


def _keys_here(err: jsonschema.ValidationError) -> str:
    known = sorted(str(k) for k in (err.schema.get("properties") or {}))  # type: ignore[union-attr]
    return f"the keys here are {', '.join(known)}" if known else "no keys are allowed here"


def _missing(err: jsonschema.ValidationError) -> str | None:
    """The key a "required" error names."""
    found = re.match(r"'(.+)' is a required property$", err.message)
    return found.group(1) if found else None


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


def repeated_ids(config: Mapping[str, Any], name: str) -> list[str]:
    """One line per search whose ``id`` an earlier search already has: the id names a
    search's records, counts and files, so each search needs its own."""
    first: dict[str, int] = {}
    lines = []
    for i, search in enumerate(config.get("searches") or []):
        sid = str(search.get("id"))
        if sid in first:
            lines.append(
                f"{name}: searches/{i}/id (search {sid!r}): the id of searches/{first[sid]} too; "
                "each search needs its own id (it names the search's records, counts and files)"
            )
        else:
            first[sid] = i
    return lines


def blank_queries(config: Mapping[str, Any], name: str) -> list[str]:
    """One line per API search with neither words in ``query`` nor ``params`` to narrow it: it
    would page through the whole database (PubMed alone stops at 10,000 records)."""
    return [
        f"{name}: searches/{i}/query (search {search.get('id')!r}): blank, and no params "
        f"narrow the search: it would fetch the whole database; give the query"
        for i, search in enumerate(config.get("searches") or [])
        if search.get("api")
        and not str(search.get("query") or "").strip()
        and not search.get("params")
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
    """Everything wrong with a config's text: YAML, then schema, then repeated search ids and
    missing files."""
    config, yaml_error = parse_yaml(text, name)
    if yaml_error:
        return [yaml_error]
    found = schema_problems(config, schema, name)
    try:  # said beside the schema's problems, so that one run names them all
        more = (
            repeated_ids(config, name)
            + blank_queries(config, name)
            + missing_files(config, exists, name, is_folder)
        )
    except (AttributeError, KeyError, TypeError):
        if not found:
            raise
        more = []  # a config too far from its schema to look further: its problems first
    return found + more
