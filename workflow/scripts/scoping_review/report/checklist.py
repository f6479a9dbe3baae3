"""The PRISMA-ScR checklist: 22 paraphrased items, each pointing at where the report covers it.

Items the data can fill (title, objectives, eligibility criteria, sources, searches, selection,
data items and the results items) are written from the config and the ledger; the checklist
exports are in :mod:`.checklist_exports`; the rest take the author's
text from ``config["checklist"]["<item number>"]``; an item with neither says so visibly.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from markupsafe import Markup, escape

from ..screen import Settings
from ..wording import STAGE_NAMES, stage_name
from .counts import Ledger, author_text, literal

# Report sections (anchor → heading); sub-anchors point inside a section.
ANCHORS: dict[str, str] = {
    "summary": "Summary",
    "methods": "Methods",
    "methods-searches": "Methods: searches",
    "methods-criteria": "Methods: eligibility criteria",
    "methods-screening": "Methods: screening",
    "prisma": "PRISMA flow diagram",
    "screening": "Screening",
    "characteristics": "Characteristics of included studies",
    "charting-table": "Characteristics: per-study charting",
    "synthesis": "Synthesis",
    "quality": "Data quality",
    "checklist": "PRISMA-ScR checklist",
    "provenance": "Provenance",
}
# the top-level sections, in page order
SECTIONS: tuple[str, ...] = tuple(a for a in ANCHORS if "-" not in a)

_NUMBER_WORDS = {
    1: "one",
    2: "two",
    3: "three",
    4: "four",
    5: "five",
    6: "six",
    7: "seven",
    8: "eight",
    9: "nine",
    10: "ten",
}


def text(value: Any, why: str = "text") -> Markup:
    """Config or table text: escaped, and marked literal when it carries digits of its own."""
    s = "" if value is None else str(value)
    if any(ch.isdigit() for ch in s):
        return literal(s, why)
    return escape(s)


def _reviewers(config: dict[str, Any]) -> dict[str, int] | None:
    """Independent reviewers per screening stage, or None when nothing is configured.

    ``screening.stages.<stage>.reviewers`` wins over ``screening.reviewers_per_stage`` (the
    same rule :class:`scoping_review.screen.Settings` applies to the decisions).
    """
    screening = config.get("screening") or {}
    stages = screening.get("stages") or {}
    if screening.get("reviewers_per_stage") is None and not any(
        (stages.get(s) or {}).get("reviewers") is not None for s in STAGE_NAMES
    ):
        return None
    return dict(Settings.from_config(screening).needed())


def _who(k: int) -> Markup:
    words = _NUMBER_WORDS.get(k)
    return escape(words) if words else literal(k, "config value")


def in_progress(ledger: Ledger | None) -> bool:
    return ledger is not None and any(
        ledger.has(c) and ledger.positive(c) for c in ("records_pending", "dbr_pending")
    )


def progress_text(ledger: Ledger) -> Markup:
    """What screening has done so far and what waits, for a review in progress; before any
    record is screened or report assessed, that it has not started (the screening section
    says so too: "in progress" with nothing done contradicted it)."""
    if not (ledger.positive("records_screened") or ledger.positive("dbr_assessed")):
        return Markup("Screening has not started: {} records await screening by {}.").format(
            ledger.n("records_pending"), stage_name("title_abstract")
        )
    return Markup(
        "Screening is in progress: so far {} records have been screened by {} and {} await "
        "screening; {} reports have been assessed in {} and {} await assessment."
    ).format(
        ledger.n("records_screened"),
        stage_name("title_abstract"),
        ledger.n("records_pending"),
        ledger.n("dbr_assessed"),
        stage_name("full_text"),
        ledger.n("dbr_pending"),
    )


def screening_text(config: dict[str, Any], ledger: Ledger | None = None) -> Markup:
    """Who screens, from ``screening.stages.<stage>.reviewers`` (else ``reviewers_per_stage``).

    With a ``ledger`` of a review still in progress it describes the plan in the present tense
    and then what has been done so far; once nothing is pending, what took place.
    """
    per_stage = _reviewers(config)
    if per_stage is None:
        return Markup("The number of reviewers per screening stage is not configured.")
    done = not in_progress(ledger)
    both = Markup("at each stage ({}, then {})").format(
        stage_name("title_abstract"), stage_name("full_text")
    )
    ks = set(per_stage.values())
    if ks == {1}:
        plan = (
            Markup("Single-reviewer screening: {} every record was screened by one reviewer.")
            if done
            else Markup("Single-reviewer screening: {} every record is screened by one reviewer.")
        ).format(both)
    elif len(ks) == 1:
        plan = (
            Markup(
                "Dual screening: {} every record was screened independently by {} reviewers, "
                "and disagreements were resolved before the decision was recorded."
            )
            if done
            else Markup(
                "Dual screening: {} every record is screened independently by {} reviewers, "
                "and disagreements are resolved before the decision is recorded."
            )
        ).format(both, _who(ks.pop()))
    else:
        parts = []
        for stage, k in per_stage.items():
            name = stage_name(stage).capitalize()
            if k == 1:
                parts.append(Markup("{}: single-reviewer screening (one reviewer)").format(name))
            else:
                parts.append(
                    Markup("{}: dual screening, independently by {} reviewers").format(
                        name, _who(k)
                    )
                )
        plan = Markup(
            "{}. Disagreements between independent reviewers {} resolved before the decision "
            "{} recorded."
        ).format(Markup("; ").join(parts), "were" if done else "are", "was" if done else "is")
    plan = Markup("{}{}").format(plan, _second_opinions(per_stage, ledger))
    if done or ledger is None:
        return plan
    return Markup("{} {}").format(plan, progress_text(ledger))


def _second_opinions(per_stage: dict[str, int], ledger: Ledger | None) -> Markup:
    """Where one reviewer is configured but studies were decided by two (the agreement table
    shows them): said, so the text does not contradict the table."""
    if ledger is None:
        return Markup("")
    notes = [
        Markup("{} at {}").format(ledger.n(f"agreement.{stage}.compared"), stage_name(stage))
        for stage, k in per_stage.items()
        if k == 1 and ledger.positive(f"agreement.{stage}.compared")
    ]
    if not notes:
        return Markup("")
    return Markup(
        " Even so, some studies were decided by two reviewers independently ({}), shown in the "
        "agreement between reviewers; {} asks for two at every study."
    ).format(
        Markup("; ").join(notes),
        Markup("<code>{}</code>").format(literal("screening.reviewers_per_stage: 2", "config key")),
    )


def _item6(ledger: Ledger, config: dict[str, Any], fields: list[dict[str, Any]]) -> Markup:
    crits = list(config.get("criteria") or [])
    if not crits:
        return Markup("")

    def used(prefixes: tuple[str, ...], code: str) -> bool:
        return any(ledger.positive(f"{p}.{code}") for p in prefixes)

    # a code given only to reports not retrieved ("full text could not be obtained") is no
    # eligibility criterion: PRISMA counts those reports apart
    retrieval = [
        c
        for c in crits
        if used(("dbr_notretrieved_reports",), str(c.get("code")))
        and not used(("dbr_excluded", "records_excluded"), str(c.get("code")))
    ]

    def item(c: dict[str, Any]) -> Markup:
        return Markup("<li>{} — {} <span class='muted'>({})</span></li>").format(
            literal(c.get("code", ""), "criterion code"),
            text(c.get("label", ""), "criterion"),
            ", ".join(stage_name(str(s)) for s in (c.get("stages") or [])) or "all stages",
        )

    out = Markup("Exclusion criteria, applied as coded reasons:<ul>{}</ul>").format(
        Markup("").join(item(c) for c in crits if c not in retrieval)
    )
    if retrieval:
        out += Markup(
            "Reasons given for reports not retrieved (no eligibility criterion):<ul>{}</ul>"
        ).format(Markup("").join(item(c) for c in retrieval))
    return out


def _item1(ledger: Ledger, config: dict[str, Any], fields: list[dict[str, Any]]) -> Markup:
    """The review's title, and whether it says the report is a scoping review (the item)."""
    title = str((config.get("review") or {}).get("title") or "").strip()
    if not title:
        return Markup("")
    said = Markup("Title: <q>{}</q>.").format(text(title, "review title"))
    if re.search(r"\bscoping\s+(?:literature\s+)?review\b", title, re.IGNORECASE):
        return said
    return Markup(
        "{} <strong>It does not name the report a scoping review</strong>, as this item asks."
    ).format(said)


