"""XML exports: EndNote XML (``<records><record>``, often one line, values wrapped in ``<style>``)
and PubMed XML (``<PubmedArticleSet><PubmedArticle>``), parsed with the standard library.

Each record becomes a list of ``(tag, value)`` fields where the tag is the element name (EndNote:
``title``, ``secondary-title``, ``author``, ``keyword``, ``electronic-resource-num`` ...; PubMed:
``PMID``, ``ArticleTitle``, ``Author`` as ``Last, Fore`` ...) and the value its text with any
``<style>`` wrappers flattened. The record's line is where its opening tag stands (one-line files
give line 1 for all; the record's ordinal is kept in ``raw`` order). ``n_raw`` counts opening tags
with a regular expression over the text, independently of the XML parser.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable

from .tagged import Parsed, RawReject

_ENDNOTE_START = re.compile(r"<record>|<record\s[^>]*>")
_PUBMED_START = re.compile(r"<PubmedArticle>|<PubmedArticle\s[^>]*>|<PubmedBookArticle[\s>]")


class XMLExportError(ValueError):
    """The XML is not well-formed; the message gives line and column."""


def _text(el: ET.Element) -> str:
    return re.sub(r"\s+", " ", "".join(el.itertext())).strip()


def _endnote_fields(record: ET.Element) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for el in record.iter():
        if el is record or el.tag == "style":
            continue
        children = [c for c in el if c.tag != "style"]
        if children:
            continue
        if el.tag == "ref-type" and el.get("name"):
            out.append(("ref-type", el.get("name", "")))
            continue
        value = _text(el)
        if value:
            out.append((el.tag, value))
    return out


def _pubmed_fields(article: ET.Element) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for el in article.iter():
        if el.tag == "Author":
            last, fore = el.findtext("LastName"), el.findtext("ForeName") or el.findtext("Initials")
            name = f"{last}, {fore}" if last and fore else (last or el.findtext("CollectiveName"))
            if name:
                out.append(("Author", name.strip()))
            continue
        if el.tag in ("LastName", "ForeName", "Initials", "CollectiveName"):
            continue
        if el.tag in ("ArticleId", "ELocationID"):
            kind = el.get("IdType") or el.get("EIdType") or ""
            out.append((f"{el.tag}.{kind}", _text(el)))
            continue
        if el.tag in ("ArticleTitle", "AbstractText", "Title"):
            value = _text(el)
            if el.tag == "AbstractText" and el.get("Label"):
                value = f"{el.get('Label')}: {value}"
            if value:
                out.append((el.tag, value))
            continue
        if el.tag == "PubDate":
            out.append(("PubDate", _text(el)))
            continue
        if len(el) == 0 and el.text and el.text.strip():
            out.append((el.tag, el.text.strip()))
    return out


def _line_of(text: str, pattern: re.Pattern[str]) -> list[int]:
    lines: list[int] = []
    pos, line = 0, 1
    for match in pattern.finditer(text):
        line += text.count("\n", pos, match.start())
        pos = match.start()
        lines.append(line)
    return lines


def parse(text: str, kind: str) -> Parsed:
    """``kind`` is ``endnote_xml`` or ``pubmed_xml``."""
    pattern = _ENDNOTE_START if kind == "endnote_xml" else _PUBMED_START
    lines = _line_of(text, pattern)
    try:
        root = ET.fromstring(text.lstrip("\ufeff").encode("utf-8"))
    except ET.ParseError as err:
        line, col = err.position
        raise XMLExportError(f"XML is not well-formed at line {line}, column {col}: {err}") from err
    extract: Callable[[ET.Element], list[tuple[str, str]]]
    if kind == "endnote_xml":
        elements = list(root.iter("record"))
        extract = _endnote_fields
    else:
        elements = [el for el in root.iter() if el.tag in ("PubmedArticle", "PubmedBookArticle")]
        extract = _pubmed_fields
    rec: list[int] = []
    tags: list[str] = []
    values: list[str] = []
    rejects: list[RawReject] = []
    kept_lines: list[int] = []
    for i, el in enumerate(elements):
        line = lines[i] if i < len(lines) else 1
        flds = extract(el)
        if not flds:
            rejects.append(RawReject(line, "record has no fields", ET.tostring(el, "unicode")))
            continue
        for t, v in flds:
            rec.append(len(kept_lines))
            tags.append(t)
            values.append(v)
        kept_lines.append(line)
    return Parsed.from_lists(rec, tags, values, kept_lines, rejects, len(lines))
