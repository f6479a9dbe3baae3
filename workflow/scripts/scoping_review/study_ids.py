"""A study's ID from its anchor record ID (standard library only: the screen rule resolves the
IDs a merge retired with it, :mod:`.screen.former`, without importing deduplication)."""

from __future__ import annotations

import hashlib


def study_id_for(anchor_record_id: str, digits: int = 10) -> str:
    """A study's ID: ``S-`` and the first ``digits`` hex digits of its anchor record ID's SHA-1
    (10 unless two anchors share them, :func:`.dedupe.assemble._study_ids`)."""
    return "S-" + hashlib.sha1(anchor_record_id.encode()).hexdigest()[:digits]


LONG_DIGITS = 20  # a study ID's digits when its first 10 are another study's (80 bits)
