"""Where a record of each record-marked export format begins, to tell two exports of different
formats joined into one file (``cat a.bib b.ris``) from one export: the reader of the first
format would drop the second's records as comments or stray text, or merge them into its own.
"""

from __future__ import annotations

import re

# the first line of a record in each record-marked format, as no other format's line begins
# (regular expressions both Python and Rust read, matched at a line's start): such a line in a
# file of another format is a second export joined to the first (`cat a.ris b.nbib`)
RECORD_STARTS: dict[str, str] = {
    "ris": r"TY {1,2}- ?[A-Z]{2,}",
    "medline": r"PMID- [0-9]",
    "wos": r"PT [A-Z][ \t\r]*$",
    "endnote": r"%0 [A-Z]",
    "bibtex": r"@[A-Za-z]+[ \t]*[{(][^ \t\r{}(),]*,",
    "endnote_xml": r"<\?xml |<xml><records>",
}


# text every record start above but BibTeX's holds (a fast find, before a scan of every line)
MARKERS = ("\nTY", "\nPMID-", "\nPT ", "\n%0 ", "<?xml ", "<xml><records>")


# a line of a record's body in each format: the line after a start line is one (a lone "PT J"
# line among other text is no Web of Science record)
RECORD_BODY: dict[str, str] = {
    "ris": r"[A-Z][A-Z0-9] {1,2}- ?",
    "medline": r"[A-Z][A-Z0-9]{1,3} {0,3}- ",
    "wos": r"[A-Z][A-Z0-9] \S",
    "endnote": r"%[A-Z0-9@!#$&()*+,\-./:;<=>?\[\]^_`{|}~] ",
    "bibtex": r"",
    "endnote_xml": r"",
}


def foreign_starts(fmt: str) -> str:
    """A regular expression for a line that starts a record of a format other than ``fmt``."""
    return "^(?:" + "|".join(r for name, r in RECORD_STARTS.items() if name != fmt) + ")"


def started_format(line: str, after: str | None = None) -> str | None:
    """The format whose record ``line`` starts (:data:`RECORD_STARTS`), or None; with
    ``after`` (the next line that is not blank), only when that line is of the record's body
    (:data:`RECORD_BODY`)."""
    found = next((n for n, r in RECORD_STARTS.items() if re.match(r, line)), None)
    if found is None or after is None or re.match(RECORD_BODY[found], after):
        return found
    return None
