"""Exclusion reasons as people type them in decision sheets: criterion codes (or their labels),
one or several per cell, and which one a study reports when several apply."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .settings import REASON_SEPARATORS, STAGES


def reason_rank(criteria: Sequence[Mapping[str, Any]]) -> dict[str, tuple[int, int]]:
    """Sort key per reason code: ``priority`` (default: 1-based position), then position.

    When several reasons apply to one study (several codes in one cell, or two reviewers who
    both exclude for different reasons), the reason with the smallest key is reported.
    """
    return {str(c["code"]): (int(c.get("priority", i + 1)), i) for i, c in enumerate(criteria)}


def best_reason(reasons: Iterable[str | None], rank: Mapping[str, tuple[int, int]]) -> str | None:
    known = {r for r in reasons if r}
    if len(known) <= 1:  # one reason (most rows): nothing to rank
        return next(iter(known), None)
    return min(known, key=lambda r: (rank.get(r, (1 << 30, 1 << 30)), r))


def split_reasons(cell: str | None) -> list[str]:
    """Reason codes in one cell: one code, or several separated by ``;``, ``|`` or ``,``."""
    if cell is None:
        return []
    return [part.strip() for part in REASON_SEPARATORS.split(cell) if part.strip()]


def _plain(text: str) -> str:
    """A code or label as people may type it: case, ``_``/``-`` and spacing do not count."""
    return " ".join(re.sub(r"[_\-]+", " ", text.casefold()).split())


def reason_aliases(criteria: Sequence[Mapping[str, Any]], stage: str) -> dict[str, str]:
    """What a person may type for a ``stage`` criterion: its code or its label in any case
    (``Not in English``, ``Not-English``) -> its code; a spelling two criteria share is left
    out (it stays an error)."""
    seen: dict[str, set[str]] = {}
    for c in criteria:
        if stage in c.get("stages", STAGES) and isinstance(c.get("code"), str):
            for text in (c["code"], c.get("label")):
                if isinstance(text, str) and _plain(text):
                    seen.setdefault(_plain(text), set()).add(c["code"])
    return {key: next(iter(codes)) for key, codes in seen.items() if len(codes) == 1}


def reasons_in(cell: str | None, codes: set[str], aliases: Mapping[str, str]) -> list[str]:
    """The criterion codes a reason cell gives: :func:`split_reasons`, each part read as its
    code when it is a code or label spelt otherwise (:func:`reason_aliases`); a whole cell that
    is a label with a separator in it (``Relationship other than ... (e.g. a, b)``) is one."""
    if cell is None:
        return []
    whole = aliases.get(_plain(cell))
    if whole is not None and cell.strip() not in codes:
        return [whole]
    return [r if r in codes else aliases.get(_plain(r), r) for r in split_reasons(cell)]


def _unknown_reasons(
    reasons: Sequence[str], stage: str, criteria: Sequence[Mapping[str, Any]]
) -> str:
    """Why ``reasons`` are not ``stage`` criteria, with the code a person probably meant."""
    import difflib

    here = [c for c in criteria if stage in c.get("stages", STAGES) and "code" in c]
    spelt = {_plain(str(c["code"])): str(c["code"]) for c in here}
    spelt |= {_plain(str(c["label"])): str(c["code"]) for c in here if c.get("label")}
    other = {_plain(str(c["code"])): str(c["code"]) for c in criteria if c not in here}
    hints = []
    for reason in reasons:
        if _plain(reason) in other:
            hints.append(f"{other[_plain(reason)]!r} is a criterion of other stages only")
            continue
        close = difflib.get_close_matches(_plain(reason), list(spelt), n=1, cutoff=0.75)
        if close:
            hints.append(f"for {reason!r} did you mean {spelt[close[0]]!r}?")
    return (
        f"reason {', '.join(repr(r) for r in reasons)} is not a {stage} criterion code "
        f"({sorted(spelt.values())})" + "".join(f"; {h}" for h in hints)
    )
