"""BibTeX field values: pylatexenc's LaTeX decoding (bibtexparser's own LaTeX middleware, made
faster; see :class:`_FastLatexDecoding`) and bibtexparser v2's name splitting, applied one value
at a time by the splitter in :mod:`.bibtex`."""

from __future__ import annotations

import re
from functools import cache, lru_cache

from bibtexparser import middlewares as m
from bibtexparser.middlewares.names import (
    InvalidNameError,
    parse_single_name_into_parts,
    split_multiple_persons_names,
)
from pylatexenc import latexwalker

from .bibtex_latex import FastLatex, ligatures

# what needs pylatexenc's parse (a LaTeX parse costs ~0.4 ms per value): macros, groups, math,
# ``~`` and the ``&`` and ``%`` specials. Without these, all it changes are the ligatures below.
_MARKUP = re.compile(r"[\\{}$~^_&%]")
# the LaTeX walker's macro database, built once: without it pylatexenc builds its default
# database anew for every value it parses
_WALKER_CONTEXT = latexwalker.get_default_latex_context_db()


class _FastLatexDecoding(m.LatexDecodingMiddleware):
    """bibtexparser's LaTeX decoding with the same result (a property test compares them),
    faster: values without markup only have their ligatures replaced (``220--234``, the common
    case, is not parsed), and the walker's database is built once."""

    def _transform_python_value_string(self, python_string: str) -> tuple[str, str]:
        if not _MARKUP.search(python_string):
            return ligatures(python_string), ""
        try:
            text: str = self._decoder.latex_to_text(python_string, latex_context=_WALKER_CONTEXT)
        except Exception as err:  # as bibtexparser does: the value is kept, the error reported
            return python_string, str(err)
        return text, ""


_DECODER = _FastLatexDecoding()

# fields whose values are identifiers or links: never LaTeX-decoded
VERBATIM = frozenset({"url", "doi", "file", "eprint", "pdf", "link", "urldate", "isbn", "issn"})
NAME_FIELDS = frozenset({"author", "editor", "translator"})
UNPARSED = "@unparsed"  # the tag of text inside an entry that is no field (no field name has @)
_ESCAPED = re.compile(r"\\([_%&#$])")
_BARE_SPECIAL = re.compile(r"(?<!\\)([%&])")


def _full(value: str) -> str | None:
    """pylatexenc's parse of a whole value (bibtexparser's middleware): its text, or ``None``
    when the parse fails."""
    text, error = _DECODER._transform_python_value_string(value)
    return None if error else text


@cache
def _fast() -> FastLatex:
    """The one-pass decoder, built once on first use from the databases pylatexenc parses with."""
    return FastLatex(_full, _WALKER_CONTEXT, _DECODER._decoder.latex_context)


def _decode(value: str) -> str:
    if not _MARKUP.search(value):
        return ligatures(value)
    if "%" in value or "&" in value:
        value = _BARE_SPECIAL.sub(r"\\\1", value)
    text = _fast().decode(value)
    if text is None:  # markup the one pass does not cover: pylatexenc's parse
        text = _full(value)
    return value if text is None else text


# short values repeat across a file (journal names, publishers, keywords): decoded once (a
# bounded memo: long values such as titles and abstracts rarely repeat)
_decode_short = lru_cache(maxsize=1 << 12)(_decode)
SHORT = 100


def decode_latex(value: str) -> str:
    """A value's text: LaTeX decoded as bibtexparser's middleware does (pylatexenc), but a ``%``
    or ``&`` without a backslash is the literal character. Common markup is decoded in one pass
    (:mod:`.bibtex_latex`, same text), the rest by pylatexenc's parse."""
    return _decode_short(value) if len(value) <= SHORT else _decode(value)


_AND = re.compile(r"[ \r\n\t]+[aA][nN][dD][ \r\n\t]+")
_SIMPLE_NAME = re.compile(
    r"^[A-Z][^\s,{}\\~]*(?: [A-Z][^\s,{}\\~]*)*, [^\s,{}\\~]+(?: [^\s,{}\\~]+)*$"
)


def split_names(value: str) -> tuple[list[str], bool]:
    """Persons of a name field as ``von Last, Jr, First`` (bibtexparser's SeparateCoAuthors,
    SplitNameParts and MergeNameParts("last")), and whether a name needed the lenient parse.

    A name already written ``Last, First`` with capitalised last-name words and no braces,
    backslash or tie is returned as it is (what the parts would merge back into)."""
    lenient = False
    out: list[str] = []
    if "{" in value or "}" in value or "\\" in value:
        persons = split_multiple_persons_names(value)
    else:  # the same split without braces or escapes to track (a property test compares)
        stripped = value.strip(" \r\n\t")
        persons = _AND.split(stripped) if stripped else []
    for name in persons:
        if _SIMPLE_NAME.match(name):
            out.append(name)
            continue
        try:
            parts = parse_single_name_into_parts(name)
        except InvalidNameError:
            lenient = True
            try:
                parts = parse_single_name_into_parts(name, strict=False)
            except InvalidNameError:  # pragma: no cover - the lenient parse does not raise
                out.append(name)
                continue
        merged = parts.merge_last_name_first
        out.append(merged if merged else name)
    return out, lenient
