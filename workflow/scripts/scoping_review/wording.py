"""Words the report and the ledger labels use for the workflow's identifiers: one place.

Prose never shows an identifier such as ``title_abstract`` or ``full/text``; it shows
:func:`stage_name`.
"""

from __future__ import annotations

from collections.abc import Sequence

STAGE_NAMES = {
    "title_abstract": "title and abstract",
    "full_text": "full text",
}


def stage_name(stage: str) -> str:
    """``title_abstract`` -> ``title and abstract``; an unknown stage with spaces for ``_``."""
    return STAGE_NAMES.get(stage, stage.replace("_", " "))


def first_few(items: Sequence[object], total: int | None = None, shown: int = 5) -> str:
    """The first ``shown`` of ``items``, joined by commas, and how many more there are of
    ``total`` (default: ``len(items)``), so a note that counts six things and lists five says
    so: ``first_few([4, 9, 12], total=6, shown=3)`` -> ``4, 9, 12 and 3 more``."""
    total = len(items) if total is None else total
    head = ", ".join(str(x) for x in items[:shown])
    rest = total - min(len(items), shown)
    return f"{head} and {rest} more" if rest > 0 else head
