"""Seeded RIS exports laid out as real database exports are, for import benchmarks and tests.

The RIS of :mod:`synthetic` is one tidy layout (one line per field, a handful of tags). Real
exports are not: this module writes records in four layouts copied from the real files under
``../shared/fixtures/exports`` (tag order, tag mix and line shapes):

- **EBSCO** (``synthesisr/ASP_ris_example.ris``): ``AU`` authors, ``T1``/``JO``/``JF``/``Y1``,
  an abstract hard-wrapped over several lines (untagged continuation lines) and a second ``AB``
  with the copyright line, ``N1`` accession notes, ``DP``/``DB``;
- **Ovid** (``synthesisr/Ovid_ris_example.ris``, ``asreview/ovid_psycinfo.ris``): a numbered
  ``1.`` line before ``TY``, ``A1`` authors, ``N2`` abstracts in structured paragraphs (each
  paragraph its own untagged line), ``M1``/``AD`` affiliations and a trailing "Link to the Ovid
  Full Text" line after the record;
- **EndNote from PubMed** (``asreview/pubmed_endnote.txt``): ``AU``, ``AD`` affiliations and
  ``KW`` MeSH terms one per untagged line after a single tag, ``N1`` notes over many lines;
- **Scopus** (``asreview/scopus.ris``): ``AU`` and ``AD`` lists, a long ``KW`` list, several
  ``N1`` lines (export date, correspondence, funding) and, on some records, an ``N1 -
  References:`` field of 10 to 60 untagged lines.

Author lists are long-tailed: most records have 1 to 8 authors, about 5 % have 20 to 100
(consortia, large trials). Text is drawn from a seeded vocabulary with some non-ASCII letters,
so equal seeds give equal bytes. ``crlf=True`` writes CRLF line ends (as Windows exports do).

    python tests/support/realistic_ris.py OUT.ris --records 100000 [--seed 19] [--crlf]
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Callable
from pathlib import Path

_WORD_TEXT = """the of and in to with for a on by patients study effect effects was were analysis
    clinical treatment outcome outcomes risk group groups trial randomised controlled cohort
    review systematic meta-analysis children adults women men older care health primary
    intervention interventions association associated increase increased reduced reduction
    compared between among during after before within across data results methods background
    conclusions objective participants model models using based level levels high low mean
    significant significantly years months weeks follow-up baseline quality life mortality
    hospital community population prevalence incidence factors exposure disease chronic acute
    therapy therapeutic psychotherapy alliance depression anxiety stress trauma cognitive
    behavioural emotional social support training practice evidence qualitative interviews
    themes survey questionnaire scale validity reliability measurement sample samples
    field habitat species soil forest water climate temperature growth biomass rodent crop
    agricultural landscape margin abundance density seasonal spatial temporal network
    température über médecine naïve coöperation señal Ångström façade"""
_WORDS = tuple(_WORD_TEXT.split())
_SURNAME_TEXT = """Smith Johnson Williams Brown Jones García Miller Davis Rodríguez-Pastor Martínez
    Hernández López Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Pérez
    Thompson White Harris Sánchez Clark Ramírez Lewis Robinson Walker Young Allen King Wright
    Scott Torres Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell
    Carter Roberts Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann
    Rossi Russo Ferrari Esposito Bianchi Romano Colombo Ricci Marino Greco Dubois Durand
    Lefèvre Moreau Laurent Simon Michel Leroy Roux David Bertrand Morel Fournier Girard
    Wang Li Zhang Liu Chen Yang Huang Zhao Wu Zhou Xu Sun Ma Zhu Hu Guo He Lin Luo Gao
    Sato Suzuki Takahashi Tanaka Watanabe Ito Yamamoto Nakamura Kobayashi Kato Kim Park Choi
    Jung Kang Cho Yoon Jang Lim Han Nowak Kowalski Wiśniewski Wójcik Kowalczyk Kamiński
    Lewandowski Zieliński Szymański Woźniak Dąbrowski Kozłowski O'Brien O'Connor McCarthy
    Murphy Kelly Ryan Walsh Byrne Andersson Johansson Karlsson Nilsson Eriksson Larsson
    Olsson Persson Svensson Gustafsson Holmström Nordström Øster Jensen Nielsen Hansen
    Pedersen Andersen Christensen Larsen Sørensen Rasmussen van-der-Berg de-Vries Bakker
    Janssen Visser Smit Meijer de-Boer Mulder de-Groot Bos Vos Peters Hendriks"""
_SURNAMES = tuple(_SURNAME_TEXT.split())
_GIVEN_TEXT = """Ruth Juan Xavier François Anna Helena Anders Maria José Carlos Wei Yan Hiroshi Yuki
    Min-jun Seo-yeon Olga Piotr Agnieszka Lars Ingrid Søren Mette Pieter Sanne Liam Aoife
    Mohamad Noor Jacqualyn Yeong Carrie Esteban Erin Colleen Oliver Mona Manfred"""
_GIVEN = tuple(_GIVEN_TEXT.split())
_JOURNALS = tuple(
    """Agriculture, Ecosystems & Environment|Psychoneuroendocrinology|Open Journal of Forestry
    |Clinical Pharmacokinetics|Journal of Clinical Psychology|Psychotherapy Research|The Lancet
    |BMJ Open|PLoS One|Environmental Evidence|Journal of Affective Disorders|Endoscopic
    Ultrasound|Frontiers in Psychology|Nature Communications|Social Science & Medicine
    |International Journal of Nursing Studies|Journal of Applied Ecology|Ecology and Evolution
    |BMC Public Health|Cochrane Database of Systematic Reviews""".replace("\n    ", " ").split("|")
)
_JOURNALS = tuple(j.strip() for j in _JOURNALS)
_PLACES = tuple(
    """Salt Lake City, UT, United States|Alnarp, Sweden|Essen, Germany|Eschborn, Germany
    |Palencia, Spain|Aberdeen, United Kingdom|Tsukuba, Japan|Kuala Terengganu, Malaysia
    |Edmonton, AB, Canada|Utrecht, Netherlands|Melbourne, VIC, Australia|Beijing, China
    |Seoul, South Korea|Warsaw, Poland|Copenhagen, Denmark|Boston, MA, United States"""
    .replace("\n    ", "").split("|")
)  # fmt: skip
_PARAGRAPHS = ("BACKGROUND", "OBJECTIVE", "METHODS", "RESULTS", "CONCLUSIONS")
_TYPES = (("JOUR", "Article"), ("JOUR", "Review"), ("CHAP", "Book Chapter"), ("CONF", "Paper"))
LAYOUTS = ("ebsco", "ovid", "endnote", "scopus")
_WEIGHTS = (30, 25, 20, 25)


class _Gen:
    """Random parts of a record, from one seeded generator."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def words(self, lo: int, hi: int) -> str:
        rng = self.rng
        return " ".join(rng.choices(_WORDS, k=rng.randint(lo, hi)))

    def sentence(self, lo: int = 8, hi: int = 30) -> str:
        return self.words(lo, hi).capitalize() + "."

    def text(self, sentences: int) -> str:
        return " ".join(self.sentence() for _ in range(sentences))

    def n_authors(self) -> int:
        rng = self.rng
        if rng.random() < 0.05:  # consortia and large trials
            return rng.randint(20, 100)
        return min(1 + int(rng.expovariate(0.35)), 19)

    def author(self, full: bool = True) -> str:
        rng = self.rng
        surname = rng.choice(_SURNAMES).replace("-", " ", 1 if rng.random() < 0.3 else 0)
        given = rng.choice(_GIVEN)
        if full:
            return f"{surname}, {given}" + (
                f" {rng.choice('ABCDEHJKLMS')}." if rng.random() < 0.4 else ""
            )
        return f"{surname}, {given[0]}." + (f"{rng.choice('ABCDEHJKLMS')}." if rng.random() < 0.5 else "")  # fmt: skip

    def wrapped(self, text: str, width: int) -> list[str]:
        """``text`` hard-wrapped at about ``width`` characters (words never split)."""
        lines: list[str] = []
        line: list[str] = []
        size = 0
        for word in text.split(" "):
            if size + len(word) > width and line:
                lines.append(" ".join(line))
                line, size = [], 0
            line.append(word)
            size += len(word) + 1
        if line:
            lines.append(" ".join(line))
        return lines

    def pages(self) -> tuple[str, str]:
        start = self.rng.randint(1, 2000)
        return str(start), str(start + self.rng.randint(3, 30))

    def doi(self, i: int) -> str:
        return f"10.{self.rng.randint(1000, 9999)}/{self.rng.choice('abcdefgj')}.{2000 + i % 25}.{i:07d}"


