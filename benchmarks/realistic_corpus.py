"""Export files shaped like real database exports, for the import benchmark.

The import figure used to come from one synthetic RIS layout (one line per field, short
abstracts, a few authors). Real exports differ in ways that cost a reader time and memory; this
generator reproduces the mix seen in the RIS/MEDLINE fixtures under ``../shared/fixtures/exports``
(synthesisr's Ovid and Scopus files, ASReview's Embase, Scopus, PsycINFO and Rayyan files,
PubMed's MEDLINE text):

- vendor layouts side by side: Scopus (``TI``/``T2``/``AU``/``AD``/``AB``/``N1``/``C7``/``DB``),
  Ovid (a ``1.`` line before ``TY``, ``T1``/``A1``/``Y1 - 2020//``/``N2``/``JF``/``JA``/``M1``,
  ``http://dx.doi.org/`` DOIs, a link line after ``ER``), Embase (``U2``/``U3``/``U4``/``LK``,
  affiliations in ``M1``, 20+ keywords) and EBSCO/Rayyan (``KW`` whose further values sit on
  untagged lines);
- abstracts of 120-380 words, structured (``BACKGROUND:`` ... ``CONCLUSIONS:``) in a third of
  records, wrapped over continuation lines (indented by six spaces or not indented at all) in
  about half, one long line in the rest; non-ASCII letters and typographic punctuation;
- author lists of 1-12 names, and 50-100 names in about 4 % of records (consortium papers);
- several ``AD``/``N1`` lines, long ``UR``/``LK`` links, repeated ``SN``.

MEDLINE (``.nbib``) and BibTeX renderings of the same records are written too (MEDLINE wraps at
80 columns with six-space continuation lines as PubMed does; BibTeX has multi-line abstracts in
braces, ``and``-joined long author lists and LaTeX escapes).

    python benchmarks/realistic_corpus.py OUT_DIR --records 100000 [--seed 11]

Deterministic: the same ``--records`` and ``--seed`` give the same bytes. Pure: :func:`records`
and :func:`render` build text; only :func:`main` writes files.
"""

from __future__ import annotations

import argparse
import random
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

FORMATS = ("ris", "medline", "bibtex")
SUFFIX = {"ris": "ris", "medline": "nbib", "bibtex": "bib"}
VENDORS = ("scopus", "ovid", "embase", "ebsco")

