"""The four APIs: defaults, request parameters and what a response page says (pure).

Each API pages in its own way:

* PubMed (NCBI E-utilities): ``esearch`` with ``usehistory=y`` puts the result set on the
  history server (``WebEnv`` + ``QueryKey``) and reports ``Count``; ``efetch`` then returns
  PubMed XML page by page with ``retstart``/``retmax``. Failures can come with HTTP 200
  (``<ERROR>``, ``<ErrorList>``), so the body is checked. PubMed serves at most 10,000 records
  of one result set: a larger window is refused with a message to narrow it.
* OpenAlex: ``cursor=*`` then ``meta.next_cursor`` until it is null or a page is empty;
  ``meta.count`` is the total.
* Europe PMC: ``cursorMark=*`` then ``nextCursorMark``; a zero-hit answer has no
  ``nextCursorMark``; stop on an empty page or a repeated cursor; ``hitCount`` is the total.
* Crossref: ``cursor=*`` then ``message.next-cursor`` (often the same string every page): stop
  when ``items`` is empty or ``total-results`` records were retrieved.

The date window of a living update goes where each API takes it: PubMed ``mindate``/``maxdate``
with ``datetype=edat`` (the date the record entered PubMed), an OpenAlex ``from_created_date``
filter (the window ends at the run), Crossref ``from-index-date``/``until-index-date`` filters, and
Europe PMC a ``FIRST_IDATE:[from TO to]`` clause added to the query.
"""

from __future__ import annotations

import datetime
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

NAMES = ("pubmed", "openalex", "europepmc", "crossref")
# parameters that carry credentials or contact details: sent, never stored or shown
SECRET_PARAMS = frozenset({"api_key", "email", "mailto"})
# environment variables (never config): NCBI/OpenAlex keys, the contact e-mail for polite pools
ENV_NCBI_KEY = "NCBI_API_KEY"
ENV_OPENALEX_KEY = "OPENALEX_API_KEY"
ENV_EMAIL = "SCOPING_REVIEW_CONTACT_EMAIL"
PUBMED_MAX = 10_000  # records of one esearch result set that E-utilities will serve


class ApiError(RuntimeError):
    """What the API answered instead of results (bad query, unknown field, refused key)."""


@dataclass(frozen=True)
class Spec:
    name: str
    database: str  # the database label a search gets unless config names one
    interface: str  # PRISMA-S "interface": how the database was reached
    base_url: str
    interval_s: float  # documented rate limit as a minimum interval between requests
    interval_key_s: float  # the same with an API key (or in the polite pool)
    page_size: int
    max_page_size: int
    fmt: str  # the importer of its result pages
    ext: str  # file extension of its result pages
    window_field: str  # what the date window filters on, as the API names it


SPECS: dict[str, Spec] = {
    "pubmed": Spec(
        "pubmed", "PubMed", "NCBI E-utilities (esearch + efetch)",
        "https://eutils.ncbi.nlm.nih.gov/entrez/eutils", 1 / 3, 1 / 10, 200, 10_000,
        "pubmed_xml", "xml", "edat (Entrez date)",
    ),
    "openalex": Spec(
        "openalex", "OpenAlex", "OpenAlex API (/works)", "https://api.openalex.org",
        0.1, 0.1, 100, 200, "openalex_json", "json", "created_date",
    ),
    "europepmc": Spec(
        "europepmc", "Europe PMC", "Europe PMC REST API (/search)",
        "https://www.ebi.ac.uk/europepmc/webservices/rest", 0.2, 0.2, 100, 1000,
        "europepmc_json", "json", "FIRST_IDATE (first index date)",
    ),
    "crossref": Spec(
        "crossref", "Crossref", "Crossref REST API (/works)", "https://api.crossref.org",
        0.2, 0.1, 100, 1000, "crossref_json", "json", "index-date",
    ),
}  # fmt: skip


@dataclass(frozen=True)
class Window:
    """The dates a round covers (``start`` None: everything up to ``end``)."""

    start: datetime.date | None
    end: datetime.date


@dataclass(frozen=True)
class PageInfo:
    total: int | None  # the total the API reported (None: this page does not say)
    n_items: int  # records on this page
    cursor: str | None  # the next cursor (None: no further page)


def _add_filter(params: dict[str, str], clause: str) -> None:
    params["filter"] = f"{params['filter']},{clause}" if params.get("filter") else clause


def first_params(
    api: str, query: str, extra: Mapping[str, Any], window: Window, page_size: int
) -> dict[str, str]:
    """The query parameters of the first request (PubMed: esearch), credentials excluded."""
    params = {str(k): str(v) for k, v in extra.items()}
    if api == "pubmed":
        params |= {"db": "pubmed", "term": query, "usehistory": "y", "retmax": "0"}
        params |= {"datetype": "edat", "maxdate": window.end.strftime("%Y/%m/%d")}
        # mindate and maxdate go together; no start: from the earliest record
        start = window.start or datetime.date(1800, 1, 1)
        params["mindate"] = start.strftime("%Y/%m/%d")
        params.setdefault("tool", "scoping-review")
    elif api == "openalex":
        if query:
            params["search"] = query
        if window.start:  # the window ends at the run: nothing was created after it
            _add_filter(params, f"from_created_date:{window.start.isoformat()}")
        params |= {"per_page": str(page_size), "cursor": "*"}
    elif api == "europepmc":
        since = window.start.isoformat() if window.start else "1800-01-01"
        clause = f"FIRST_IDATE:[{since} TO {window.end.isoformat()}]"
        params["query"] = f"({query}) AND {clause}" if query else clause
        params |= {"format": "json", "resultType": params.get("resultType", "core")}
        params |= {"pageSize": str(page_size), "cursorMark": "*"}
    elif api == "crossref":
        if query:
            params["query"] = query
        if window.start:
            _add_filter(params, f"from-index-date:{window.start.isoformat()}")
        _add_filter(params, f"until-index-date:{window.end.isoformat()}")
        params |= {"rows": str(page_size), "cursor": "*"}
    else:
        raise ValueError(f"unknown API {api!r} (known: {', '.join(NAMES)})")
    return params


