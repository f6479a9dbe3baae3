"""Turn an export's bytes into text, recording every decision made on the way.

Order of decisions (each recorded in ``Decoded.note``):

1. an encoding declared in config wins (a matching BOM is still removed);
2. a byte-order mark decides (UTF-8, UTF-16 LE/BE, UTF-32 LE/BE) and is always removed, so it
   can never hide the first record;
3. UTF-16 or UTF-32 without a BOM is recognised by its zero bytes (every other byte of ASCII
   text; three of every four);
4. strict UTF-8;
5. UTF-8 whose only flaw is an incomplete character in the last 1-3 bytes (a download cut inside
   a character): UTF-8 without those bytes, noted "file ends inside a character: truncated
   download?";
6. UTF-8 with invalid bytes on some lines: the valid lines stay UTF-8 and only the others are
   decoded in the legacy encoding detected on them (when at least one non-ASCII line is valid
   UTF-8 and the bad lines read as a single-byte encoding, or are not the majority), so invalid
   bytes in one record never change how the other records decode;
7. otherwise a legacy encoding chosen by charset-normalizer among :data:`LEGACY_CANDIDATES`
   (cp1252 first: what Windows reference managers write; GB18030/GBK, Shift-JIS, cp1251 for
   the rest); when even that fails, cp1252 with replacement characters, which the note says.

Control characters (C0 other than tab, LF, CR) are removed after decoding by
:func:`strip_controls`, counted in a note; :func:`binary_reason` refuses only real binary files.

Mojibake (UTF-8 read as cp1252 and saved again as UTF-8: ``Ã©`` for ``é``) is repaired with
ftfy, line by line, and only on lines that are *clearly* double-encoded; the note counts them.
Valid UTF-8 text can legitimately contain such pairs (``Âª``, a catalogue of Latin-1
characters), so the rule is deliberately strict: a line is repaired only when it holds at least
:data:`MIN_PAIRS` mojibake pairs that touch an ASCII letter (``cafÃ©``, ``GÃ¼lÃ¼m``,
``â€™s``: double-encoding happens inside words), and ftfy's repair changes it. Anything less
is left exactly as decoded.
"""

from __future__ import annotations

import re

from .bytescan import CONTROL_CHARS as CONTROL_CHARS
from .bytescan import has_control_bytes as has_control_bytes
from .bytescan import has_mojibake_lead as has_mojibake_lead
from .bytescan import is_utf8 as is_utf8

_BOMS: tuple[tuple[bytes, str], ...] = (
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)

LEGACY_CANDIDATES = ("cp1252", "gb18030", "shift_jis", "cp1251", "cp1250", "latin_1")

# a UTF-8 lead byte read as cp1252/latin-1 (Ã, Â, â, Ä, Å ...) followed by a continuation byte read
# the same way: the signature of double-encoded text
_LEADS = "\u00c2\u00c3\u00c4\u00c5\u00e2"
_FOLLOWERS = (
    "\u0080-\u00bf\u2018-\u203a\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6"
    "\u02dc\u20ac\u2122"
)
_MOJIBAKE = re.compile(f"[{_LEADS}][{_FOLLOWERS}]")


def _utf8_class(chars: str) -> bytes:
    """A bytes pattern matching the UTF-8 encoding of one character of the class ``chars``
    (the body of a ``[...]`` with ``a-b`` ranges)."""
    members: list[str] = []
    i = 0
    while i < len(chars):
        if i + 2 < len(chars) and chars[i + 1] == "-":
            members += [chr(c) for c in range(ord(chars[i]), ord(chars[i + 2]) + 1)]
            i += 3
        else:
            members.append(chars[i])
            i += 1
    return b"(?:" + b"|".join(re.escape(ch.encode("utf-8")) for ch in members) + b")"


# ``_MOJIBAKE`` on UTF-8 bytes: every lead starts with the byte C3, so the search jumps from one
# C3 byte to the next and no Python string of the text is built
_MOJIBAKE_UTF8 = re.compile(_utf8_class(_LEADS) + _utf8_class(_FOLLOWERS))


