"""An export's text as lines, and as blocks of whole records, for the line-tagged readers
(:mod:`.tagged`).

Line ends: CRLF and LF end lines; a bare CR ends a line only where :func:`normalise_newlines`
says. :func:`blocks` cuts a large export into pieces of about ``block_bytes`` bytes, each
starting at a record's first line, so that a reader holds one piece's lines at a time (bounded
memory: the reader's buffers stay small and are reused rather than faulted in afresh).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import polars as pl

# a bare CR that ends a line in a file that also has LF: before a tag line (``TY  - ``,
# ``PMID- ``), before another CR or LF, or at the end of the text
_CR_LINE_END = re.compile(r"\r(?=[ \t]*[A-Z][A-Z0-9]{1,3} {0,3}-(?: |\r|\n|$)|\r|\n|$)")

# any other bare CR: a break inside a value, with the next line's indent (MEDLINE's six spaces)
# (the look-behind starts a match only at a run's first blank: linear in a long run of blanks)
_CR_IN_VALUE = re.compile(r"(?<![ \t])[ \t]*\r[ \t]*")


def normalise_newlines(text: str, tag_line: str | None = None) -> str:
    """``text`` with every line end as LF: CRLF and LF end lines; a bare CR ends a line in a
    file that has no LF at all (classic Mac) and, in a file mixing line ends, where a tag line
    (RIS/MEDLINE's, or what the regex ``tag_line`` matches: a format's own tag lines) or a
    blank line follows it; any other bare CR is a break inside a value (WoS-made RIS) and
    becomes a space."""
    if "\r" in text:
        text = text.replace("\r\n", "\n")
        if "\n" not in text:
            return text.replace("\r", "\n")
        if "\r" in text:
            if tag_line is not None:
                text = re.sub(f"\\r(?={tag_line})", "\n", text)
            text = _CR_IN_VALUE.sub(" ", _CR_LINE_END.sub("\n", text))
    return text


_BARE_CR = re.compile(r"\r(?!\n)")


def bare_cr_as_lf(text: str, quoted: bool = False) -> str:
    """``text`` with each CR not followed by LF as LF, for formats in which no line break
    stands inside a value's line (BibTeX, where a break is white space; a table's rows): in a
    file mixing line ends a bare CR before ``@article{`` or a row hid that record. With
    ``quoted`` (a CSV) a CR inside a double-quoted cell stays as it is."""
    if "\r" not in text or _BARE_CR.search(text) is None:
        return text
    if not quoted:
        return _BARE_CR.sub("\n", text)
    parts = text.split('"')  # even parts lie outside quotes ("" inside a cell: an empty odd part)
    parts[::2] = [_BARE_CR.sub("\n", part) for part in parts[::2]]
    return '"'.join(parts)


def split_lines(text: str) -> list[str]:
    """Lines of ``text`` (line ends as in :func:`normalise_newlines`)."""
    return normalise_newlines(text).split("\n")


# a byte that never occurs in a text export: read_csv splits on it, so each line is one cell
_CELL_SEP = "\x1f"


def read_lines(source: str | bytes) -> tuple[pl.DataFrame, int]:
    """One row per line of ``source`` (a text, or its UTF-8 bytes: valid UTF-8; column
    ``line``; line ends as in :func:`normalise_newlines`) and the number of lines, counted like
    ``str.split("\\n")``.

    The split runs in polars' CSV reader (multi-threaded, no Python string per line) with a
    separator and no quote character, so every line is one cell as it stands; a text holding
    a CR or that separator is decoded and handled in Python instead.
    """
    if isinstance(source, bytes):
        if b"\r" in source or _CELL_SEP.encode() in source:
            return read_lines(source.decode("utf-8"))
        data = source
        final_end = not data or data.endswith(b"\n")
    else:
        text = normalise_newlines(source)
        if _CELL_SEP in text:
            lines = text.split("\n")
            return pl.DataFrame({"line": lines}, schema={"line": pl.String}), len(lines)
        data = text.encode("utf-8")
        final_end = not text or text.endswith("\n")
    frame = pl.read_csv(
        data,
        has_header=False,
        separator=_CELL_SEP,
        quote_char=None,
        new_columns=["line"],
        schema={"line": pl.String},
        empty_string_is_null=False,
        raise_if_empty=False,
    )
    # the reader drops the empty piece after a final line end; str.split keeps it
    return frame, frame.height + (1 if final_end else 0)


# texts larger than this are cut into blocks of about this size. Measured on the realistic
# 100k-record RIS (310 MB; 2 cores): whole 9.6-11.4 CPU s and 2.3-2.5 GB peak, 64 MB blocks
# 10.2 CPU s and 1.57 GB, 16 MB blocks 11.1 CPU s and 1.53 GB (each block has a fixed cost of
# about 0.1 CPU s: smaller blocks save no more memory and cost more time). The realistic
# 100k-record MEDLINE (339 MB), cut at blank lines: whole 11.7-15.7 CPU s and 3.2-3.3 GB,
# 64 MB blocks 7.2-7.5 CPU s and 1.62-1.67 GB, 16 MB blocks 6.8 CPU s and 1.52 GB
BLOCK_BYTES = 64_000_000


def _cut_at(start_tag: str | None, layout_regex: str) -> re.Pattern[bytes]:
    r"""Where a block may begin (the end of a match): before a line in the common layout
    (``layout_regex``) that is a ``start_tag`` line or, in a format without a start tag, that
    follows a blank line. Blank means spaces and tabs only, so that both the reader's record
    rule (a tag line after an untagged empty line) and :func:`.membership.count_starts`
    (``^[ \t]*$``) see a record start there, as in the whole text."""
    before = (
        rb"\n[ \t]*\n" if start_tag is None else b"\n(?=" + re.escape(start_tag.encode()) + b")"
    )
    return re.compile(before + b"(?=" + layout_regex.encode() + b")", re.MULTILINE)


def blocks(
    source: str | bytes, start_tag: str | None, layout_regex: str, block_bytes: int = BLOCK_BYTES
) -> Iterator[str | bytes]:
    """``source`` (a text, or its UTF-8 bytes) as consecutive blocks: each block but the first
    starts at a record's first line (:func:`_cut_at`: a ``start_tag`` line in the format's
    common layout ``layout_regex``, or, without a start tag, a layout line after a blank line)
    and each but the last ends with a line end, so every line and every record lies in one
    block. Line ends are normalised as :func:`read_lines` does, so reading the blocks' lines
    one after the other gives the lines of ``source``.

    A source holding the cell separator, or one smaller than ``block_bytes``, is one block, as
    given.
    """
    if len(source) <= block_bytes:
        yield source
        return
    if isinstance(source, bytes):
        data = source
        if b"\r" in data:
            data = normalise_newlines(data.decode("utf-8")).encode("utf-8")
    else:
        data = normalise_newlines(source).encode("utf-8")
    if _CELL_SEP.encode() in data:
        yield source
        return
    cut = _cut_at(start_tag, layout_regex)
    pos = 0
    while pos < len(data):
        # the first cut past the target size
        found = cut.search(data, pos + block_bytes) if pos + block_bytes < len(data) else None
        end = found.end() if found else len(data)
        yield data[pos:end]
        pos = end