def _tag(tag: str, value: str) -> str:
    return f"{tag}  - {value}" if value else f"{tag}  -"


def _ebsco(g: _Gen, i: int) -> list[str]:
    rng = g.rng
    ty, m3 = rng.choice(_TYPES)
    journal = rng.choice(_JOURNALS)
    year = 1990 + i % 35
    sp, ep = g.pages()
    out = [_tag("TY", ty)]
    out += [_tag("AU", g.author()) for _ in range(g.n_authors())]
    out += [
        _tag("T1", g.sentence(6, 20)),
        _tag("JO", journal),
        _tag("JF", journal),
        _tag("Y1", f"{year}/{rng.randint(1, 12):02d}//"),
        _tag("VL", str(rng.randint(1, 300))),
        _tag("IS", str(rng.randint(1, 12))),
        _tag("M3", m3),
        _tag("SP", sp),
        _tag("EP", ep),
        _tag("SN", f"{rng.randint(0, 99999999):08d}"),
    ]
    if rng.random() < 0.9:
        abstract = g.wrapped(g.text(rng.randint(4, 12)) + " [ABSTRACT FROM AUTHOR]", 250)
        out += [_tag("AB", abstract[0]), *abstract[1:]]
        out.append(_tag("AB", f"Copyright of {journal} is the property of its publisher."))
    out += [_tag("KW", g.words(1, 4)) for _ in range(rng.randint(0, 8))]
    out += [
        _tag("N1", f"Accession Number: {110000000 + i}; Source Info: {year}, Vol. 231, p206"),
        _tag("DO", g.doi(i)),
        _tag("UR", f"https://search.ebscohost.com/login.aspx?direct=true&db=aph&AN={110000000 + i}&site=ehost-live"),
        _tag("DP", "EBSCOhost"),
        _tag("DB", "aph"),
        _tag("ER", ""),
        "",
    ]  # fmt: skip
    return out


