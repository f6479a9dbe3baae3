"""Turn an export's bytes into text, recording what was decided.

Order: a BOM decides (UTF-8, UTF-16 LE/BE); otherwise strict UTF-8; otherwise the declared
fallback (cp1252 by default). A BOM is always removed, so it can never hide the first record.
"""

from __future__ import annotations

from dataclasses import dataclass

_BOMS: tuple[tuple[bytes, str], ...] = (
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str
    note: str


def decode(data: bytes, declared: str | None = None, fallback: str = "cp1252") -> Decoded:
    """Decode ``data``; ``declared`` (from config) wins over detection."""
    if declared:
        bom = next(
            (b for b, enc in _BOMS if data.startswith(b) and enc.startswith(declared[:5])), b""
        )
        return Decoded(data[len(bom) :].decode(declared), declared, "declared in config")
    for bom, enc in _BOMS:
        if data.startswith(bom):
            return Decoded(data[len(bom) :].decode(enc), enc, "byte-order mark")
    try:
        return Decoded(data.decode("utf-8"), "utf-8", "valid UTF-8")
    except UnicodeDecodeError as err:
        text = data.decode(fallback, errors="replace")
        return Decoded(
            text,
            fallback,
            f"not UTF-8 (first bad byte at offset {err.start}); decoded as {fallback}",
        )
