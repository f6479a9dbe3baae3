"""Words the report and the ledger labels use for the workflow's identifiers: one place.

Prose never shows an identifier such as ``title_abstract`` or ``full/text``; it shows
:func:`stage_name`.
"""

from __future__ import annotations

STAGE_NAMES = {
    "title_abstract": "title and abstract",
    "full_text": "full text",
}


def stage_name(stage: str) -> str:
    """``title_abstract`` -> ``title and abstract``; an unknown stage with spaces for ``_``."""
    return STAGE_NAMES.get(stage, stage.replace("_", " "))
