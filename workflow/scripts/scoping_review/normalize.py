"""Normalisers for matching and for stable, readable identifiers.

Each has a scalar form (for tests and small data) and, where it runs on record tables,
a polars expression form that does the same thing column-wise.
"""

from __future__ import annotations

import re
import unicodedata

import polars as pl

_DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*|doi\s+)", re.IGNORECASE)
_DOI_SHAPE = re.compile(r"^10\.\d{4,9}/\S+$")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_YEAR = re.compile(r"(?<!\d)(1[5-9]\d\d|20\d\d)(?!\d)")


def strip_diacritics(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def normalize_title(title: str | None) -> str | None:
    """Lowercase, drop diacritics, turn every run of non-alphanumerics into one space."""
    if title is None:
        return None
    text = _NON_ALNUM.sub(" ", strip_diacritics(title).lower()).strip()
    return text or None


def normalize_doi(doi: str | None) -> str | None:
    """Lowercase a DOI and strip URL/`doi:` prefixes and trailing punctuation.

    Returns None when what is left does not look like a DOI (``10.<registrant>/<suffix>``).
    """
    if doi is None:
        return None
    text = doi.strip()
    text = _DOI_PREFIX.sub("", text).strip().rstrip(".,;").lower()
    text = text.replace("\\", "")
    return text if _DOI_SHAPE.match(text) else None


def slug(text: str) -> str:
    """Identifier-safe slug.

    ``"(Perceived) disinterest therapist"`` → ``perceived_disinterest_therapist``.
    """
    return _NON_ALNUM.sub("_", strip_diacritics(text).lower()).strip("_")


def find_year(text: str | None) -> int | None:
    """The first plausible four-digit publication year in ``text``."""
    if not text:
        return None
    match = _YEAR.search(text)
    return int(match.group(1)) if match else None


def title_expr(col: str) -> pl.Expr:
    """Column-wise :func:`normalize_title` (diacritics folded with Unicode NFKD)."""
    return (
        pl.col(col)
        .str.normalize("NFKD")
        .str.replace_all(r"\p{Mn}", "")
        .str.to_lowercase()
        .str.replace_all(r"[^a-z0-9]+", " ")
        .str.strip_chars()
        .replace("", None)
    )


def doi_expr(col: str) -> pl.Expr:
    """Column-wise :func:`normalize_doi`."""
    cleaned = (
        pl.col(col)
        .str.strip_chars()
        .str.replace(r"(?i)^(?:https?://(?:dx\.)?doi\.org/|doi:\s*|doi\s+)", "")
        .str.strip_chars()
        .str.strip_chars_end(".,;")
        .str.to_lowercase()
        .str.replace_all(r"\\", "")
    )
    return pl.when(cleaned.str.contains(r"^10\.\d{4,9}/\S+$")).then(cleaned).otherwise(None)
