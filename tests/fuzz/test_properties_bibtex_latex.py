"""The one-pass LaTeX decode (io/bibtex_latex.py) gives exactly pylatexenc's text: every value
the pass decodes is compared with bibtexparser's LaTeX middleware on the same value, and
``decode_latex`` (pass, memo and fallback together) with the full decode."""

from __future__ import annotations

import re

from bibtexparser.middlewares import LatexDecodingMiddleware
from fuzzing import FUZZ
from hypothesis import given
from hypothesis import strategies as st

from scoping_review.io import bibtex_values

_REFERENCE = LatexDecodingMiddleware()
_BARE = re.compile(r"(?<!\\)([%&])")

# the pieces real exports hold, and the ones the pass must leave to the parse
_PIECES = [
    *"ab Zé -'`!?\n\t.,;:*[]()0{}_#$^~\\&%",
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