def _item4(ledger: Ledger, config: dict[str, Any], fields: list[dict[str, Any]]) -> Markup:
    """The review's question and objectives, from the config's ``review`` block."""
    review = config.get("review") or {}
    parts = [
        Markup("<p>{}: {}</p>").format(name, text(str(review[key]).strip(), key))
        for key, name in (("question", "Question"), ("objectives", "Objectives"))
        if str(review.get(key) or "").strip()
    ]
    return Markup("").join(parts)


def _item7(ledger: Ledger, config: dict[str, Any], fields: list[dict[str, Any]]) -> Markup:
    searches = list(config.get("searches") or [])
    parts = [
        Markup("<li>{}{}, searched {}</li>").format(
            text(s.get("database"), "database"),
            # no platform given: none is said (not "via —")
            Markup(" via {}").format(text(s["platform"], "platform")) if s.get("platform") else "",
            literal(s.get("date"), "search date"),
        )
        for s in searches
    ]
    dates = sorted(str(s.get("date")) for s in searches if s.get("date"))
    latest = (
        Markup(" Most recent search: {}.").format(literal(dates[-1], "search date"))
        if dates
        else Markup("")
    )
    return Markup("{} databases searched:<ul>{}</ul>{}").format(
        ledger.n("search_databases"), Markup("").join(parts), latest
    )


