"""Tagged exports are parsed and mapped block by block (io/lines.py ``blocks``): whatever the
block size, the parse, its notes and rejects, and the imported records are exactly those of
the whole file read at once."""

from __future__ import annotations

from pathlib import Path

import pytest
from polars.testing import assert_frame_equal

from helpers import require_shared
from scoping_review import importing
from scoping_review.io import lines, tagged
from support import realistic_ris

RIS_LAYOUT = tagged.RIS.layout_regex


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
    # small texts, formats without a start tag and texts holding the cell separator: one block
    assert list(lines.blocks("TY  - JOUR\n", "TY", RIS_LAYOUT, 11)) == ["TY  - JOUR\n"]
    assert len(list(lines.blocks(text, None, RIS_LAYOUT, 2_000))) == 1
    assert len(list(lines.blocks(text + "\x1f", "TY", RIS_LAYOUT, 2_000))) == 1


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
    return sorted(p for p in root.rglob("*") if p.suffix.lower() in (".ris", ".txt", ".ciw"))


def test_import_in_blocks_equals_import_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = {"damaged.ris": _damaged(50).encode()}
    texts.update({str(p): p.read_bytes() for p in _exports()})
    assert len(texts) > 10
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
