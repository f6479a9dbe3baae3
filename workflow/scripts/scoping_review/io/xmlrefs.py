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


# the text is decoded already: the declaration's encoding would make the parser decode it again
_DECLARED_ENCODING = re.compile(r"\A(\ufeff?\s*<\?xml[^>]*?)\s+encoding\s*=\s*(['\"])[^'\"]*\2")
_ENDNOTE_END = re.compile(r"</record\s*>")
_PUBMED_END = re.compile(r"</Pubmed(?:Book)?Article\s*>")


def _one_by_one(
    text: str, starts: list[int], lines: list[int], end: re.Pattern[str]
) -> tuple[list[ET.Element | None], list[RawReject]]:
    """Each record's own text parsed alone (the file as a whole is not well-formed: cut short,
    two exports joined, a damaged byte): an element per record start, or None with a reject
    naming the line and why."""
    elements: list[ET.Element | None] = []
    rejects: list[RawReject] = []
    for i, start in enumerate(starts):
        stop = starts[i + 1] if i + 1 < len(starts) else len(text)
        closing = end.search(text, start, stop)
        if closing is None:
            where = "the next record" if i + 1 < len(starts) else "the end of the file"
            reason = f"record is cut off: it has no closing tag before {where}"
            rejects.append(RawReject(lines[i], reason, text[start:stop].strip()))
            elements.append(None)
            continue
        raw = text[start : closing.end()]
        try:
            elements.append(ET.fromstring(raw.encode("utf-8")))
        except ET.ParseError as err:
            line = lines[i] + err.position[0] - 1
            rejects.append(RawReject(line, f"record is not well-formed XML: {err}", raw))
            elements.append(None)
    return elements, rejects


def parse(text: str, kind: str) -> Parsed:
    """``kind`` is ``endnote_xml`` or ``pubmed_xml``. A file that is not well-formed as a whole
    is read record by record: each record that parses alone is kept, the others are rejects
    with their line and the parser's reason, and a note says so; a file with no record start
    is refused."""
    declared = _DECLARED_ENCODING.match(text, 0, 4096)  # only a declaration's text is cut
    if declared is not None:
        text = declared.group(1) + text[declared.end() :]
    endnote = kind == "endnote_xml"
    pattern = _ENDNOTE_START if endnote else _PUBMED_START
    starts = [m.start() for m in pattern.finditer(text)]
    lines = _line_of(text, pattern)
    extract = _endnote_fields if endnote else _pubmed_fields
    notes: list[str] = []
    rejects: list[RawReject] = []
    elements: list[ET.Element | None]
    root: ET.Element | None = None
    whole = ""
    try:
        root = ET.fromstring(text.lstrip("\ufeff").encode("utf-8"))
    except ET.ParseError as err:
        whole = f"XML is not well-formed ({err})"
        if not starts:
            raise XMLExportError(whole) from err
    if root is None:  # outside the handler: its traceback would keep the UTF-8 copy alive
        elements, rejects = _one_by_one(
            text, starts, lines, _ENDNOTE_END if endnote else _PUBMED_END
        )
        kept = sum(el is not None for el in elements)
        notes.append(
            f"{whole}; its {len(starts)} records were read one by one: {kept} read, "
            f"{len(starts) - kept} rejected (a download cut short, or two exports joined?)"
        )
    else:
        if endnote:
            elements = list(root.iter("record"))
        else:
            elements = [
                el for el in root.iter() if el.tag in ("PubmedArticle", "PubmedBookArticle")
            ]
    rec: list[int] = []
    tags: list[str] = []
    values: list[str] = []
    kept_lines: list[int] = []
    for i, el in enumerate(elements):
        if el is None:
            continue
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
    rejects.sort(key=lambda r: r.line)
    return Parsed.from_lists(rec, tags, values, kept_lines, rejects, len(lines), notes)