def _item8(ledger: Ledger, config: dict[str, Any], fields: list[dict[str, Any]]) -> Markup:
    parts = [
        Markup(
            "<div class='strategy'><strong>{}</strong><pre data-literal='search strategy'>{}"
            "</pre></div>"
        ).format(text(s.get("database"), "database"), s.get("strategy") or "")
        for s in (config.get("searches") or [])
    ]
    return Markup("Full strategies as run:{}").format(Markup("").join(parts))


def prioritisation_text(ledger: Ledger, config: dict[str, Any]) -> Markup:
    """Prioritised screening and the stopping rule, in words with ledger numbers ("" when the
    review does not rank); the model as configured (``screening.prioritisation``)."""
    from ..ranking import RankingSettings

    if not ledger.has("ranking.trained_on"):
        return Markup("")
    settings = RankingSettings.from_config(
        (config.get("screening") or {}).get("prioritisation") or {}
    )
    # nothing to rank and nothing set aside by the stopping rule: no claim that screening was
    if ledger.value("ranking.ranked") == 0 and not ledger.positive("stopping.set_aside"):
        return Markup(
            "Prioritised screening is set up: a text model ({}) trained on the {} {} decisions "
            "so far ranks the studies awaiting {} screening. None awaits it now, so none is "
            "ranked; studies that an update brings are ranked before they are screened."
        ).format(
            literal(settings.describe(), "ranking model"),
            ledger.n("ranking.trained_on"),
            stage_name("title_abstract"),
            stage_name("title_abstract"),
        )
    out = Markup(
        "{} screening is prioritised: a text model ({}) trained on the {} {} "
        "decisions so far ranks the {} studies awaiting screening, re-trained on every run."
    ).format(
        stage_name("title_abstract").capitalize(),
        literal(settings.describe(), "ranking model"),
        ledger.n("ranking.trained_on"),
        stage_name("title_abstract"),
        ledger.n("ranking.ranked"),
    )
    if ledger.has("stopping.recall_target"):
        rule = literal("hypergeometric stopping rule (Callaghan & Müller-Hansen 2020)", "rule")
        stop = ledger.value("stopping.stop") == 1
        out += Markup(
            " The {} tests the hypothesis that recall is below the target of {} (confidence {}): "
            "p = {}, so it {}."
        ).format(
            rule,
            ledger.n("stopping.recall_target"),
            ledger.n("stopping.confidence"),
            ledger.n("stopping.p_value"),
            "does not yet allow stopping"
            if not stop
            else "says the unscreened remainder may be set aside",
        )
        if ledger.positive("stopping.set_aside"):
            out += Markup(
                " The team applied it: {} records not screened were marked as ineligible by "
                "this automation tool (estimated recall at least {} at confidence {})."
            ).format(
                ledger.n("stopping.set_aside"),
                ledger.n("stopping.recall_target"),
                ledger.n("stopping.confidence"),
            )
        else:
            out += Markup(" No record was excluded by the model.")
    return out


def _item9(ledger: Ledger, config: dict[str, Any], fields: list[dict[str, Any]]) -> Markup:
    return Markup("{} Decisions and reasons are read from the screening workbooks. {}").format(
        screening_text(config, ledger), prioritisation_text(ledger, config)
    )


_FIELD_KINDS = {
    "text": "free text",
    "category": "a category",
    "list": "a list of values",
    "integer": "a whole number",
}


def _item11(ledger: Ledger, config: dict[str, Any], fields: list[dict[str, Any]]) -> Markup:
    parts = [
        Markup("<li>{} <span class='muted'>({})</span></li>").format(
            text(f.get("label") or f.get("name"), "field"),
            _FIELD_KINDS.get(str(f.get("type") or "text"), str(f.get("type")))
            + ("; studies counted per value" if f.get("count") else ""),
        )
        for f in fields
    ]
    return Markup("Charting-form fields:<ul>{}</ul>").format(Markup("").join(parts))


