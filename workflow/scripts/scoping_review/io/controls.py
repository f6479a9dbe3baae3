"""Control characters and binary content in a decoded export.

C0 control characters (other than tab, LF and CR) are never part of a value in a text export:
they are removed, counted per file in a note (:func:`strip_controls`, and
:func:`strip_control_column` for a spreadsheet's cells). :func:`binary_reason` refuses only
real binary files (a file signature, or a large share of control characters). Classic Mac line
ends and byte-order marks inside the text are mended here too, each with its note.
"""

from __future__ import annotations

import re

import polars as pl

from .bytescan import _CONTROL_BYTES, _CONTROL_BYTES_RE, has_control_bytes
from .bytescan import CONTROL_CHARS as CONTROL_CHARS
from .decode import Decoded

# --- control characters and binary content ------------------------------------------------------

# C0 control characters (CONTROL_CHARS: other than tab, LF and CR) are never part of a value in
# a text export. One policy for every format: they are removed (counted per file in a note),
# never stored.
_CONTROL_RE = re.compile(f"[{re.escape(CONTROL_CHARS)}]")
_CONTROL_RUST = r"[\x00-\x08\x0b\x0c\x0e-\x1f]"  # the same set, as a Rust regex

# the file signatures of what is sometimes saved in place of an export
MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "a PDF document"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"PK\x05\x06", "an empty ZIP archive"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"BZh", "a bzip2 archive"),
    (b"\xfd7zXZ\x00", "an xz archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an OLE2 file (legacy .xls/.doc)"),
)
# share of C0 control characters (tab, LF, CR excepted) above which decoded text is binary:
# random bytes read as cp1252 have ~11 %; a text export with stray control bytes has a few
BINARY_SHARE = 0.05
_SAMPLE = 1 << 16


def binary_reason(data: bytes, head: str) -> str | None:
    """Why a file is binary content rather than a text export (None: it is text).

    ``head``: the first characters of its decoded text. Binary means a known file signature
    (archives, images, PDF, OLE2) or more than :data:`BINARY_SHARE` of the first 64 Ki
    characters being C0 control characters other than tab, LF and CR. A few stray control
    characters (a NUL in a MEDLINE file) do not make a file binary: they are removed from the
    values by :func:`strip_controls`.
    """
    for magic, what in MAGIC:
        if data.startswith(magic) and not (magic == b"BZh" and data[4:10] != b"1AY&SY"):
            return f"binary content ({what}, by its file signature)"
    sample = head[:_SAMPLE]
    if not sample:
        return None
    n = len(_CONTROL_RE.findall(sample))
    if n > BINARY_SHARE * len(sample):
        return (
            f"binary content ({n} control character(s) in the first {len(sample)}, "
            f"over {BINARY_SHARE:.0%})"
        )
    return None


def _control_note(found: list[str]) -> str:
    counts: dict[str, int] = {}
    for ch in found:
        counts[ch] = counts.get(ch, 0) + 1
    kinds = ", ".join(f"U+{ord(c):04X} x{n}" for c, n in sorted(counts.items()))
    return f"{len(found)} control character(s) removed from values ({kinds})"


# a vertical tab or form feed between two words is a line break inside a value (Excel and Word
# write a cell's or a title's manual line break so): a space, or the words would run together
_BREAK = re.compile(r"(?<=\S)[\x0b\x0c](?=\S)")


def strip_controls(decoded: Decoded) -> tuple[Decoded, str | None]:
    """``decoded`` without C0 control characters other than tab, LF and CR (a vertical tab or
    form feed between two words becomes a space), and the note that counts what was removed
    (None: there were none)."""
    if decoded.utf8 is not None and decoded._text is None:
        data = decoded.utf8
        if not has_control_bytes(data):  # searched in place: a clean export is not copied
            return decoded, None
        if b"\x0b" not in data and b"\x0c" not in data:  # else: as text, where \s is whole
            kept = data.translate(None, _CONTROL_BYTES)
            found = [chr(b[0]) for b in _CONTROL_BYTES_RE.findall(data)]
            return Decoded(None, decoded.encoding, decoded.note, kept), _control_note(found)
    text = decoded.text
    found = _CONTROL_RE.findall(text)
    if not found:
        return decoded, None
    kept_text = _CONTROL_RE.sub("", _BREAK.sub(" ", text))
    utf8 = kept_text.encode("utf-8") if decoded.utf8 is not None else None
    return Decoded(kept_text, decoded.encoding, decoded.note, utf8), _control_note(found)


def mac_line_ends(decoded: Decoded) -> tuple[Decoded, str | None]:
    """``decoded`` with bare CR line ends as LF when the text has no LF at all (classic Mac;
    Excel's "CSV (Macintosh)"), and the note that says so (None: other line ends). Every
    reader then sees lines: the tagged readers did so already, the table and BibTeX readers
    saw one line."""
    if decoded.utf8 is not None and decoded._text is None:
        data = decoded.utf8
        if b"\r" not in data or b"\n" in data:
            return decoded, None
        fixed = Decoded(None, decoded.encoding, decoded.note, data.replace(b"\r", b"\n"))
    else:
        text = decoded.text
        if "\r" not in text or "\n" in text:
            return decoded, None
        text = text.replace("\r", "\n")
        utf8 = text.encode("utf-8") if decoded.utf8 is not None else None
        fixed = Decoded(text, decoded.encoding, decoded.note, utf8)
    return fixed, "line ends are bare CR (classic Mac); read as line ends"


def strip_inner_marks(decoded: Decoded) -> tuple[Decoded, str | None]:
    """``decoded`` without byte-order marks inside the text (U+FEFF: two exports joined by
    ``cat``, each with its mark), and the note that counts them (None: there were none). A
    mark before a record's first line hid its start tag: the record was lost or rejected."""
    mark = "\ufeff"
    if decoded.utf8 is not None and decoded._text is None:
        data = decoded.utf8
        n = data.count(mark.encode())
        if not n:
            return decoded, None
        kept = Decoded(None, decoded.encoding, decoded.note, data.replace(mark.encode(), b""))
    else:
        n = decoded.text.count(mark)
        if not n:
            return decoded, None
        text = decoded.text.replace(mark, "")
        utf8 = text.encode("utf-8") if decoded.utf8 is not None else None
        kept = Decoded(text, decoded.encoding, decoded.note, utf8)
    return kept, (
        f"{n} byte-order mark(s) inside the file removed (U+FEFF: two exports joined into "
        f"one, each with its mark?)"
    )


def strip_control_column(
    frame: pl.DataFrame, column: str = "value"
) -> tuple[pl.DataFrame, str | None]:
    """The same policy for values read without a text decoding (spreadsheet cells)."""
    hits = frame.select(pl.col(column).str.extract_all(_CONTROL_RUST).explode().drop_nulls())
    found = hits.to_series().to_list()
    if not found:
        return frame, None
    frame = frame.with_columns(pl.col(column).str.replace_all(_CONTROL_RUST, ""))
    return frame, _control_note(found)
