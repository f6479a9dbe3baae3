"""Seeded synthetic bibliographic records and their rendering as export files.

:func:`records` makes a canonical-records frame (the columns of ``01_import/records.parquet``
that an export carries: title, abstract, authors, year, journal, volume, issue, pages, doi, pmid,
accession, language, publication_type, keywords, issn) from a seed; :func:`render` writes such a
frame as the text of an export in one format (RIS, MEDLINE, WoS tagged text, BibTeX). Equal seeds
give equal bytes (a null DOI is left out). Used by the import benchmark and by
:mod:`synthetic_corpus`: a
record rendered and imported again must give back its canonical fields (tests check this).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from typing import Any

import polars as pl

from scoping_review import schemas

_WORD_TEXT = """alliance rupture repair therapeutic relationship client therapist session outcome
process change psychotherapy cognitive behavioural psychodynamic emotion focused withdrawal
confrontation marker resolution trust empathy feedback study trial qualitative quantitative review
analysis evidence practice training supervision depression anxiety trauma adolescent adult couple
family group online brief long-term model measure scale validity reliability negotiation impasse
enactment metacommunication responsiveness"""
_WORDS = tuple(_WORD_TEXT.split())
_SURNAMES = (
    "Safran", "Muran", "Eubanks", "Kraus", "Okamoto", "Kazantzis", "Lipner", "Samstag", "Stiles",
    "Hill", "Gelso", "Norcross", "Wampold", "Horvath", "Bordin", "Lambert", "Castonguay",
    "Constantino", "Coutinho", "Ribeiro", "Sousa", "Gonçalves", "Müller", "Øster", "Nguyen",
    "Kowalski", "O'Brien", "García-López", "van der Berg",
)  # fmt: skip
_JOURNALS = (
    "Psychotherapy",
    "Journal of Clinical Psychology",
    "Psychotherapy Research",
    "Journal of Counseling Psychology",
    "Counselling and Psychotherapy Research",
    "Clinical Psychology Review",
)
_TYPES = {"article": ("JOUR", "Journal Article", "J", "article"),
          "review": ("JOUR", "Review", "J", "article"),
          "chapter": ("CHAP", "Book Chapter", "B", "incollection"),
          "conference": ("CONF", "Proceedings Paper", "S", "inproceedings")}  # fmt: skip
FORMATS = ("ris", "medline", "wos", "bibtex")
COLUMNS = ("native_id", "title", "abstract", "authors", "year", "journal", "volume", "issue",
           "pages", "doi", "pmid", "language", "publication_type", "keywords", "issn")  # fmt: skip


def _sentence(rng: random.Random, lo: int, hi: int) -> str:
    words = [rng.choice(_WORDS) for _ in range(rng.randint(lo, hi))]
    return " ".join(words).capitalize()


def records(n: int, seed: int = 0) -> pl.DataFrame:
    """``n`` synthetic canonical records; the same seed gives the same frame."""
    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    types = list(_TYPES)
    for i in range(n):
        n_auth = rng.randint(1, 6)
        authors = [
            f"{rng.choice(_SURNAMES)}, {rng.choice('ABCDEFGHJKLMNPRST')}. "
            f"{rng.choice('ABCDEFGHJKLMNPRST')}."
            for _ in range(n_auth)
        ]
        start = rng.randint(1, 900)
        year = rng.randint(1980, 2025)
        rows.append(
            {
                "native_id": f"SYN{seed:03d}{i:08d}",
                "title": _sentence(rng, 6, 16),
                "abstract": " ".join(_sentence(rng, 8, 20) + "." for _ in range(rng.randint(3, 8))),
                "authors": authors,
                "year": year,
                "journal": rng.choice(_JOURNALS),
                "volume": str(rng.randint(1, 70)),
                "issue": str(rng.randint(1, 12)),
                "pages": f"{start}-{start + rng.randint(5, 30)}",
                "doi": f"10.{rng.randint(1000, 9999)}/syn.{seed}.{i}",
                "pmid": str(10_000_000 + i),
                "language": "en",
                "publication_type": rng.choice(types),
                "keywords": [rng.choice(_WORDS) for _ in range(rng.randint(0, 6))],
                "issn": [f"{rng.randint(1000, 9999)}-{rng.randint(100, 999)}{rng.randint(0, 9)}"],
            }
        )
    schema = pl.Schema({name: schemas.RECORDS.columns[name] for name in COLUMNS})
    return pl.DataFrame(rows, schema=schema)


def _wrap(text: str, width: int, indent: str) -> str:
    """Break ``text`` into lines of at most ``width`` characters, continuation lines indented."""
    words, lines, line = text.split(" "), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    lines.append(line)
    return f"\n{indent}".join(lines)


def _ris(r: dict[str, Any]) -> Iterator[str]:
    yield f"TY  - {_TYPES[r['publication_type']][0]}"
    yield f"TI  - {r['title']}"
    yield from (f"AU  - {a}" for a in r["authors"])
    yield f"PY  - {r['year']}"
    yield f"T2  - {r['journal']}"
    yield f"VL  - {r['volume']}"
    yield f"IS  - {r['issue']}"
    start, _, end = r["pages"].partition("-")
    yield f"SP  - {start}"
    yield f"EP  - {end}"
    yield f"AB  - {r['abstract']}"
    yield from (f"KW  - {k}" for k in r["keywords"])
    yield from (f"SN  - {s}" for s in r["issn"])
    if r["doi"]:
        yield f"DO  - {r['doi']}"
    yield f"AN  - {r['native_id']}"
    yield "LA  - English"
    yield "ER  - "
    yield ""


def _medline(r: dict[str, Any]) -> Iterator[str]:
    yield f"PMID- {r['pmid']}"
    yield "OWN - NLM"
    yield from (f"IS  - {s} (Print)" for s in r["issn"])
    yield f"VI  - {r['volume']}"
    yield f"IP  - {r['issue']}"
    yield f"DP  - {r['year']} Mar"
    yield f"TI  - {_wrap(r['title'], 82, ' ' * 6)}"
    yield f"PG  - {r['pages']}"
    if r["doi"]:
        yield f"LID - {r['doi']} [doi]"
    yield f"AB  - {_wrap(r['abstract'], 82, ' ' * 6)}"
    for a in r["authors"]:
        last, _, first = a.partition(", ")
        yield f"FAU - {a}"
        yield f"AU  - {last} {first.replace('.', '').replace(' ', '')}"
    yield "LA  - eng"
    yield f"PT  - {_TYPES[r['publication_type']][1]}"
    yield f"JT  - {r['journal']}"
    yield from (f"OT  - {k}" for k in r["keywords"])
    if r["doi"]:
        yield f"AID - {r['doi']} [doi]"
    yield ""


def _wos(r: dict[str, Any]) -> Iterator[str]:
    yield f"PT {_TYPES[r['publication_type']][2]}"
    for tag in ("AU", "AF"):
        yield f"{tag} " + "\n   ".join(r["authors"])
    yield f"TI {_wrap(r['title'], 70, '   ')}"
    yield f"SO {r['journal'].upper()}"
    yield "LA English"
    yield f"DT {_TYPES[r['publication_type']][1]}"
    if r["keywords"]:
        yield f"DE {'; '.join(r['keywords'])}"
    yield f"AB {_wrap(r['abstract'], 70, '   ')}"
    yield from (f"SN {s}" for s in r["issn"])
    yield f"PY {r['year']}"
    yield f"VL {r['volume']}"
    yield f"IS {r['issue']}"
    start, _, end = r["pages"].partition("-")
    yield f"BP {start}"
    yield f"EP {end}"
    if r["doi"]:
        yield f"DI {r['doi']}"
    yield f"PM {r['pmid']}"
    yield f"UT WOS:{r['native_id']}"
    yield "ER"
    yield ""


def _bibtex(r: dict[str, Any]) -> Iterator[str]:
    yield f"@{_TYPES[r['publication_type']][3]}{{{r['native_id']},"
    yield f"  title = {{{r['title']}}},"
    yield f"  author = {{{' and '.join(r['authors'])}}},"
    yield f"  year = {{{r['year']}}},"
    yield f"  journal = {{{r['journal']}}},"
    yield f"  volume = {{{r['volume']}}},"
    yield f"  number = {{{r['issue']}}},"
    yield f"  pages = {{{r['pages'].replace('-', '--')}}},"
    if r["doi"]:
        yield f"  doi = {{{r['doi']}}},"
    if r["keywords"]:
        yield f"  keywords = {{{'; '.join(r['keywords'])}}},"
    yield f"  issn = {{{r['issn'][0]}}},"
    yield f"  abstract = {{{r['abstract']}}}"
    yield "}"
    yield ""


_RENDERERS: dict[str, Callable[[dict[str, Any]], Iterator[str]]] = {
    "ris": _ris,
    "medline": _medline,
    "wos": _wos,
    "bibtex": _bibtex,
}


def render(frame: pl.DataFrame, fmt: str) -> str:
    """The export text of ``frame`` (from :func:`records`) in ``fmt`` (one of :data:`FORMATS`)."""
    if fmt not in _RENDERERS:
        raise ValueError(f"cannot render {fmt!r} (known: {', '.join(FORMATS)})")
    lines: list[str] = []
    if fmt == "wos":
        lines += ["FN Clarivate Analytics Web of Science", "VR 1.0"]
    renderer = _RENDERERS[fmt]
    for row in frame.iter_rows(named=True):
        lines.extend(renderer(row))
    if fmt == "wos":
        lines.append("EF")
    return "\n".join(lines) + "\n"