_WORDS = tuple(
    """patients outcome randomised controlled trial cohort effect risk treatment clinical analysis
    review systematic association disease chronic acute children adults women older care health
    mental depression anxiety stroke cancer heart kidney liver blood cognitive behavioural
    intervention programme community hospital primary secondary prevention screening diagnosis
    mortality survival quality life cost effectiveness evaluation model network data genetic
    protein cell immune response inflammation infection vaccine antibiotic resistance drug dose
    safety efficacy placebo multicentre national international regional follow-up baseline
    significant difference increased reduced associated compared versus among between during
    after before within participants sample measured reported observed estimated adjusted ratio
    confidence interval median mean years months weeks incidence prevalence exposure""".split()  # noqa: SIM905
)
_ACCENTED = ("naïve", "café", "São", "Zürich", "Malmö", "Québec", "Gdańsk", "Besançon", "Ørsted")
_SURNAMES = tuple(
    """Smith Jones Wang Li Zhang Chen Liu García Müller Schmidt Rossi Martin Bernard Dubois
    Kowalski Nowak Silva Santos Costa Kim Lee Park Nguyen Tanaka Suzuki Sato Khan Ali Ahmed
    Hansen Johansson Larsen Virtanen Novák Horváth Popescu Ivanov Petrov Cohen Levy Murphy Kelly
    Walsh O'Brien Fischer Weber Meyer Wagner Becker Hoffmann Schulz Koch Gonçalves Øster
    van·der·Berg García-López Jørgensen Çelik Yılmaz Şahin""".split()  # noqa: SIM905
)
_GIVEN = tuple(
    """Anna Ben Carla David Elena Farid Grace Hiro Ines Jonas Kaito Lena Mateo Nadia Omar Priya
    Quentin Rosa Sven Tomás Uma Victor Wei Ximena Yusuf Zoë Jean-Luc Åsa""".split()  # noqa: SIM905
)
_JOURNALS = (
    ("Journal of Clinical Psychology", "J Clin Psychol", "0021-9762"),
    ("The Lancet", "Lancet", "0140-6736"),
    ("New England Journal of Medicine", "N Engl J Med", "0028-4793"),
    ("BMJ Open", "BMJ Open", "2044-6055"),
    ("Stroke", "Stroke", "0039-2499"),
    ("Psychoneuroendocrinology", "Psychoneuroendocrinology", "0306-4530"),
    ("Forest Ecology and Management", "For Ecol Manage", "0378-1127"),
    ("Journal of Affective Disorders", "J Affect Disord", "0165-0327"),
    ("Endoscopic Ultrasound", "Endosc Ultrasound", "2226-7190"),
    ("Science of the Total Environment", "Sci Total Environ", "0048-9697"),
)
_SECTIONS = ("BACKGROUND", "OBJECTIVE", "METHODS", "RESULTS", "CONCLUSIONS")
_COUNTRIES = ("Sweden", "Germany", "United States", "Brazil", "Japan", "Australia", "Canada")


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(_WORDS) for _ in range(rng.randint(8, 24))]
    if rng.random() < 0.15:
        words.insert(rng.randrange(len(words)), rng.choice(_ACCENTED))
    if rng.random() < 0.2:
        words.insert(rng.randrange(len(words)), f"({rng.randint(1, 99)}.{rng.randint(0, 9)} %)")
    if rng.random() < 0.1:
        words.insert(rng.randrange(len(words)), "“self-reported”")
    return " ".join(words).capitalize() + "."