# a pair counts as evidence only inside a word: an ASCII letter right before or right after it
_IN_WORD = re.compile(
    f"(?:(?<=[A-Za-z]){_MOJIBAKE.pattern}|{_MOJIBAKE.pattern}"
    "(?:[\u0080-\u00bf\u2018-\u203a\u20ac\u2122])?(?=[A-Za-z]))"
)
MIN_PAIRS = 2


class Decoded:
    """An export's text with the encoding chosen and the note that says why.

    ``utf8``: the UTF-8 bytes of the text when the input already was exactly that (valid UTF-8,
    BOM removed, nothing repaired). Readers that work on bytes then use them as they are, and
    the Python string is only built if something asks for :attr:`text` (a 100 MB export is
    200-400 MB as a string); :meth:`head` decodes only a prefix.
    """

    __slots__ = ("_text", "encoding", "note", "utf8")

    def __init__(
        self, text: str | None, encoding: str, note: str, utf8: bytes | None = None
    ) -> None:
        if text is None and utf8 is None:
            raise ValueError("Decoded needs the text or its UTF-8 bytes")
        self._text, self.encoding, self.note, self.utf8 = text, encoding, note, utf8

    @property
    def text(self) -> str:
        if self._text is None:
            assert self.utf8 is not None
            self._text = self.utf8.decode("utf-8")
        return self._text

    def head(self, n: int) -> str:
        """The first ``n`` characters of the text (all of it if shorter)."""
        if self._text is not None or self.utf8 is None:
            return self.text[:n]
        # valid UTF-8 cut at a byte: only a character split at the cut can be incomplete
        return self.utf8[: 4 * n].decode("utf-8", errors="ignore")[:n]

    def __repr__(self) -> str:
        return f"Decoded(encoding={self.encoding!r}, note={self.note!r})"


def has_mojibake_pair(data: bytes) -> bool:
    """Whether UTF-8 ``data`` holds a mojibake pair (``_MOJIBAKE``): the pre-check of
    :func:`repair_mojibake`, done on the bytes. Valid text often has a lead alone (``Å`` in
    Ångström, ``â`` in French), so the lead check alone would build the text for nothing."""
    return _MOJIBAKE_UTF8.search(data) is not None


def _strip_bom(data: bytes, encoding: str) -> bytes:
    enc = encoding.lower().replace("_", "-")
    for bom, name in (*_UTF32_BOMS, *_BOMS):
        if data.startswith(bom) and (enc == name or enc in ("utf-8-sig", "utf-16", "utf-32")):
            return data[len(bom) :]
    return data


def _looks_utf32(data: bytes) -> str | None:
    """UTF-32 without a mark: in text of the first 17 planes, the byte that is 0 in every
    character, and the two beside it nearly always (ASCII, Latin, any alphabet)."""
    sample = data[: 4096 - 4096 % 4]
    if len(sample) < 8:
        return None
    lanes = [sample[i::4] for i in range(4)]
    zero = [lane.count(0) / len(lane) for lane in lanes]
    if zero[3] == 1 and zero[2] > 0.9 and zero[0] < 0.05:
        return "utf-32-le"
    if zero[0] == 1 and zero[1] > 0.9 and zero[3] < 0.05:
        return "utf-32-be"
    return None


def _looks_utf16(data: bytes) -> str | None:
    sample = data[:4096]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd):
        return "utf-16-be"
    return None


def repair_mojibake(text: str) -> tuple[str, int]:
    """Repair double-encoded lines with ftfy; return the text and how many lines changed."""
    # cheap pre-check: the lead characters of every mojibake pair, found with str.find
    if text.isascii() or not any(ch in text for ch in _LEADS):
        return text, 0
    if not _MOJIBAKE.search(text):
        return text, 0
    import ftfy

    lines = text.split("\n")
    changed = 0
    for i, line in enumerate(lines):
        if len(_IN_WORD.findall(line)) >= MIN_PAIRS:
            fixed = ftfy.fix_encoding(line)
            if fixed != line:
                lines[i] = fixed
                changed += 1
    return "\n".join(lines), changed


_HIGH = re.compile(rb"[\x80-\xff]")
_ISOLATED_HIGH = re.compile(rb"(?<![\x80-\xff])[\x80-\xff](?![\x80-\xff])")


