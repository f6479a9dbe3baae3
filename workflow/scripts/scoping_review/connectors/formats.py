"""Importers for API result pages: OpenAlex works, Europe PMC search and Crossref works JSON.

Each page is parsed with :mod:`json`; every item of its result list is one raw record
(``n_raw``), which becomes a record or, when it is not an object, has fields of an unexpected
shape or carries neither a title nor an identifier, a reject with the reason. Fields come out
as ``(tag, value)`` pairs whose tags are the canonical field names (:data:`FIELD_MAP`), so
the importer's canonical frame treats them like any export's. ``line`` is the item's
position in the page (1-based).

OpenAlex gives no abstract text, only ``abstract_inverted_index`` (word -> positions): the
abstract is rebuilt by placing each word at its positions. Crossref abstracts are JATS XML:
the markup is dropped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from .. import vocabulary
from ..io.tagged import Parsed, RawReject

FORMATS = vocabulary.API_FORMATS

TAGS = (
    "title", "abstract", "authors", "year", "journal", "volume", "issue", "pages", "doi",
    "pmid", "language", "type", "keywords", "url", "issn", "isbn", "native_id", "accession",
)  # fmt: skip
FIELD_MAP: dict[str, tuple[str, ...]] = {tag: (tag,) for tag in TAGS}


class PageError(ValueError):
    """A page that is not the JSON its API sends; the message says where it breaks."""


def abstract_from_inverted_index(index: Any) -> str | None:
    """OpenAlex ``abstract_inverted_index`` (word -> positions) back to the abstract's text."""
    if not isinstance(index, dict) or not index:
        return None
    placed: dict[int, str] = {}
    for word, positions in index.items():
        for pos in positions if isinstance(positions, list) else []:
            if isinstance(pos, int):
                placed[pos] = str(word)
    return " ".join(placed[p] for p in sorted(placed)) or None


def _strip_url(value: Any, prefix: str) -> str | None:
    if not value:
        return None
    text = str(value)
    return text[len(prefix) :] if text.lower().startswith(prefix) else text


