"""Checks over an export's raw bytes, made before any text is built: is it valid UTF-8, does it
hold a mojibake lead character, does it hold a control character.

An input of at least :data:`IN_PLACE_BYTES` is read in place by Arrow and numpy, whose imports
(0.1-0.25 s) pay off only there; a smaller one (a typical export) by Python's own codec and
regular expressions. Both ways give the same answer on any bytes (property tests).
"""

from __future__ import annotations

import re
import struct
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # loaded by the checks of large inputs only (see IN_PLACE_BYTES)
    import pyarrow as pa

# a mojibake lead character (:data:`.decode._LEADS`: C3 82-85 and C3 A2 in UTF-8) in UTF-8 bytes:
# RE2 syntax (on binary: bytes), and as a Python pattern
_LEADS_UTF8 = r"\xc3[\x82-\x85\xa2]"
_LEADS_UTF8_RE = re.compile(_LEADS_UTF8.encode("ascii"))

# inputs of at least this many bytes are checked in place by Arrow and numpy (a 310 MB export:
# UTF-8 validation 0.06 s against bytes.decode's 0.57 s, the control scan 0.23 s against a
# Python regular expression's 0.80 s); smaller ones by Python's own codec and regular
# expressions (an 8 MB export: 0.014 and 0.021 s), sparing the 0.1-0.25 s of importing numpy,
# pyarrow and pyarrow.compute that a typical export's import would otherwise pay first
IN_PLACE_BYTES = 16 << 20

# C0 control characters other than tab, LF and CR (:mod:`.decode` removes them)
CONTROL_CHARS = "".join(chr(c) for c in range(32) if chr(c) not in "\t\n\r")
_CONTROL_BYTES = CONTROL_CHARS.encode("ascii")
_CONTROL_BYTES_RE = re.compile(b"[" + re.escape(_CONTROL_BYTES) + b"]")


def _one_value(data: bytes, kind: pa.DataType) -> pa.Array:
    """A one-element Arrow array of ``kind`` (large string or binary) over ``data``, zero-copy."""
    import pyarrow as pa

    offsets = pa.py_buffer(struct.pack("<qq", 0, len(data)))
    return pa.Array.from_buffers(kind, 1, [None, offsets, pa.py_buffer(data)])


def is_utf8(data: bytes, in_place_from: int = IN_PLACE_BYTES) -> bool:
    """Whether ``data`` is valid UTF-8. From ``in_place_from`` bytes on it is checked in place
    by Arrow (``bytes.decode`` would build the whole Python string, 4x slower on a large
    export); a smaller input is decoded by Python and the string dropped."""
    if data.isascii():
        return True
    if len(data) < in_place_from:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return False
        return True
    import pyarrow as pa

    try:
        _one_value(data, pa.large_string()).validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def has_mojibake_lead(data: bytes, in_place_from: int = IN_PLACE_BYTES) -> bool:
    """Whether UTF-8 ``data`` holds any of the mojibake lead characters (``_LEADS``; C3 82-85
    and C3 A2 in UTF-8): the cheap pre-check of :func:`repair_mojibake`, done on the bytes (from
    ``in_place_from`` bytes on by RE2, which reads binary byte by byte; below, by Python's)."""
    if len(data) < in_place_from:
        return _LEADS_UTF8_RE.search(data) is not None
    import pyarrow as pa
    import pyarrow.compute as pc

    match = pc.match_substring_regex(_one_value(data, pa.large_binary()), _LEADS_UTF8)
    return bool(match[0].as_py())


_SCAN_BLOCK = 1 << 22  # bytes whose mask is held at once by :func:`has_control_bytes`


def has_control_bytes(
    data: bytes, block: int = _SCAN_BLOCK, in_place_from: int = IN_PLACE_BYTES
) -> bool:
    """Whether ``data`` holds a byte of :data:`CONTROL_CHARS`: in UTF-8 (and ASCII) those bytes
    are exactly the characters, as no multi-byte sequence contains a byte below 0x80. From
    ``in_place_from`` bytes on, read in place by numpy, a block at a time: each block's bytes
    below 0x20 are picked out (few: the line ends and tabs) and checked against tab, LF and CR.
    A 310 MB export: 0.2 s, against 0.5 s for one RE2 search of the control class over it.
    ``block``: bytes whose mask is held at once. A smaller input: one search of the control
    class by Python's regular expressions."""
    if len(data) < in_place_from:
        return _CONTROL_BYTES_RE.search(data) is not None
    import numpy as np

    arr = np.frombuffer(data, dtype=np.uint8)
    for start in range(0, arr.size, block):
        part = arr[start : start + block]
        low = part[part < 0x20]
        if low.size and ((low != 9) & (low != 10) & (low != 13)).any():
            return True
    return False