def _legacy(data: bytes) -> tuple[str, str] | None:
    """Western single-byte text has its non-ASCII bytes mostly alone between ASCII letters
    (``G\xfcl\xfcm``); multi-byte legacy encodings (GBK, Shift-JIS) have them in runs. Mostly
    alone and valid cp1252: cp1252. Otherwise charset-normalizer picks among the candidates."""
    from charset_normalizer import from_bytes

    n_high = len(_HIGH.findall(data))
    if n_high and len(_ISOLATED_HIGH.findall(data)) * 2 > n_high:
        try:
            return data.decode("cp1252"), "cp1252"
        except UnicodeDecodeError:
            pass

    best = from_bytes(data, cp_isolation=list(LEGACY_CANDIDATES)).best()
    if best is None:
        return None
    return str(best), best.encoding


def decode(
    data: bytes, declared: str | None = None, fallback: str = "cp1252", *, repair: bool = True
) -> Decoded:
    """Decode ``data``; ``declared`` (from config) wins over detection.

    Raises :class:`UnicodeDecodeError` (with the offset) when a declared encoding does not fit.
    """
    if declared and declared.lower() != "auto":
        text = _strip_bom(data, declared).decode(declared)
        decoded = Decoded(text, declared, "declared in config")
    else:
        decoded = _detect(data, fallback)
    if repair:
        if decoded.utf8 is not None and not has_mojibake_pair(decoded.utf8):
            return decoded  # no mojibake pair: the text need not be built
        text, changed = repair_mojibake(decoded.text)
        if changed:
            return Decoded(
                text,
                decoded.encoding,
                f"{decoded.note}; mojibake repaired on {changed} line(s) (ftfy)",
            )
    return decoded


TRUNCATED_NOTE = "file ends inside a character: truncated download?"


def _cut_character(data: bytes, bad: int) -> Decoded | None:
    """UTF-8 whose only flaw is an incomplete character at the very end (a download cut inside
    a multi-byte character): the text without those 1-3 bytes, still UTF-8, with a note."""
    if bad < 0 or len(data) - bad > 3:
        return None
    body = data[:bad]
    try:
        data[bad:].decode("utf-8")
    except UnicodeDecodeError as err:
        if err.reason != "unexpected end of data" or not is_utf8(body):
            return None
    else:  # pragma: no cover - ``bad`` is where decoding failed
        return None
    return Decoded(
        None,
        "utf-8",
        f"valid UTF-8 but for the last {len(data) - bad} byte(s) (an incomplete character, "
        f"dropped); {TRUNCATED_NOTE}",
        body,
    )


_SINGLE_BYTE = ("cp1252", "cp1251", "cp1250", "latin_1", "iso8859_1", "ascii")


def _mixed(data: bytes) -> Decoded | None:
    """A UTF-8 file with invalid bytes on some lines (one record pasted from a Latin-1 source, a
    stray byte): each line that is valid UTF-8 stays UTF-8, and only the other lines are decoded
    in the legacy encoding detected on them, so a bad record never changes how the others read.

    Applies when at least one non-ASCII line is valid UTF-8 and either such lines are at least as
    many as the invalid ones or the invalid lines read as a single-byte encoding (multi-byte
    legacy text such as GBK has short runs that are valid UTF-8 by chance; it is left to
    whole-file detection)."""
    lines = data.split(b"\n")
    good: list[int] = []
    bad: list[int] = []
    for i, line in enumerate(lines):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")  # short lines: Python's decoder beats an Arrow call per line
        except UnicodeDecodeError:
            bad.append(i)
        else:
            good.append(i)
    if not good or not bad:
        return None
    bad_bytes = b"\n".join(lines[i] for i in bad)
    legacy = _legacy(bad_bytes)
    enc = "cp1252" if legacy is None else legacy[1]
    if len(good) < len(bad) and enc.lower().replace("-", "_") not in _SINGLE_BYTE:
        return None
    bad_set = set(bad)
    text_lines = [
        line.decode(enc, errors="replace") if i in bad_set else line.decode("utf-8")
        for i, line in enumerate(lines)
    ]
    shown = ", ".join(str(i + 1) for i in bad[:5]) + (", ..." if len(bad) > 5 else "")
    return Decoded(
        "\n".join(text_lines),
        "utf-8",
        f"UTF-8 except {len(bad)} line(s) with invalid bytes (line {shown}), "
        f"decoded as {enc}; the other lines are UTF-8",
    )