def _ovid(g: _Gen, i: int) -> list[str]:
    rng = g.rng
    ty, _m3 = rng.choice(_TYPES)
    journal = rng.choice(_JOURNALS)
    sp, ep = g.pages()
    out = [f"{i + 1}.", _tag("TY", ty), _tag("ID", str(20200000000 + i))]
    if rng.random() < 0.8:
        out.append(_tag("DO", "http://dx.doi.org/" + g.doi(i)))
    out.append(_tag("T1", g.sentence(6, 22)))
    out += [_tag("A1", g.author(full=False)) for _ in range(g.n_authors())]
    out.append(_tag("Y1", f"{1990 + i % 35}//"))
    if rng.random() < 0.92:
        heads = _PARAGRAPHS if rng.random() < 0.6 else ("",)
        paragraphs = [(f"{h}: " if h else "") + g.text(rng.randint(1, 4)) for h in heads]
        out += [_tag("N2", paragraphs[0]), *paragraphs[1:]]
    out += [_tag("KW", g.words(1, 3)) for _ in range(rng.randint(3, 15))]
    out += [
        _tag("JF", journal),
        _tag("JA", journal),
        _tag("VL", str(rng.randint(1, 300))),
        _tag("IS", str(rng.randint(1, 12))),
        _tag("SP", sp),
        _tag("EP", ep),
        _tag("CY", "United States"),
        _tag("SN", f"{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}"),
        _tag("AD", rng.choice(_PLACES)),
        _tag("M1", f"Department of {g.words(1, 3).title()}, University, {rng.choice(_PLACES)}."),
        _tag("UR", f"https://ovidsp.ovid.com/ovidweb.cgi?T=JS&PAGE=reference&D=caba6&AN={i}"),
        _tag("ER", ""),
        "",
        f"Link to the Ovid Full Text or citation: http://ovidsp.ovid.com/ovidweb.cgi?T=JS&CSC=Y&NEWS=N&PAGE=fulltext&D=caba6&AN={i}",
        "",
    ]  # fmt: skip
    return out


def _endnote(g: _Gen, i: int) -> list[str]:
    rng = g.rng
    journal = rng.choice(_JOURNALS)
    sp, _ep = g.pages()
    title = g.sentence(6, 20)
    out = [_tag("TY", "JOUR")]
    if rng.random() < 0.9:
        out.append(_tag("AB", g.text(rng.randint(4, 12))))
    n_aff = rng.randint(1, 6)
    affiliations = [f"{g.words(2, 5).title()}, {rng.choice(_PLACES)}." for _ in range(n_aff)]
    out += [_tag("AD", affiliations[0]), *affiliations[1:]]
    out.append(_tag("AN", str(21000000 + i)))
    authors = [g.author(full=False) for _ in range(g.n_authors())]
    out += [_tag("AU", a) for a in authors]
    out += [
        _tag("DA", rng.choice(("Jan", "Feb", "Jun", "Oct", "Dec"))),
        _tag("DO", g.doi(i)),
        _tag("DP", "NLM"),
        _tag("ET", f"{1990 + i % 35}/05/11"),
        _tag("IS", str(rng.randint(1, 12))),
    ]
    mesh = [g.words(1, 3).capitalize() + "/*pharmacology" for _ in range(rng.randint(2, 14))]
    out += [_tag("KW", mesh[0]), *mesh[1:]]
    out.append(_tag("LA", "eng"))
    notes = [f"{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}", *authors[:8]]
    notes += ["Journal Article", rng.choice(("Review", "Randomized Controlled Trial")), journal]
    out += [_tag("N1", notes[0]), *notes[1:]]
    out += [
        _tag("PY", str(1990 + i % 35)),
        _tag("SN", f"{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}"),
        _tag("SP", f"{sp}-{rng.randint(1, 99)}"),
        _tag("ST", title),
        _tag("T2", journal),
        _tag("TI", title),
        _tag("VL", str(rng.randint(1, 300))),
        _tag("ID", str(i + 1)),
        _tag("ER", ""),
        "",
    ]
    return out


