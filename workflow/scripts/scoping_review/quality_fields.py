"""Charted findings against coded segments (``quality.field_theme_checks``), both ways.

A check pairs a charting field with the overarching theme it summarises (repair findings ↔
ways to repair ruptures). In a review whose coding cites the studies a charting table lists,
the two must agree:

- ``charted_empty_but_coded``: the field says nothing (empty, ``-``) for a study coded under
  the theme;
- ``charted_not_coded``: the field names one of the theme's codes (``Empathy``) for a study
  that no segment codes so. The bundled thesis's Table 2 charts such findings that its Results
  text does not cite.

A charted value is read as items (split at ``,``, ``;``, ``/``, ``&`` and ``and``; a list field's
elements first). An item names a code when, stop words and case aside, all its words are among
the code's or all the code's among its own (``exploring avoidance`` ↔ ``Exploring avoidance``,
``metacommunication`` ↔ ``Attending to rupture – metacommunication``, ``showing empathy`` ↔
``Empathy``); of several such codes, the one with the same words, else the one fewest words
away, and none on a tie: an item that could mean two codes, or none, is no finding. A study
with no counted segment at all is left to ``included_not_coded``.

The match reads words, not meaning: "lack of empathy" names Empathy, a single word such as
"analysis" names the one code holding it, and "disagreements" or "meta-communication" name
nothing. The findings are warnings to read against the sheet, not verdicts.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
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


def charted_items(value: object, empty: Collection[str] = ()) -> list[str]:
    """A charted cell as its items: a list field's elements, each (or a text) split at commas,
    semicolons, slashes and 'and'. A cell, element or item that is one of ``empty`` (whole,
    so ``n/a`` is not 'n' and 'a') is left out."""
    if value is None:
        return []
    parts = list(value) if isinstance(value, list | tuple) else [value]
    items = []
    for part in parts:
        if part is None or str(part).strip() in empty:
            continue
        items += [i.strip() for i in _ITEM_SPLIT.split(str(part))]
    return [i for i in items if i and i not in empty]


def named_code(item: str, codes: Mapping[str, frozenset[str]]) -> str | None:
    """The code ``item`` names (module docstring), or None when it names none or, equally
    near, several."""
    said = words(item)
    if not said:
        return None
    hits = [c for c, w in codes.items() if w and (said <= w or w <= said)]
    if len(hits) <= 1:
        return hits[0] if hits else None
    distance = {c: len(said ^ codes[c]) for c in hits}
    best = min(distance.values())
    nearest = [c for c in hits if distance[c] == best]
    return nearest[0] if len(nearest) == 1 else None


def _cell(value: object) -> str:
    return "; ".join(str(v) for v in value) if isinstance(value, list | tuple) else str(value)


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
            items = charted_items(value, empty)
            if not items:
                under = sorted(c for c in coded if c in theme_codes)
                if under:
                    out.append(
                        _issue(
                            "charted_empty_but_coded",
                            "warning",
                            f"{field} {name}",
                            f"charting gives {field} '{_cell(value or '')}' for {name}, but its "
                            f"segments are coded under '{theme}': {', '.join(under)}",
                            where,
                            [study],
                        )
                    )
                continue
            if not check.get("code_names", True) or not coded:
                continue  # a study never coded: included_not_coded says so once
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
                        f"charting gives {field} '{_cell(value)}' for {name}: '{item}' names "
                        f"the code '{code}' of '{theme}', but no segment of it is coded so",
                        where,
                        [study],
                    )
                )
    return out