def _s(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    text = re.sub(r"\s+", " ", str(value)).strip()
    return text or None


def _untagged(markup: Any) -> str | None:
    """Text of an abstract that may carry JATS/HTML markup (``<jats:p>``, ``<i>``)."""
    return re.sub(r"<[^>]+>", " ", str(markup)) if markup else None


def _openalex(work: dict[str, Any]) -> list[tuple[str, str | None]]:
    biblio = work.get("biblio") or {}
    source = ((work.get("primary_location") or {}).get("source")) or {}
    ids = work.get("ids") or {}
    first, last = biblio.get("first_page"), biblio.get("last_page")
    pages = f"{first}-{last}" if first and last and first != last else first
    out: list[tuple[str, str | None]] = [
        ("title", work.get("title") or work.get("display_name")),
        ("abstract", abstract_from_inverted_index(work.get("abstract_inverted_index"))),
        ("year", work.get("publication_year")),
        ("journal", source.get("display_name")),
        ("volume", biblio.get("volume")),
        ("issue", biblio.get("issue")),
        ("pages", pages),
        ("doi", _strip_url(work.get("doi"), "https://doi.org/")),
        ("pmid", _strip_url(ids.get("pmid"), "https://pubmed.ncbi.nlm.nih.gov/")),
        ("language", work.get("language")),
        ("type", work.get("type")),
        ("url", work.get("id")),
        ("native_id", _strip_url(work.get("id"), "https://openalex.org/")),
    ]
    for authorship in work.get("authorships") or []:
        author = (authorship or {}).get("author") or {}
        out.append(("authors", author.get("display_name") or authorship.get("raw_author_name")))
    out += [("keywords", (k or {}).get("display_name")) for k in work.get("keywords") or []]
    out += [("issn", i) for i in source.get("issn") or []]
    return out


def _europepmc(item: dict[str, Any]) -> list[tuple[str, str | None]]:
    journal = (item.get("journalInfo") or {}).get("journal") or {}
    source, ident = item.get("source"), item.get("id")
    out: list[tuple[str, str | None]] = [
        ("title", item.get("title")),
        ("abstract", _untagged(item.get("abstractText"))),
        ("year", item.get("pubYear")),
        ("journal", item.get("journalTitle") or journal.get("title")),
        ("volume", item.get("journalVolume") or (item.get("journalInfo") or {}).get("volume")),
        ("issue", item.get("issue") or (item.get("journalInfo") or {}).get("issue")),
        ("pages", item.get("pageInfo")),
        ("doi", item.get("doi")),
        ("pmid", item.get("pmid")),
        ("language", item.get("language")),
        ("type", item.get("pubType")),
        ("native_id", f"{source}-{ident}" if source and ident else ident),
        ("accession", item.get("pmcid")),
    ]  # fmt: skip
    authors = ((item.get("authorList") or {}).get("author")) or []
    if authors:
        out += [("authors", (a or {}).get("fullName") or (a or {}).get("collectiveName"))
                for a in authors]  # fmt: skip
    elif item.get("authorString"):
        names = str(item["authorString"]).rstrip(".").split(", ")
        out += [("authors", n) for n in names]
    keywords = ((item.get("keywordList") or {}).get("keyword")) or []
    out += [("keywords", k) for k in keywords]
    issns = str(item.get("journalIssn") or journal.get("issn") or "")
    out += [("issn", i) for i in issns.split(";")]
    return out


def _crossref(item: dict[str, Any]) -> list[tuple[str, str | None]]:
    def first(key: str) -> Any:
        values = item.get(key) or []
        return values[0] if isinstance(values, list) and values else None

    year = None
    for key in ("issued", "published", "published-print", "published-online", "created"):
        parts = (item.get(key) or {}).get("date-parts") or [[None]]
        if parts and parts[0] and parts[0][0]:
            year = parts[0][0]
            break
    abstract = item.get("abstract")
    out: list[tuple[str, str | None]] = [
        ("title", first("title")),
        ("abstract", _untagged(abstract)),
        ("year", year),
        ("journal", first("container-title")),
        ("volume", item.get("volume")),
        ("issue", item.get("issue")),
        ("pages", item.get("page")),
        ("doi", item.get("DOI")),
        ("language", item.get("language")),
        ("type", item.get("type")),
        ("url", item.get("URL")),
        ("native_id", item.get("DOI")),
    ]
    for author in item.get("author") or []:
        family, given = (author or {}).get("family"), (author or {}).get("given")
        name = f"{family}, {given}" if family and given else family or (author or {}).get("name")
        out.append(("authors", name))
    out += [("keywords", k) for k in item.get("subject") or []]
    out += [("issn", i) for i in item.get("ISSN") or []]
    out += [("isbn", i) for i in item.get("ISBN") or []]
    return out


EXTRACTORS: dict[str, Callable[[dict[str, Any]], list[tuple[str, str | None]]]] = {
    "openalex_json": _openalex,
    "europepmc_json": _europepmc,
    "crossref_json": _crossref,
}


def items_of(data: Any, fmt: str) -> list[Any]:
    """The result list of a page (raises :class:`PageError` when the page has none)."""
    try:
        if fmt == "openalex_json":
            items = data["results"]
        elif fmt == "europepmc_json":
            items = data["resultList"]["result"]
        else:
            items = data["message"]["items"]
    except (KeyError, TypeError):
        items = None
    if not isinstance(items, list):
        raise PageError(f"not a {fmt} result page (no result list)")
    return items


def detect(text: str) -> str | None:
    """The API page format of ``text`` from its leading keys (None: not one of them)."""
    head = text.lstrip("\ufeff \t\r\n")[:4096]
    if not head.startswith("{"):
        return None
    if '"message-type"' in head and '"work-list"' in head:
        return "crossref_json"
    if '"hitCount"' in head or '"resultList"' in head:
        return "europepmc_json"
    if '"meta"' in head and ('"results"' in text[: 1 << 20]) and '"count"' in head:
        return "openalex_json"
    return None


def parse(text: str, fmt: str) -> Parsed:
    """One API result page as a :class:`~scoping_review.io.tagged.Parsed` (long fields)."""
    try:
        data = json.loads(text)
    except ValueError as err:
        raise PageError(f"not valid JSON (truncated?): {err}") from err
    items = items_of(data, fmt)
    extract = EXTRACTORS[fmt]
    rec: list[int] = []
    tags: list[str] = []
    values: list[str] = []
    lines: list[int] = []
    rejects: list[RawReject] = []
    for position, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            reason = "result item is not a JSON object"
            rejects.append(RawReject(position, reason, json.dumps(item)))
            continue
        try:
            extracted = extract(item)
        except (AttributeError, TypeError, KeyError, IndexError, ValueError) as err:
            reason = f"result item has an unexpected shape ({type(err).__name__}: {err})"
            rejects.append(RawReject(position, reason, json.dumps(item, ensure_ascii=False)))
            continue
        fields = [(t, v) for t, raw in extracted if (v := _s(raw)) is not None]
        if not any(t in ("title", "doi", "native_id") for t, _ in fields):
            raw = json.dumps(item, ensure_ascii=False, sort_keys=True)
            rejects.append(RawReject(position, "result item has no title and no identifier", raw))
            continue
        for tag, value in fields:
            rec.append(len(lines))
            tags.append(tag)
            values.append(value)
        lines.append(position)
    return Parsed.from_lists(rec, tags, values, lines, rejects, len(items), stripped=True)
