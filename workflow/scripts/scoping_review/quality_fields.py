"""Charted findings against coded segments (``quality.field_theme_checks``), both ways.

A check pairs a charting field with the overarching theme it summarises (repair findings ↔
ways to repair ruptures). In a review whose coding cites the studies a charting table lists,
the two must agree:

- ``charted_empty_but_coded``: the field says nothing (empty, ``-``) for a study coded under
  the theme;
- ``charted_not_coded``: the field names one of the theme's codes (``Empathy``) for a study
  that no segment codes so. The bundled thesis's Table 2 charts such findings that its Results
  text does not cite.

A charted value is read as items (split at ``,``, ``;``, ``/`` and ``and``). An item names a code
when, stop words and case aside, all its words are among the code's or all the code's among its
own (``exploring avoidance`` ↔ ``Exploring avoidance``, ``metacommunication`` ↔ ``Attending to
rupture – metacommunication``, ``showing empathy`` ↔ ``Empathy``), and it names no other code
of the theme: an item that could mean two codes, or none, is no finding.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

from .normalize import strip_diacritics
from .quality import _issue

_ITEM_SPLIT = re.compile(r"\s*(?:[,;/]|\band\b|&)\s*", re.IGNORECASE)
_WORD = re.compile(r"[^\W_]+")
STOP_WORDS = frozenset(
    {"a", "an", "the", "of", "to", "and", "or", "in", "on", "for", "with", "by", "from", "as"}
    | {"at", "into", "s", "its", "their", "his", "her"}
)


def words(text: str) -> frozenset[str]:
    """The words of ``text`` that say something: case and accents folded, stop words out."""
    return frozenset(
        w for w in _WORD.findall(strip_diacritics(text).casefold()) if w not in STOP_WORDS
    )


def charted_items(value: object) -> list[str]:
    """A charted cell as its items: a list field's elements, a text's comma/and-separated parts."""
    if value is None:
        return []
    parts = [str(v) for v in value] if isinstance(value, list | tuple) else [str(value)]
    return [item.strip() for part in parts for item in _ITEM_SPLIT.split(part) if item.strip()]


def is_empty(value: object, items: Sequence[str], empty: set[str]) -> bool:
    """A cell that says nothing: no value, one of ``empty`` whole (``n/a``), or only such items."""
    if value is None or str(value).strip() in empty:
        return True
    return all(item in empty for item in items)


def named_code(item: str, codes: Mapping[str, frozenset[str]]) -> str | None:
    """The one code ``item`` names (its words within the code's, or the code's within its
    own), or None when it names none or several."""
    said = words(item)
    if not said:
        return None
    hits = [c for c, w in codes.items() if w and (said <= w or w <= said)]
    return hits[0] if len(hits) == 1 else None


def field_theme_findings(
    charting: pl.DataFrame,
    segments: pl.DataFrame,
    prevalence: pl.DataFrame,
    checks: Sequence[Mapping[str, Any]],
) -> list[dict[str, object]]:
    """Both directions of each check (module docstring); one finding per study and field for an
    empty value, one per study, field and code for a named code not coded."""
    code_over = dict(zip(prevalence["code"], prevalence["overarching_theme"], strict=True))
    ok = segments.filter(pl.col("status") == "ok")
    coded_by_study: dict[str, set[str]] = {}
    for study, code in ok.select("study_id", "code").rows():
        coded_by_study.setdefault(study, set()).add(code)
    out = []
    for check in checks:
        field, theme = str(check["field"]), str(check["overarching_theme"])
        empty = {str(v).strip() for v in check.get("empty_values", ["-"])}
        if field not in charting.columns:
            raise ValueError(f"quality.field_theme_checks: {field!r} is not a charting field")
        theme_codes = {c: words(c) for c, o in code_over.items() if o == theme}
        for study, label, value, sheet, row in charting.select(
            "study_id", "study_label", field, "sheet", "row"
        ).rows():
            name, where = label or study, f"{sheet}, row {row}"
            coded = coded_by_study.get(study, set())
            items = charted_items(value)
            if is_empty(value, items, empty):
                under = sorted(c for c in coded if c in theme_codes)
                if under:
                    out.append(
                        _issue(
                            "charted_empty_but_coded",
                            "warning",
                            f"{field} {name}",
                            f"charting gives {field} '{value or ''}' for {name}, but its "
                            f"segments are coded under '{theme}': {', '.join(under)}",
                            where,
                            [study],
                        )
                    )
                continue
            if not check.get("code_names", True):
                continue
            seen: set[str] = set()
            for item in items:
                code = named_code(item, theme_codes)
                if code is None or code in coded or code in seen:
                    continue
                seen.add(code)
                out.append(
                    _issue(
                        "charted_not_coded",
                        "warning",
                        f"{field} {name} {code}",
                        f"charting gives {field} '{item}' for {name}, naming the code "
                        f"'{code}' of '{theme}', but no segment of it is coded '{code}'",
                        where,
                        [study],
                    )
                )
    return out