def path_of(api: str, first: bool) -> str:
    return {
        "pubmed": "/esearch.fcgi" if first else "/efetch.fcgi",
        "openalex": "/works",
        "europepmc": "/search",
        "crossref": "/works",
    }[api]


def _json(body: bytes, where: str) -> Any:
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as err:
        raise ApiError(f"{where} is not valid JSON (truncated or not JSON): {err}") from err


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def error_message(api: str, status: int, body: bytes) -> str:
    """One line from an error response: the API's own message where it gives one."""
    text = body.decode("utf-8", "replace").strip()
    message = ""
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict):
        if api == "crossref" and isinstance(data.get("message"), list):
            message = "; ".join(
                str(m.get("message", m)) if isinstance(m, dict) else str(m) for m in data["message"]
            )
        else:
            parts = [data.get(k) for k in ("error", "message", "errMsg", "ERROR")]
            message = ": ".join(str(p) for p in parts if p)
        if not message and isinstance(data.get("esearchresult"), dict):
            message = str(data["esearchresult"].get("ERROR", ""))
    if not message:
        message = re.sub(r"<[^>]+>", " ", text)
    message = re.sub(r"\s+", " ", message).strip()
    return message[:300] + ("..." if len(message) > 300 else "")


def pubmed_esearch(body: bytes) -> tuple[int, str, str, str]:
    """``Count``, ``WebEnv``, ``QueryKey`` and ``QueryTranslation`` of an esearch answer.

    Raises :class:`ApiError` for an ``<ERROR>`` or an ``<ErrorList>`` (a phrase or field PubMed
    does not know: the query is not what the reviewer meant), both sent with HTTP 200.
    """
    try:
        root = ET.fromstring(body)
    except ET.ParseError as err:
        raise ApiError(f"esearch answer is not well-formed XML (truncated?): {err}") from err
    error = root.findtext("ERROR")
    if error:
        raise ApiError(f"PubMed answered: {error.strip()}")
    errors = root.find("ErrorList")
    if errors is not None and len(errors):
        found = "; ".join(f"{e.tag} {(e.text or '').strip()!r}" for e in errors)
        raise ApiError(f"PubMed answered: {found}")
    count = _int(root.findtext("Count"))
    if count is None:
        raise ApiError("esearch answer has no <Count>")
    web_env = (root.findtext("WebEnv") or "").strip()
    key = (root.findtext("QueryKey") or "").strip()
    if count and not (web_env and key):
        raise ApiError("esearch answer has no WebEnv/QueryKey (history server)")
    return count, web_env, key, (root.findtext("QueryTranslation") or "").strip()


_MEDLINE_RECORD = re.compile(rb"(?m)^PMID- ")


def medline_page_info(body: bytes, where: str) -> PageInfo:
    """Records on an efetch page of MEDLINE text (``rettype=medline&retmode=text``)."""
    head = body.lstrip()[:200]
    if head.startswith((b"{", b"<")):
        raise ApiError(f"PubMed answered: {error_message('pubmed', 200, body)} ({where})")
    return PageInfo(None, len(_MEDLINE_RECORD.findall(body)), None)


_PUBMED_RECORD = re.compile(rb"<PubmedArticle>|<PubmedArticle\s|<PubmedBookArticle[\s>]")


def page_info(api: str, body: bytes, where: str) -> PageInfo:
    """Total, records on the page and the next cursor of a result page."""
    if api == "pubmed":
        text = body.lstrip()
        if not text.startswith(b"<") or b"</PubmedArticleSet>" not in body:
            if b'"error"' in body or b"<ERROR>" in body:
                raise ApiError(f"PubMed answered: {error_message(api, 200, body)}")
            raise ApiError(f"{where} is not a complete PubmedArticleSet (truncated?)")
        return PageInfo(None, len(_PUBMED_RECORD.findall(body)), None)
    data = _json(body, where)
    if not isinstance(data, dict):
        raise ApiError(f"{where}: expected a JSON object")
    if api == "openalex":
        if "results" not in data:
            raise ApiError(f"OpenAlex answered: {error_message(api, 200, body)}")
        meta = data.get("meta") or {}
        count = _int(meta.get("count"))
        return PageInfo(count, len(data["results"] or []), meta.get("next_cursor"))
    if api == "europepmc":
        if "resultList" not in data:
            raise ApiError(f"Europe PMC answered: {error_message(api, 200, body)}")
        items = (data.get("resultList") or {}).get("result") or []
        return PageInfo(_int(data.get("hitCount")), len(items), data.get("nextCursorMark"))
    if api == "crossref":
        message = data.get("message")
        if data.get("status") != "ok" or not isinstance(message, dict):
            raise ApiError(f"Crossref answered: {error_message(api, 200, body)}")
        items = message.get("items") or []
        return PageInfo(_int(message.get("total-results")), len(items), message.get("next-cursor"))
    raise ValueError(f"unknown API {api!r}")


def public_url(url: str, params: Mapping[str, str]) -> str:
    """The request as stored and shown: the URL with every parameter except credentials."""
    from urllib.parse import urlencode

    kept = [(k, v) for k, v in params.items() if k not in SECRET_PARAMS]
    return f"{url}?{urlencode(kept)}" if kept else url