def _item14(ledger: Ledger, config: dict[str, Any], fields: list[dict[str, Any]]) -> Markup:
    found = Markup(
        'See the <a href="#prisma">PRISMA flow diagram</a>: {} records screened, {} reports '
        "assessed for eligibility and {} studies included; exclusion reasons are listed per "
        "stage in the diagram."
    ).format(ledger.n("records_screened"), ledger.n("dbr_assessed"), ledger.n("new_studies"))
    if in_progress(ledger):
        return Markup("{} {}").format(found, progress_text(ledger))
    return found


def _item15(ledger: Ledger, config: dict[str, Any], fields: list[dict[str, Any]]) -> Markup:
    return Markup(
        "{} included studies charted; counts and percentages per characteristic in the "
        '<a href="#characteristics">characteristics table</a>.'
    ).format(ledger.n("chart.rows"))


def _item17(ledger: Ledger, config: dict[str, Any], fields: list[dict[str, Any]]) -> Markup:
    return Markup(
        'The <a href="#charting-table">per-study charting table</a> lists each of the {} '
        "included studies with every charted field."
    ).format(ledger.n("new_studies"))


def _item18(ledger: Ledger, config: dict[str, Any], fields: list[dict[str, Any]]) -> Markup:
    return Markup(
        "{} codes kept, grouped into {} themes under {} overarching themes; see the "
        '<a href="#synthesis">themes table and figures</a>.'
    ).format(ledger.n("codes_kept"), ledger.n("themes"), ledger.n("overarching_themes"))


FILLERS: dict[int, Callable[[Ledger, dict[str, Any], list[dict[str, Any]]], Markup]] = {
    1: _item1,
    4: _item4,
    6: _item6,
    7: _item7,
    8: _item8,
    9: _item9,
    11: _item11,
    14: _item14,
    15: _item15,
    17: _item17,
    18: _item18,
}


# items filled from a stage's data: before the stage starts they say so instead
STAGE_OF_ITEM: dict[int, str] = {11: "charting", 15: "charting", 17: "charting", 18: "coding"}


def build_checklist(
    items: list[dict[str, Any]],
    ledger: Ledger,
    config: dict[str, Any],
    charting_fields: list[dict[str, Any]],
    stages: dict[str, dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """Checklist rows for the template (strings and markup only).

    Each row: ``number`` (str), ``section``, ``topic``, ``item``, ``optional`` (bool),
    ``reported_in`` (list of ``{href, label}``), ``content`` (markup), ``source``
    (``data`` / ``author`` / ``data+author`` / ``not_started`` / ``missing``). ``stages``
    (:func:`.progress.stages_view`) says which stages have started: an item filled from a
    stage not started holds that stage's one "not started" line instead.
    """
    numbers = sorted(int(i["number"]) for i in items)
    if numbers != list(range(1, 23)):
        raise ValueError(f"the PRISMA-ScR checklist must hold items 1-22, got {numbers}")
    authored = {str(k): str(v) for k, v in (config.get("checklist") or {}).items() if v}
    rows: list[dict[str, Any]] = []
    for item in sorted(items, key=lambda i: int(i["number"])):
        number = int(item["number"])
        filler = FILLERS.get(number)
        parts: list[Markup] = []
        sources: list[str] = []
        stage = STAGE_OF_ITEM.get(number)
        if stage and stages and not stages[stage]["started"]:
            parts.append(
                Markup("<div class='not-started'>{}</div>").format(stages[stage]["message"])
            )
            sources.append("not_started")
        elif filler is not None:
            filled = filler(ledger, config, charting_fields)
            if filled:
                parts.append(Markup("<div class='from-data'>{}</div>").format(filled))
                sources.append("data")
        if str(number) in authored:
            parts.append(
                Markup("<div class='from-author'>{}</div>").format(
                    author_text(authored[str(number)], ledger)
                )
            )
            sources.append("author")
        reported = [
            {"href": f"#{anchor}", "label": ANCHORS.get(anchor, anchor)}
            for anchor in item.get("reported_in") or []
        ]
        rows.append(
            {
                "number": str(number),
                "section": str(item["section"]),
                "topic": str(item["topic"]),
                "item": str(item["item"]),
                "optional": bool(item.get("optional", False)),
                "reported_in": reported,
                "content": Markup("").join(parts),
                "source": "+".join(sources) if sources else "missing",
            }
        )
    return rows