# UTF-32's marks, tried before UTF-16's (UTF-32 LE's begins with UTF-16 LE's)
_UTF32_BOMS: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
)


def _detect(data: bytes, fallback: str) -> Decoded:
    for bom, enc in _UTF32_BOMS:
        if data.startswith(bom):
            body = data[len(bom) :]
            whole = len(body) - len(body) % 4  # cut inside a character: the part dropped
            text = body[:whole].decode(enc, errors="replace")
            bad = text.count(chr(0xFFFD))
            note = f"; {bad} replacement character(s) for invalid UTF-32" if bad else ""
            said = (
                f"; the last character is cut (dropped); {TRUNCATED_NOTE}"
                if whole < len(body)
                else ""
            )
            return Decoded(text, enc, f"byte-order mark (UTF-32){note}{said}")
    for bom, enc in _BOMS:
        if data.startswith(bom):
            body = data[len(bom) :]
            if enc == "utf-8" and is_utf8(body):
                return Decoded(None, enc, "byte-order mark", body)
            if enc == "utf-8":  # a flaw after the mark: the same repairs as without one
                found = _detect(body, fallback)
                return Decoded(
                    found._text, found.encoding, f"byte-order mark; {found.note}", found.utf8
                )
            if len(body) % 2:  # UTF-16 cut inside a code unit
                text = body[:-1].decode(enc, errors="replace")
                return Decoded(
                    text,
                    enc,
                    f"byte-order mark; the last byte is half a character (dropped); "
                    f"{TRUNCATED_NOTE}",
                )
            text = body.decode(enc, errors="replace")
            bad = text.count(chr(0xFFFD))
            note = f"; {bad} replacement character(s) for invalid UTF-16" if bad else ""
            return Decoded(text, enc, f"byte-order mark{note}")
    utf32 = _looks_utf32(data)
    if utf32:
        whole = len(data) - len(data) % 4  # cut inside a character: the part dropped
        said = (
            f"; the last character is cut (dropped); {TRUNCATED_NOTE}" if whole < len(data) else ""
        )
        try:
            text = data[:whole].decode(utf32)
        except UnicodeDecodeError:  # zero bytes, but not UTF-32
            pass
        else:
            return Decoded(text, utf32, f"UTF-32 without byte-order mark (zero bytes){said}")
    utf16 = _looks_utf16(data)
    if utf16:
        try:
            text = data.decode(utf16)
        except UnicodeDecodeError:  # zero bytes, but not UTF-16 (an odd length, say)
            pass
        else:
            return Decoded(text, utf16, "UTF-16 without byte-order mark (zero bytes)")
    if is_utf8(data):
        return Decoded(None, "utf-8", "valid UTF-8", data)
    bad = -1
    try:
        data.decode("utf-8")  # only for the offset of the first bad byte
    except UnicodeDecodeError as err:
        bad = err.start
    cut = _cut_character(data, bad)
    if cut is not None:
        return cut
    mixed = _mixed(data)
    if mixed is not None:
        return mixed
    legacy = _legacy(data)
    if legacy is not None:
        text, enc = legacy
        return Decoded(
            text,
            enc,
            f"not UTF-8 (first bad byte at offset {bad}); detected as {enc}; {GUESSED}",
        )
    text = data.decode(fallback, errors="replace")
    return Decoded(
        text,
        fallback,
        f"not UTF-8 (first bad byte at offset {bad}); decoded as {fallback} with "
        f"{text.count(chr(0xFFFD))} replacement character(s); {GUESSED}",
    )


# what a note on a guessed encoding tells the team: a legacy encoding is a guess from the
# bytes, and a wrong guess gives wrong letters ("rŽsultats", "MŸller") without an error
GUESSED = (
    "the encoding is a guess: if accented letters read wrongly (e.g. 'MŸller' for 'Müller'), "
    "give the file's encoding (`encoding:` of the search in config, or `--encoding`; e.g. "
    "mac_roman, cp850, latin-1)"
)
