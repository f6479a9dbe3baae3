"""The filled PRISMA-ScR checklist as files beside the report: a Markdown table whose "Reported
in" cells link into the HTML report, and a CSV (one row per item, formula-safe cells). Split
from :mod:`.checklist`, which builds the rows."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from markupsafe import Markup

from ..spreadsheet import safe_text


def _plain(value: Any) -> str:
    """Markup (or text) as one line of plain text: tags stripped, entities decoded, list
    items and blocks separated by "; "."""
    if not isinstance(value, Markup):
        return " ".join(str(value).split())
    marked = re.sub(r"<(li|div|pre)\b", r" ; <\1", str(value))
    text = Markup(marked).striptags()
    text = re.sub(r"(:\s*;|;\s*;)", lambda m: m.group(0)[0], text)
    return re.sub(r"^\s*;\s*", "", text).strip().replace(" ; ", "; ")


def _refs(row: dict[str, Any], report_href: str) -> list[tuple[str, str]]:
    return [(str(r["label"]), f"{report_href}{r['href']}") for r in row["reported_in"]]


STATUS_TEXT = {
    "data": "filled from the data",
    "author": "author text",
    "data+author": "filled from the data, with author text",
    "not_started": "stage not started",
    "not_started+author": "stage not started, with author text",
    "missing": "MISSING: not reported",
}


def checklist_markdown(
    rows: list[dict[str, Any]], report_href: str = "index.html", design_note: str = ""
) -> str:
    """The filled checklist as a Markdown table; "Reported in" links into the HTML report. The
    review's design note (what is made up, in the bundled example) stands above it: the file
    travels without the report."""

    def cell(text: str) -> str:
        return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")

    lines = [
        "# PRISMA-ScR checklist",
        "",
        "Items paraphrased; consult the published PRISMA-ScR checklist (Tricco et al., 2018) "
        "for the authoritative wording. Items 12 and 16 are optional.",
        "",
        *([f"**Design note.** {' '.join(design_note.split())}", ""] if design_note.strip() else []),
        "| Item | Section | Topic | Reported in | Status | Content |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        refs = ", ".join(f"[{cell(label)}]({href})" for label, href in _refs(row, report_href))
        topic = row["topic"] + (" (optional)" if row["optional"] else "")
        lines.append(
            "| "
            + " | ".join(
                [
                    row["number"],
                    cell(row["section"]),
                    cell(topic),
                    refs,
                    STATUS_TEXT[row["source"]],
                    cell(_plain(row["content"])),
                ]
            )
            + " |"
        )
    return "\n".join(lines) + "\n"


def checklist_csv(rows: list[dict[str, Any]], report_href: str = "index.html") -> str:
    """The filled checklist as CSV (RFC 4180 quoting), one row per item.

    Cells a spreadsheet would read as a formula are neutralised (:func:`safe_text`).
    """

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        [
            "item",
            "section",
            "topic",
            "what_it_asks",
            "optional",
            "reported_in",
            "reported_in_links",
            "status",
            "content",
        ]
    )
    for row in rows:
        refs = _refs(row, report_href)
        writer.writerow(
            safe_text(cell) or ""
            for cell in [
                row["number"],
                row["section"],
                row["topic"],
                row["item"],
                "yes" if row["optional"] else "no",
                "; ".join(label for label, _ in refs),
                " ".join(href for _, href in refs),
                row["source"],
                _plain(row["content"]),
            ]
        )
    return buffer.getvalue()
