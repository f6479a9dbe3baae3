"""Which optional stages of a review have started, and the one line the report shows for the
others.

A living review starts with its searches: screening, charting and coding (codes and themes)
switch on as their inputs appear in ``config/config.yaml``. The workflow passes which stages
have inputs (``{"screening": bool, "charting": bool, "coding": bool}``); a stage that has not
started is one sentence in its report section, with where to look next, instead of empty
tables and zero counts.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from .counts import literal

STAGES: tuple[str, ...] = ("screening", "charting", "coding")

_MESSAGES: dict[str, Markup] = {
    "screening": Markup(
        "Screening not started: every study is awaiting screening. Fill in the worklists under "
        "{} and list them under <code>screening.sheets</code> in "
        "<code>config/config.yaml</code>, see <code>config/README.md</code> (screening)."
    ).format(literal("results/03_screen/worklists/", "path")),
    "charting": Markup(
        "Charting not started: add a charting sheet and its form under <code>charting</code> "
        "in <code>config/config.yaml</code>, see <code>config/README.md</code> (charting)."
    ),
    "coding": Markup(
        "Coding not started: add coded segments and a codebook under <code>coding</code> in "
        "<code>config/config.yaml</code>, see <code>config/README.md</code> (coding)."
    ),
}


def stages_view(started: dict[str, bool] | None) -> dict[str, dict[str, Any]]:
    """``{stage: {"started": bool, "message": Markup}}`` for every optional stage.

    ``started`` maps a stage to whether its inputs are configured; a stage it does not name
    (or ``None`` for the whole mapping) counts as started, as in a review built before stages
    were optional.
    """
    flags = started or {}
    return {
        stage: {"started": bool(flags.get(stage, True)), "message": _MESSAGES[stage]}
        for stage in STAGES
    }


def not_started_message(stage: str) -> Markup:
    """The one-line "not started" message of ``stage`` (one of :data:`STAGES`)."""
    return _MESSAGES[stage]
