"""The LaTeX in a BibTeX value decoded in one regex pass, exactly as pylatexenc's full parse
decodes it (a property test compares the two), for the markup real exports hold: accents
(``{\\"u}``, ``\\'e``, ``\\c{c}``), letter macros (``{\\o}``, ``\\ss{}``), escaped specials
(``\\&``), brace groups (``{{Title}}``) and ligatures (``--``).

Nothing here is a hand-written table: the macros covered are read from pylatexenc's own
databases (the walker's argument specs and latex2text's replacements), once, on first use, and
each macro occurrence's text is pylatexenc's own decode of that occurrence alone, memoised. A
value holding anything else (math, ties, unknown macros, macros nested in an accent, a space
after a letter macro, unbalanced braces) returns ``None``: the caller falls back to the full
parse. A parse costs ~0.4 ms per value and much more for long abstracts; this pass costs
microseconds."""

from __future__ import annotations

import re
from collections.abc import Callable

# pylatexenc's text for its specials that are plain ASCII ligatures (longest first, as it reads)
LIGATURES = {
    "---": "\u2014",
    "--": "\u2013",
    "``": "\u201c",
    "''": "\u201d",
    "!`": "\u00a1",
    "?`": "\u00bf",
}
LIGATURE = re.compile("|".join(re.escape(k) for k in LIGATURES))


def ligatures(text: str) -> str:
    """``text`` (no markup) with pylatexenc's ligature specials replaced."""
    return LIGATURE.sub(lambda match: LIGATURES[match.group()], text)


class _Uncovered(Exception):
    """A value holds markup the one-pass decode does not cover."""


class FastLatex:
    """The one-pass decoder, built from the databases of ``full`` (pylatexenc's decode of a
    whole value: text, or ``None`` when it fails) and the walker database it parses with."""

    def __init__(self, full: Callable[[str], str | None], walker_db: object, text_db: object):
        self._full = full
        self._atoms: dict[str, str] = {}
        self._token = re.compile(_token_pattern(walker_db, text_db))

    def _atom(self, atom: str) -> str:
        text = self._atoms.get(atom)
        if text is None:
            decoded = self._full(atom)
            if decoded is None:  # pragma: no cover - a macro in the database decodes
                raise _Uncovered(atom)
            text = self._atoms[atom] = decoded
        return text

    def _replace(self, match: re.Match[str]) -> str:
        kind = match.lastgroup
        token = match.group()
        if kind == "run":
            return ligatures(token) if ("-" in token or "`" in token or "'" in token) else token
        if kind == "esc":
            return token[1]
        if kind == "brace":
            return ""
        if kind == "atom":
            return self._atom(token)
        raise _Uncovered(token)

    def decode(self, value: str) -> str | None:
        """``value``'s text as pylatexenc decodes it, or ``None`` when it holds markup this
        pass does not cover (or unbalanced braces)."""
        if not _balanced(value):
            return None
        try:
            return self._token.sub(self._replace, value)
        except _Uncovered:
            return None


_BRACE = re.compile(r"[{}]")


def _balanced(value: str) -> bool:
    depth = 0
    for char in _BRACE.findall(value):
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def _alternation(names: list[str]) -> str:
    return "|".join(re.escape(n) for n in sorted(names, key=lambda n: (-len(n), n)))


def _token_pattern(walker_db: object, text_db: object) -> str:
    """One regex over a value's tokens, from pylatexenc's databases: accent macros (one
    mandatory argument, a replacement function in latex2text, a symbol or one letter for a
    name) on one letter, with or without braces; argument-less letter macros with a fixed
    replacement, not followed by a letter (of any script: pylatexenc reads ``\\oé`` as one
    macro) or a space (pylatexenc would eat it); escaped specials; braces; runs of plain text
    (``_`` and ``^`` are text outside math); and any other markup character, which makes the
    pass give up."""
    accents: list[str] = []
    letters: list[str] = []
    for spec in text_db.iter_macro_specs():  # type: ignore[attr-defined]
        name = spec.macroname
        walker = walker_db.get_macro_spec(name)  # type: ignore[attr-defined]
        argspec = walker.args_parser.argspec if walker is not None else ""
        repl = spec.simplify_repl
        if argspec == "{" and callable(repl):
            accents.append(name)
        elif (
            argspec == ""
            and isinstance(repl, str)
            and "%" not in repl
            and name.isascii()
            and name.isalpha()
        ):
            letters.append(name)
    symbol_accents = [n for n in accents if not n.isalpha()]
    # the one-letter ones only (``\c``, ``\v``, ``\H``...): ``\title``, ``\input`` or ``\mathbf``
    # also take one argument but are no accents
    letter_accents = [n for n in accents if len(n) == 1 and n.isascii() and n.isalpha()]
    atom = [
        rf"\\(?:{_alternation(symbol_accents)})(?:[A-Za-z]|\{{[A-Za-z]\}})",
        rf"\\(?:{_alternation(letter_accents)})(?![^\W\d_])\{{[A-Za-z]\}}",
        rf"\\(?:{_alternation(letters)})(?![^\W\d_]|\s)",
    ]
    return (
        r"(?P<esc>\\[&%_#$])"
        f"|(?P<atom>{'|'.join(atom)})"
        r"|(?P<brace>[{}])"
        r"|(?P<run>[^\\{}$~&%]+)"
        r"|(?P<other>.)"
    )