def _abstract(rng: random.Random) -> str:
    target = rng.randint(120, 380)
    if rng.random() < 0.33:  # structured abstract
        parts = []
        per = max(1, target // (len(_SECTIONS) * 16))
        for name in _SECTIONS:
            parts.append(f"{name}: " + " ".join(_sentence(rng) for _ in range(per)))
        return " ".join(parts)
    out: list[str] = []
    while sum(s.count(" ") + 1 for s in out) < target:
        out.append(_sentence(rng))
    text = " ".join(out)
    if rng.random() < 0.2:
        text += " (c) 2019 Elsevier Ltd. All rights reserved."
    return text


def _author(rng: random.Random) -> tuple[str, str]:
    surname = rng.choice(_SURNAMES).replace("·", " ")
    given = rng.choice(_GIVEN)
    middle = rng.choice("ABCDEFGHJKLMNPRST") if rng.random() < 0.5 else ""
    return surname, (f"{given} {middle}" if middle else given)


def records(n: int, seed: int = 11) -> list[dict[str, Any]]:
    """``n`` realistic records (plain dicts); the same seed gives the same records."""
    rng = random.Random(seed)
    out: list[dict[str, Any]] = []
    for i in range(n):
        n_authors = rng.randint(50, 100) if rng.random() < 0.04 else rng.randint(1, 12)
        journal, abbrev, issn = rng.choice(_JOURNALS)
        first = rng.randint(1, 3000)
        out.append(
            {
                "i": i,
                "vendor": VENDORS[rng.randrange(len(VENDORS))],
                "wrap": rng.choice(("indent", "none", "oneline", "oneline")),
                "title": " ".join(rng.choice(_WORDS) for _ in range(rng.randint(6, 22)))
                .capitalize()
                .replace(" versus ", ": versus "),
                "authors": [_author(rng) for _ in range(n_authors)],
                "affiliations": [
                    f"Department of {rng.choice(_WORDS).capitalize()}, University of "
                    f"{rng.choice(_SURNAMES).replace('·', ' ')}, {rng.choice(_COUNTRIES)}"
                    for _ in range(rng.randint(1, 4))
                ],
                "year": rng.randint(1985, 2025),
                "journal": journal,
                "abbrev": abbrev,
                "issn": issn,
                "volume": rng.randint(1, 600),
                "issue": rng.randint(1, 24),
                "start": first,
                "end": first + rng.randint(1, 25),
                "doi": f"10.{rng.randint(1000, 9999)}/j.x.{seed}.{i}"
                if rng.random() < 0.85
                else "",
                "pmid": str(20_000_000 + seed * 1_000_003 + i) if rng.random() < 0.7 else "",
                "abstract": _abstract(rng) if rng.random() < 0.93 else "",
                "keywords": [
                    " ".join(rng.choice(_WORDS) for _ in range(rng.randint(1, 3)))
                    for _ in range(rng.choice((0, 3, 5, 8, 12, 25)))
                ],
                "language": "English" if rng.random() < 0.9 else rng.choice(("German", "French")),
                "accession": f"L{rng.randint(10**8, 10**9 - 1)}",
            }
        )
    return out


# --- RIS ----------------------------------------------------------------------------------------


def _ris_long(tag: str, text: str, wrap: str) -> Iterator[str]:
    """A long value: one line, or wrapped over continuation lines (six spaces or none)."""
    if wrap == "oneline" or len(text) < 80:
        yield f"{tag}  - {text}"
        return
    lines = textwrap.wrap(text, 72, break_long_words=False, break_on_hyphens=False)
    yield f"{tag}  - {lines[0]}"
    pad = "      " if wrap == "indent" else ""
    for line in lines[1:]:
        yield pad + line


def _ris(r: dict[str, Any]) -> Iterator[str]:
    v = r["vendor"]
    authors = [f"{s}, {g}" if v != "embase" else f"{s} {g[0]}." for s, g in r["authors"]]
    pages = (str(r["start"]), str(r["end"]))
    if v == "scopus":
        yield "TY  - JOUR"
        yield f"TI  - {r['title']}"
        yield f"T2  - {r['journal']}"
        yield f"J2  - {r['abbrev']}"
        yield f"VL  - {r['volume']}"
        yield f"IS  - {r['issue']}"
        yield f"SP  - {pages[0]}"
        yield f"EP  - {pages[1]}"
        yield f"PY  - {r['year']}"
        if r["doi"]:
            yield f"DO  - {r['doi']}"
        yield f"SN  - {r['issn'].replace('-', '')} (ISSN)"
        yield from (f"AU  - {a}" for a in authors)
        yield from (f"AD  - {a}" for a in r["affiliations"])
        if r["abstract"]:
            yield from _ris_long("AB", r["abstract"], r["wrap"])
        yield from (f"KW  - {k}" for k in r["keywords"])
        yield "PB  - Elsevier Ltd"
        yield "N1  - Export Date: 18 November 2019"
        yield "M3  - Article"
        yield "DB  - Scopus"
        yield f"C7  - {r['start']}"
        yield f"LA  - {r['language']}"
        yield f"N1  - Correspondence Address: {authors[0]}; {r['affiliations'][0]}"
        yield (
            f"UR  - https://www.scopus.com/inward/record.uri?eid=2-s2.0-{r['accession'][1:]}"
            f"&doi={r['doi']}&partnerID=40&md5=0f{r['i']:030x}"
        )
        yield "ER  - "
    elif v == "ovid":
        yield f"{r['i'] % 500 + 1}."
        yield "TY  - JOUR"
        yield f"ID  - {r['accession'][1:]}"
        if r["doi"]:
            yield f"DO  - http://dx.doi.org/{r['doi']}"
        yield f"T1  - {r['title']}."
        yield from (f"A1  - {a}" for a in authors)
        yield f"Y1  - {r['year']}//"
        if r["abstract"]:
            yield from _ris_long("N2", r["abstract"], r["wrap"])
        yield from (f"KW  - {k}" for k in r["keywords"])
        yield f"JF  - {r['journal']}"
        yield f"JA  - {r['abbrev']}"
        yield f"VL  - {r['volume']}"
        yield f"IS  - {r['issue']}"
        yield f"SP  - {pages[0]}"
        yield f"EP  - {pages[1]}"
        yield "CY  - United States"
        yield f"SN  - {r['issn']}"
        yield f"M1  - {r['affiliations'][0]}"
        yield f"UR  - http://ovidsp.ovid.com/ovidweb.cgi?T=JS&PAGE=reference&D=psyc16&AN={r['i']}"
        yield "ER  -"
        yield ""
        yield (
            "Link to the Ovid Full Text or citation: http://ovidsp.ovid.com/ovidweb.cgi?T=JS&CSC=Y"
            f"&NEWS=N&PAGE=fulltext&D=caba6&AN={r['accession'][1:]}"
        )
    elif v == "embase":
        yield "TY  - JOUR"
        yield "M3  - Article"
        yield f"Y1  - {r['year']}"
        yield f"VL  - {r['volume']}"
        yield f"IS  - {r['issue']}"
        yield f"SP  - {pages[0]}"
        yield f"EP  - {pages[1]}"
        yield f"SN  - {r['issn'].replace('-', '')}"
        yield f"SN  - {r['issn'].replace('-', '')}"
        yield f"JF  - {r['journal']}"
        yield f"JO  - {r['abbrev']}"
        yield (
            "UR  - http://www.embase.com/search/results?subaction=viewrecord&from=export"
            f"&id={r['accession']}"
        )
        yield f"U2  - {r['accession']}"
        yield "DB  - Embase"
        yield f"U3  - {r['year']}-08-29"
        yield f"U4  - {r['year']}-09-04"
        if r["doi"]:
            yield f"L2  - http://dx.doi.org/{r['doi']}"
            yield f"DO  - {r['doi']}"
            yield (
                f"LK  - http://sfx.library.uu.nl/utrecht?sid=EMBASE&issn={r['issn']}"
                f"&id=doi:{r['doi'].replace('/', '%2F')}&atitle="
                + r["title"][:60].replace(" ", "+")
                + f"&volume={r['volume']}&issue={r['issue']}&spage={pages[0]}"
            )
        yield from (f"A1  - {a}" for a in authors)
        yield f"M1  - ({'; '.join(authors[:3])}) {r['affiliations'][0]}"
        yield from (f"AD  - {a}" for a in r["affiliations"])
        yield f"T1  - {r['title']}"
        yield f"LA  - {r['language']}"
        yield from (f"KW  - {k}" for k in r["keywords"])
        if r["abstract"]:
            yield from _ris_long("N2", r["abstract"], r["wrap"])
        yield "ER  - "
    else:  # ebsco / rayyan: keywords as untagged lines after the first
        yield "TY  - JOUR"
        yield f"AN  - {r['accession']}"
        yield f"IS  - {r['issue']}"
        if r["keywords"]:
            yield f"KW  - {r['keywords'][0]}"
            yield from r["keywords"][1:]
        yield "N1  - Accession Number: " + r["accession"] + ". Language: " + r["language"] + "."
        yield f"PY  - {r['year']}"
        yield f"SN  - {r['issn']}"
        yield f"SP  - {pages[0]}-{pages[1]}"
        yield f"ST  - {r['title']}"
        yield f"T2  - {r['journal']}"
        yield f"TI  - {r['title']}"
        yield f"VL  - {r['volume']}"
        yield from (f"AU  - {a}" for a in authors)
        if r["doi"]:
            yield f"DO  - {r['doi']}"
        if r["abstract"]:
            yield from _ris_long("AB", r["abstract"], r["wrap"])
        yield f"UR  - https://search.ebscohost.com/login.aspx?direct=true&db=psyh&AN={r['i']}"
        yield "ER  - "
    yield ""


# --- MEDLINE (.nbib) ----------------------------------------------------------------------------


def _nbib(tag: str, text: str) -> Iterator[str]:
    lines = textwrap.wrap(text, 74, break_long_words=False, break_on_hyphens=False) or [""]
    yield f"{tag:<4}- {lines[0]}"
    yield from ("      " + line for line in lines[1:])


def _medline(r: dict[str, Any]) -> Iterator[str]:
    yield f"PMID- {r['pmid'] or 30_000_000 + r['i']}"
    yield "OWN - NLM"
    yield "STAT- MEDLINE"
    yield f"IS  - {r['issn']} (Electronic)"
    yield f"VI  - {r['volume']}"
    yield f"IP  - {r['issue']}"
    yield f"DP  - {r['year']} Nov 15"
    yield from _nbib("TI", r["title"] + ".")
    yield f"PG  - {r['start']}-{r['end']}"
    if r["doi"]:
        yield f"LID - {r['doi']} [doi]"
    if r["abstract"]:
        yield from _nbib("AB", r["abstract"])
    yield "CI  - Copyright (c) 2019 Elsevier B.V. All rights reserved."
    for k, (surname, given) in enumerate(r["authors"]):
        yield f"FAU - {surname}, {given}"
        initials = "".join(p[0] for p in given.replace("-", " ").split())
        yield f"AU  - {surname} {initials}"
        if k < len(r["affiliations"]):
            yield from _nbib("AD", r["affiliations"][k])
    yield f"LA  - {'eng' if r['language'] == 'English' else r['language'][:3].lower()}"
    yield "PT  - Journal Article"
    yield f"DEP - {r['year']}0425"
    yield "PL  - Netherlands"
    yield f"TA  - {r['abbrev']}"
    yield f"JT  - {r['journal']}"
    yield from (f"OT  - {k}" for k in r["keywords"])
    yield f"EDAT- {r['year']}/04/27 06:00"
    yield f"AID - {r['doi'] or 'S0048-9697(17)30912-9'} [{'doi' if r['doi'] else 'pii'}]"
    yield "PST - ppublish"
    yield (f"SO  - {r['abbrev']}. {r['year']} Nov 15;{r['volume']}:{r['start']}-{r['end']}.")
    yield ""


# --- BibTeX -------------------------------------------------------------------------------------

_LATEX = {"ä": '{\\"a}', "ö": '{\\"o}', "ü": '{\\"u}', "é": "{\\'e}", "ç": "{\\c{c}}"}


def _tex(text: str) -> str:
    out = text.replace("&", "\\&").replace("%", "\\%")
    for char, macro in _LATEX.items():
        out = out.replace(char, macro)
    return out


def _bibtex(r: dict[str, Any]) -> Iterator[str]:
    key = f"{r['authors'][0][0].split()[0].replace(chr(39), '')}{r['year']}_{r['i']}"
    yield f"@article{{{key},"
    yield "  author = {" + " and ".join(f"{_tex(s)}, {_tex(g)}" for s, g in r["authors"]) + "},"
    yield f"  title = {{{{{_tex(r['title'])}}}}},"
    yield f"  journal = {{{r['journal']}}},"
    yield f"  year = {{{r['year']}}},"
    yield f"  volume = {{{r['volume']}}},"
    yield f"  number = {{{r['issue']}}},"
    yield f"  pages = {{{r['start']}--{r['end']}}},"
    if r["doi"]:
        yield f"  doi = {{{r['doi']}}},"
    if r["abstract"]:
        lines = textwrap.wrap(_tex(r["abstract"]), 76, break_long_words=False)
        yield "  abstract = {" + "\n    ".join(lines) + "},"
    if r["keywords"]:
        yield "  keywords = {" + "; ".join(r["keywords"]) + "},"
    yield f"  issn = {{{r['issn']}}},"
    yield "  month = nov,"
    yield "}"
    yield ""


_RENDER = {"ris": _ris, "medline": _medline, "bibtex": _bibtex}


def render(recs: list[dict[str, Any]], fmt: str) -> str:
    """``recs`` as the text of one export in ``fmt`` (ris, medline or bibtex)."""
    lines = [line for r in recs for line in _RENDER[fmt](r)]
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--records", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--formats", default=",".join(FORMATS))
    args = ap.parse_args()
    recs = records(args.records, args.seed)
    args.folder.mkdir(parents=True, exist_ok=True)
    for fmt in args.formats.split(","):
        path = args.folder / f"realistic.{SUFFIX[fmt]}"
        path.write_text(render(recs, fmt), encoding="utf-8")
        print(f"{path}: {args.records} records, {path.stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
