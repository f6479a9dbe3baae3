"""Jinja rendering of the report: the context holds strings and ledger accessors, never numbers.

:func:`build_context` turns the stage tables into template-ready structures whose numeric
content is always a count id (printed by ``n()`` / ``pct()``); :func:`check_context` refuses a
context that carries a raw int or float; :func:`render_html` renders with autoescaping and
:class:`jinja2.StrictUndefined`.
"""

from __future__ import annotations

from .environment import SEVERITIES, check_context, ledger_json, make_environment, render_html
from .screening import PENDING_SHOWN, screening_view
from .sections import (
    characteristics_view,
    charting_table_view,
    criteria_view,
    database_sources_view,
    provenance_view,
    quality_view,
    review_view,
    searches_view,
    sources_view,
    themes_view,
)
from .synthesis import cooccurrence_view, evidence_view, overarching_view, prevalence_rule_view

__all__ = [
    "PENDING_SHOWN",
    "SEVERITIES",
    "characteristics_view",
    "charting_table_view",
    "check_context",
    "cooccurrence_view",
    "criteria_view",
    "database_sources_view",
    "evidence_view",
    "ledger_json",
    "make_environment",
    "overarching_view",
    "prevalence_rule_view",
    "provenance_view",
    "quality_view",
    "render_html",
    "review_view",
    "screening_view",
    "searches_view",
    "sources_view",
    "themes_view",
]