def _scopus(g: _Gen, i: int) -> list[str]:
    rng = g.rng
    ty, m3 = rng.choice(_TYPES)
    journal = rng.choice(_JOURNALS)
    sp, ep = g.pages()
    n_authors = g.n_authors()
    out = [
        _tag("TY", ty),
        _tag("TI", g.sentence(6, 22)),
        _tag("T2", journal),
        _tag("J2", journal[:20]),
        _tag("VL", str(rng.randint(1, 300))),
        _tag("IS", str(rng.randint(1, 12))),
        _tag("SP", sp),
        _tag("EP", ep),
        _tag("PY", str(1990 + i % 35)),
        _tag("DO", g.doi(i)),
        _tag("SN", f"{rng.randint(0, 99999999):08d} (ISSN)"),
    ]
    out += [_tag("AU", g.author(full=False)) for _ in range(n_authors)]
    out += [
        _tag("AD", f"{g.words(2, 5).title()}, {rng.choice(_PLACES)}")
        for _ in range(min(n_authors, rng.randint(1, 6)))
    ]
    if rng.random() < 0.93:
        out.append(_tag("AB", g.text(rng.randint(4, 12)) + " © 2020 Elsevier Ltd"))
    out += [_tag("KW", g.words(1, 3).capitalize()) for _ in range(rng.randint(3, 12))]
    out += [
        _tag("PB", "Elsevier Ltd"),
        _tag("N1", "Export Date: 18 November 2019"),
        _tag("M3", m3),
        _tag("DB", "Scopus"),
        _tag("C7", str(100000 + i)),
        _tag("LA", "English"),
        _tag("N1", f"Correspondence Address: {g.author(full=False)}; {g.words(3, 8).title()}"),
    ]
    if rng.random() < 0.5:
        out.append(
            _tag("N1", f"Funding details: {g.words(3, 8).title()}, {rng.randint(1, 999999)}")
        )
    if rng.random() < 0.25:  # the cited references, one per untagged line
        refs = [
            f"{g.author(full=False)}, {g.author(full=False)}, {g.sentence(5, 15)} "
            f"({1950 + rng.randint(0, 70)}) {rng.choice(_JOURNALS)}, {rng.randint(1, 99)}, "
            f"pp. {rng.randint(1, 900)}-{rng.randint(901, 999)}"
            for _ in range(rng.randint(10, 60))
        ]
        out += [_tag("N1", "References: " + refs[0]), *refs[1:]]
    out += [
        _tag("UR", f"https://www.scopus.com/inward/record.uri?eid=2-s2.0-{85000000000 + i}"),
        _tag("ER", ""),
        "",
        "",
    ]  # fmt: skip
    return out


_LAYOUT: dict[str, Callable[[_Gen, int], list[str]]] = {
    "ebsco": _ebsco,
    "ovid": _ovid,
    "endnote": _endnote,
    "scopus": _scopus,
}


def render(n: int, seed: int = 19, *, crlf: bool = False) -> str:
    """The text of an ``n``-record RIS export mixing the four layouts (same seed, same text)."""
    g = _Gen(seed)
    layouts = g.rng.choices(LAYOUTS, weights=_WEIGHTS, k=n)
    lines: list[str] = []
    for i, layout in enumerate(layouts):
        lines += _LAYOUT[layout](g, i)
    text = "\n".join(lines) + "\n"
    return text.replace("\n", "\r\n") if crlf else text


def write(path: str | Path, n: int, seed: int = 19, *, crlf: bool = False) -> Path:
    """Write :func:`render`'s text to ``path`` as UTF-8; returns the path."""
    out = Path(path)
    out.write_bytes(render(n, seed, crlf=crlf).encode("utf-8"))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out", help="the RIS file to write")
    ap.add_argument("--records", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=19)
    ap.add_argument("--crlf", action="store_true", help="CRLF line ends")
    args = ap.parse_args()
    path = write(args.out, args.records, args.seed, crlf=args.crlf)
    print(f"{path}: {args.records} records, {path.stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
