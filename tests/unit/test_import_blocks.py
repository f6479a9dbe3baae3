"""Tagged exports are parsed and mapped block by block (io/lines.py ``blocks``): whatever the
block size, the parse, its notes and rejects, and the imported records are exactly those of
the whole file read at once."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from helpers import require_shared
from scoping_review import importing
from scoping_review.io import lines, tagged
from support import realistic_ris

RIS_LAYOUT = tagged.RIS.layout_regex
MEDLINE_LAYOUT = tagged.MEDLINE.layout_regex


def _damaged(n: int) -> str:
    """Realistic RIS with the traps spread over it: a false ER inside a record, stray text
    between records, an empty record, a record without ER, a stray ER, a CR inside a value."""
    records = realistic_ris.render(n, seed=7).split("\nER  -\n")
    out = []
    for i, rec in enumerate(records):
        if i % 7 == 1:
            rec = rec.replace("\nAB  - ", "\nER  - \nAB  - ", 1)  # ER then more fields
        if i % 11 == 2:
            rec = "Link to the full text\n" + rec
        if i % 13 == 3:
            rec = "TY  - JOUR\n"  # nothing after its start tag: rejected
        if i % 17 == 4:
            out.append(rec + "\n")  # no ER: the next TY closes it
            continue
        if i % 19 == 5:
            rec = rec.replace("\nTI  - ", "\nTI  - one\rtwo ", 1)
        out.append(rec + "\nER  - \n")
        if i % 23 == 6:
            out.append("ER  - \n")  # an end tag alone
    return "".join(out) + "TYPE is not a tag line\n"


def _same(a: tagged.Parsed, b: tagged.Parsed) -> None:
    assert_frame_equal(a.fields, b.fields)
    assert_frame_equal(a.starts, b.starts)
    assert a.rejects == b.rejects
    assert (a.n_raw, a.notes, a.stripped) == (b.n_raw, b.notes, b.stripped)


def test_blocks_cut_only_before_start_tag_lines_and_cover_the_text() -> None:
    text = _damaged(60).replace("\n", "\r\n")
    parts = list(lines.blocks(text.encode(), "TY", RIS_LAYOUT, 2_000))
    assert len(parts) > 10
    assert b"".join(parts) == tagged.normalise_newlines(text).encode()  # type: ignore[arg-type]
    for i, block in enumerate(parts):
        assert isinstance(block, bytes)
        assert block.endswith(b"\n") or i == len(parts) - 1
        if i:
            assert block.startswith(b"TY  - ")
    # small texts and texts holding the cell separator: one block, as given
    assert list(lines.blocks("TY  - JOUR\n", "TY", RIS_LAYOUT, 11)) == ["TY  - JOUR\n"]
    assert list(lines.blocks(text + "\x1f", "TY", RIS_LAYOUT, 2_000)) == [text + "\x1f"]
    nbib = "PMID- 1\nTI  - a\n\nPMID- 2\n\x1f\n\nPMID- 3\n"
    assert list(lines.blocks(nbib, None, MEDLINE_LAYOUT, 1)) == [nbib]


def test_medline_blocks_cut_only_before_a_layout_line_after_a_blank_line() -> None:
    text = (
        "PMID- 1\r\nTI  - one\r\n      two\r\n\r\n\r\n"  # two blank lines
        "PMID- 2\r\nAB  - x\r\n \t\r\n"  # a blank line of white space
        "OWN - ERIC\r\n\r\n"  # ERIC: no PMID
        "      continued after a blank\r\nAU  - not a start\r\n\r\n"
        "TI - single-space separator, not in the layout\r\n\u00a0\r\n"  # NBSP: not blank here
        "PMID- 3\r\n\r\nPMID- 4"  # no final line end
    )
    parts = list(lines.blocks(text.encode(), None, MEDLINE_LAYOUT, 1))
    assert [p.split(b"\n", 1)[0] for p in parts if isinstance(p, bytes)] == [
        b"PMID- 1",
        b"PMID- 2",
        b"OWN - ERIC",
        b"PMID- 4",
    ]
    assert b"".join(parts) == tagged.normalise_newlines(text).encode()  # type: ignore[arg-type]
    whole = tagged.merge(list(tagged.parse_blocks(text, tagged.MEDLINE, 10**9)), tagged.MEDLINE)
    assert whole.notes  # the stray continuation and tag lines were noted
    for source in (text, text.encode()):
        # a file whose records hold a PMID is cut only before one (an ERIC block after a
        # PubMed record is the rest of it: test_import_blank_inside_record)
        parts_ = list(tagged.parse_blocks(source, tagged.MEDLINE, 1))
        assert len(parts_) == 3
        _same(tagged.merge(parts_, tagged.MEDLINE), whole)


@pytest.mark.parametrize("crlf", [False, True])
def test_parse_in_blocks_equals_parse_whole(crlf: bool) -> None:
    text = _damaged(80)
    if crlf:
        text = text.replace("\n", "\r\n")
    whole = tagged.merge(list(tagged.parse_blocks(text, tagged.RIS, 10**9)), tagged.RIS)
    assert whole.rejects and len(whole.notes) >= 4  # the traps were hit
    for size in (1, 700, 5_000):
        for source in (text, text.encode()):
            parts = list(tagged.parse_blocks(source, tagged.RIS, size))
            assert len(parts) > 1
            _same(tagged.merge(parts, tagged.RIS), whole)


def _exports() -> list[Path]:
    root = require_shared("fixtures", "exports")
    suffixes = (".ris", ".txt", ".ciw", ".nbib")
    return sorted(p for p in root.rglob("*") if p.suffix.lower() in suffixes)


def test_import_in_blocks_equals_import_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = {"damaged.ris": _damaged(50).encode()}
    texts.update({str(p): p.read_bytes() for p in _exports()})
    assert len(texts) > 10
    blocked_formats = set()
    for name, data in texts.items():
        meta = importing.SourceMeta("s", "S", "", name)
        monkeypatch.setattr(lines, "BLOCK_BYTES", 10**9)
        try:
            whole = importing.import_export(data, meta)
        except importing.ImportError_:
            continue  # not a tagged export, or refused: not this test's concern
        monkeypatch.setattr(lines, "BLOCK_BYTES", 300)
        blocked = importing.import_export(data, meta)
        assert_frame_equal(blocked.records, whole.records)
        assert_frame_equal(blocked.rejects, whole.rejects)
        assert blocked.file_row == whole.file_row, name
        fmt = tagged.FORMATS.get(str(whole.file_row["format"]))
        if (
            fmt is not None
            and len(list(lines.blocks(data, fmt.start_tag, fmt.layout_regex, 300))) > 1
        ):
            blocked_formats.add(fmt.name)
    assert {"ris", "medline", "wos"} <= blocked_formats


# MEDLINE-like and EndNote-like texts: tag lines (some not in the common layout), indented and
# unindented continuation lines, records with nothing after their first tag, and between
# records runs of blank lines (empty, spaces and tabs, or an NBSP, which the reader reads as
# blank but the start count does not), with a continuation line after a blank now and then
_TAGS = {
    "medline": ("PMID- ", "OWN - ", "TI  - ", "AB  - ", "FAU - ", "AU  - ", "TI - ", "AB-"),
    "endnote": ("%0 ", "%T ", "%A ", "%X ", "%T", "%@ "),
}
_CONT = {"medline": ("      ", "  ", ""), "endnote": ("", " ")}
_BLANKS = ("", "", " ", "\t", " \t ", "\u00a0")
_words = st.text(alphabet="abc é-%:", min_size=0, max_size=12)


@st.composite
def _tagged_text(draw: st.DrawFn) -> tuple[tagged.TaggedFormat, str]:
    fmt = draw(st.sampled_from(["medline", "endnote"]))
    out: list[str] = []
    for _ in range(draw(st.integers(0, 8))):
        out += draw(st.lists(st.sampled_from(_BLANKS), max_size=3))
        if draw(st.integers(0, 9)) == 0:
            out.append(_CONT[fmt][0] + draw(_words))  # text after a blank line
        for _ in range(draw(st.integers(1, 5))):
            line = draw(st.sampled_from(_TAGS[fmt] + _CONT[fmt]))
            out.append(line + draw(_words))
    text = "\n".join(out)
    if draw(st.booleans()):
        text += "\n"
    if draw(st.booleans()):
        text = text.replace("\n", "\r\n")
    return tagged.FORMATS[fmt], text


@settings(max_examples=150, deadline=None)
@given(_tagged_text(), st.lists(st.integers(1, 300), min_size=1, max_size=3))
def test_blank_line_formats_parse_in_blocks_as_whole(
    case: tuple[tagged.TaggedFormat, str], sizes: list[int]
) -> None:
    fmt, text = case
    whole = tagged.merge(list(tagged.parse_blocks(text, fmt, 10**9)), fmt)
    normalised = tagged.normalise_newlines(text).encode()
    for size in sizes:
        data = text.encode()
        parts = list(lines.blocks(data, None, fmt.layout_regex, size))
        assert b"".join(parts) == (normalised if len(data) > size else data)  # type: ignore[arg-type]
        for source in (text, text.encode()):
            _same(tagged.merge(list(tagged.parse_blocks(source, fmt, size)), fmt), whole)
