"""The report's table of contents, read from the rendered page's own headings.

Every section (``<section id=...>`` with its ``<h2>``) and every subsection heading with an
id (``<h3 id=...>``) becomes a link, in page order, so the contents always match what the
page shows (sections of stages not started included, with their one line).
"""

from __future__ import annotations

import re

from markupsafe import Markup

PLACEHOLDER = "<!--contents-->"
_HEADING = re.compile(
    r'<section id="(?P<section>[^"]+)"|<h2 id="[^"]*"[^>]*>(?P<h2>.*?)</h2>'
    r'|<h3 id="(?P<h3id>[^"]+)"[^>]*>(?P<h3>.*?)</h3>',
    re.S,
)


def _link_text(inner: str) -> str:
    """A heading's inner markup without tags other than spans, and spans without ids."""
    kept = re.sub(r"<(?!/?span\b)[^>]*>", "", inner)
    return re.sub(r'\s(id|tabindex|role)="[^"]*"', "", kept)


def contents(html: str) -> Markup:
    """The nested list of links to the page's sections and subsections."""
    body = html.split("<main", 1)[-1].split("</main>", 1)[0]
    sections: list[tuple[str, str, list[tuple[str, str]]]] = []
    current = ""
    for m in _HEADING.finditer(body):
        if m.group("section"):
            current = m.group("section")
        elif m.group("h2") is not None and current:
            sections.append((current, _link_text(m.group("h2")), []))
        elif m.group("h3id") and sections:
            sections[-1][2].append((m.group("h3id"), _link_text(m.group("h3"))))
    items = []
    for anchor, title, subs in sections:
        sub = "".join(f'<li><a href="#{a}">{t}</a></li>' for a, t in subs)
        items.append(
            f'<li><a href="#{anchor}">{title}</a>' + (f"<ul>{sub}</ul>" if sub else "") + "</li>"
        )
    return Markup(
        '<nav class="toc" aria-label="Contents"><details open><summary>Contents</summary>'
        f'<ul class="toc">{"".join(items)}</ul></details></nav>'
    )


def add_contents(html: str) -> str:
    """``html`` with its placeholder replaced by :func:`contents` (unchanged without one)."""
    if PLACEHOLDER not in html:
        return html
    return html.replace(PLACEHOLDER, str(contents(html)), 1)
