"""The one-pass LaTeX decode (io/bibtex_latex.py) gives exactly pylatexenc's text: every value
the pass decodes is compared with bibtexparser's LaTeX middleware on the same value, and
``decode_latex`` (pass, memo and fallback together) with the full decode."""

from __future__ import annotations

import re

from bibtexparser.middlewares import LatexDecodingMiddleware
from fuzzing import FUZZ
from hypothesis import given
from hypothesis import strategies as st

from helpers import require_shared
from scoping_review.io import bibtex, bibtex_values

_REFERENCE = LatexDecodingMiddleware()
_BARE = re.compile(r"(?<!\\)([%&])")

# the pieces real exports hold, and the ones the pass must leave to the parse
_PIECES = [
    *"ab Zéß\u0301² -'`!?\n\t.,;:*[]()0{}_#$^~\\&%",
    '\\"u', '{\\"u}', '\\"{u}', "\\'e", "{\\'E}", "\\`a", "\\^o", "\\~n", "\\=a", "\\.z",
    "{\\c{c}}", "\\c c", "\\c{C}", "\\v{s}", "\\H{o}", "\\k{a}", "\\r{a}", "\\u{g}", "\\t{oo}",
    "{\\o}", "\\o", "\\O ", "\\ss{}", "\\aa", "{\\AE}", "\\l", "\\i", "\\'\\i", "\\\"{\\i}",
    "\\&", "\\%", "\\_", "\\#", "\\$", "--", "---", "``", "''", "!`", "?`",
    "{{", "}}", "$\\alpha$", "$x^2$", "\\textbf{b}", "\\emph{Title}", "\\mbox{x}", "\\foo",
    "\\url{http://x}", "\\\\", "~", "\\ ", "\\,", "\\title{a}", "\\mathbf{x}", "\\input{z}",
    "\\\"", "\\'{}", "\\\"{ab}", "\\o{x}", "\\ss b", "\\o\n",
]  # fmt: skip
_VALUES = st.lists(st.sampled_from(_PIECES), max_size=25).map("".join)


def _full(value: str) -> str:
    """Today's decode, all by pylatexenc's parse: bare ``%`` and ``&`` are literal; a value
    the parse refuses is kept."""
    escaped = _BARE.sub(r"\\\1", value)
    text, error = _REFERENCE._transform_python_value_string(escaped)
    return escaped if error else text


@FUZZ
@given(_VALUES)
def test_one_pass_decode_is_pylatexencs_text(value: str) -> None:
    escaped = _BARE.sub(r"\\\1", value)
    fast = bibtex_values._fast().decode(escaped)
    if fast is not None:
        assert fast == _REFERENCE._transform_python_value_string(escaped)[0]


@FUZZ
@given(_VALUES)
def test_decode_latex_is_the_full_decode(value: str) -> None:
    assert bibtex_values.decode_latex(value) == _full(value)
    assert bibtex_values.decode_latex(value) == _full(value)  # the memoised answer too


def test_the_common_markup_takes_the_one_pass() -> None:
    """The markup of real exports is decoded without a parse, to the same text."""
    fast = bibtex_values._fast()
    for value, text in [
        ('Z{\\"u}rich -- {{Title}} 50\\% \\& more', "Zürich – Title 50% & more"),
        ("Besan{\\c{c}}on, Caf\\'e, {\\O}rsted, Stra\\ss{}e", "Besançon, Café, Ørsted, Straße"),
        ("M\\\"{u}ller and Gda\\'{n}sk", "Müller and Gdańsk"),
    ]:
        assert fast.decode(value) == text
        assert _full(value) == text
    for uncovered in ["$\\alpha$", "a~b", "\\'\\i", "\\o b", "\\foo{x}", "{a"]:
        assert fast.decode(uncovered) is None


def _raw_values(text: str) -> list[str]:
    """Every LaTeX-decoded field value of a BibTeX text, before decoding (as ``bibtex.parse``
    reads them)."""
    starts = list(bibtex._BLOCK.finditer(text))
    out: list[str] = []
    for i, match in enumerate(starts):
        end = starts[i + 1].start() if i + 1 < len(starts) else len(text)
        close = "}" if match.group(2) == "{" else ")"
        entry = bibtex._parse_block(text, match.end(), end, match.group(1), close, 1)
        out += [
            bibtex._resolve(parts, {})
            for name, parts in entry.fields
            if name not in bibtex_values.VERBATIM
        ]
    return out


def test_real_exports_decode_to_the_full_decodes_text() -> None:
    """Every field value of every BibTeX export in the shared fixtures (Zotero, JabRef, Scopus,
    Web of Science, DBLP, Crossref...) decodes to the full decode's text, and most values with
    markup take the one pass."""
    files = sorted(require_shared("fixtures").rglob("*.bib"))
    assert files
    fast = bibtex_values._fast()
    n_markup = n_fast = 0
    for path in files:
        for value in _raw_values(path.read_text(encoding="utf-8", errors="replace")):
            assert bibtex_values.decode_latex(value) == _full(value), (path.name, value)
            if bibtex_values._MARKUP.search(value):
                n_markup += 1
                n_fast += fast.decode(_BARE.sub(r"\\\1", value)) is not None
    assert n_markup > 100
    assert n_fast > n_markup // 2
