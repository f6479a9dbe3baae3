"""Real exports and damaged copies of them (issue 18: every real export, every byte).

Each real fixture file (RIS, MEDLINE, BibTeX, Scopus CSV, ProQuest plain text) is imported as
it is, then as copies damaged in the test: a BOM, UTF-16, Latin-1, one record in Latin-1 inside
UTF-8, a NUL inserted, a 5 MB field, a duplicated record, a download cut mid-record and one cut
inside a UTF-8 character. Every copy gives the exact record count, the intact records' text
unchanged, and a one-line note or error naming the file; any other exception (a traceback)
fails the test.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from scoping_review import importing

# fixture, format, record start (bytes regex, multi-line; None: one row per line after a header)
FILES: list[tuple[str, str, bytes | None]] = [
    ("synthesisr/Scopus_ris_example.ris", "ris", rb"^TY  - "),
    ("nbib_holub008/pmc_medlars.txt", "medline", rb"^PMC - "),
    ("synthesisr/Scopus_bib_example.bib", "bibtex", rb"^@"),
    ("bibliometrix/scopus_sample.csv", "scopus_csv", None),
    ("metaknowledge/ProQuest_TestFile.testtxt", "proquest", rb"^Document \d+ of \d+"),
    ("../dedup/dedupe-sweep_iebh/tafenoquine.xml", "endnote_xml", rb"<record>"),
    ("../api/ncbi/biopython_efetch_pubmed_xml.xml", "pubmed_xml", rb"<PubmedArticle>"),
]
IDS = [f[1] for f in FILES]
CONTENT = ("title", "abstract", "authors", "year", "journal", "doi", "native_id")
BIG = b"lorem ipsum " * 440_000  # 5.28 MB, one line


def run(data: bytes, rel: str) -> importing.Imported | str:
    """The import, or the one-line error that names the file (anything else propagates)."""
    meta = importing.SourceMeta("dmg", "Damaged DB", "2025-01-01", f"damaged/{rel}")
    try:
        result = importing.import_export(data, meta)
    except importing.ImportError_ as err:
        message = str(err)
        assert f"damaged/{rel}" in message, message
        assert "\n" not in message and "Traceback" not in message, message
        return message
    row = result.file_row
    assert row["n_raw"] == row["n_parsed"] + row["n_rejected"]
    assert all("\n" not in n for n in result.notes)
    return result


def imported(data: bytes, rel: str) -> importing.Imported:
    result = run(data, rel)
    assert isinstance(result, importing.Imported), result
    return result


def content(result: importing.Imported) -> list[dict[str, Any]]:
    """Each record's text: canonical fields and every raw tag and value, in file order."""
    frame = result.records.sort("source_line", maintain_order=True)
    return frame.select(*CONTENT, "raw_tags", "raw_values").to_dicts()


def split(data: bytes, start: bytes | None) -> tuple[bytes, list[bytes]]:
    """The bytes before the first record and each record's bytes (up to the next start)."""
    if start is None:
        head, _, body = data.partition(b"\n")
        rows = body.split(b"\n")
        recs = [row + b"\n" for row in rows[:-1]] + ([rows[-1]] if rows[-1] else [])
        return head + b"\n", recs
    cuts = [m.start() for m in re.finditer(start, data, re.MULTILINE)]
    return data[: cuts[0]], [data[a:b] for a, b in zip(cuts, [*cuts[1:], len(data)], strict=True)]


XML = ("endnote_xml", "pubmed_xml")


def inside_text(rec: bytes, fmt: str) -> int:
    """An offset in the second half of a record where text may be added: after a space, or in
    XML after an element's opening tag (a space there may stand inside a tag)."""
    mid = len(rec) // 2
    if fmt in XML:
        found = re.compile(rb">[A-Za-z]").search(rec, mid) or re.search(rb">[A-Za-z]", rec)
        assert found is not None
        return found.start() + 1
    return rec.index(b" ", mid) + 1


@pytest.fixture(params=FILES, ids=IDS)
def case(request: pytest.FixtureRequest, fixtures_dir: Path) -> dict[str, Any]:
    rel, fmt, start = request.param
    data = (fixtures_dir / "exports" / rel).read_bytes()
    intact = imported(data, rel)
    assert intact.file_row["format"] == fmt and intact.rejects.height == 0
    head, recs = split(data, start)
    assert len(recs) == intact.records.height  # the split agrees with the reader's count
    return {"rel": rel, "fmt": fmt, "data": data, "intact": intact, "head": head, "recs": recs}


def test_real_file_counts_match_the_raw_record_starts(case: dict[str, Any]) -> None:
    expected = {"ris": 3, "medline": 5, "bibtex": 3, "scopus_csv": 8, "proquest": 100}
    expected |= {"endnote_xml": 179, "pubmed_xml": 2}
    assert case["intact"].records.height == expected[case["fmt"]]


def test_bom(case: dict[str, Any]) -> None:
    data = case["data"].removeprefix(b"\xef\xbb\xbf")
    result = imported(b"\xef\xbb\xbf" + data, case["rel"])
    assert content(result) == content(case["intact"])


def test_utf16(case: dict[str, Any]) -> None:
    text = case["data"].decode("utf-8-sig")
    for encoded in (text.encode("utf-16"), text.encode("utf-16-le")):
        result = imported(encoded, case["rel"])
        assert content(result) == content(case["intact"])
        assert str(result.file_row["encoding"]).startswith("utf-16")


def test_latin1_file(case: dict[str, Any]) -> None:
    """The whole export in Latin-1 (characters it lacks become '?'): the same text as the UTF-8
    file with the same characters."""
    text = case["data"].decode("utf-8-sig").encode("latin-1", "replace").decode("latin-1")
    as_latin1 = imported(text.encode("latin-1"), case["rel"])
    as_utf8 = imported(text.encode("utf-8"), case["rel"])
    assert content(as_latin1) == content(as_utf8)
    if not text.isascii():
        assert "not UTF-8" in str(as_latin1.file_row["encoding_note"])


def test_one_record_in_latin1_leaves_the_others_unchanged(case: dict[str, Any]) -> None:
    recs: list[bytes] = list(case["recs"])
    if b"\n" not in b"".join(recs).strip():  # records on one line (XML): no other lines
        assert case["fmt"] in XML
        return

    # the record with the most non-ASCII bytes (that Latin-1 can hold) is re-encoded
    def latin1(rec: bytes) -> bytes:
        return rec.decode("utf-8").encode("latin-1", "replace")

    k = max(range(len(recs)), key=lambda i: sum(b > 127 for b in latin1(recs[i])))
    if not any(b > 127 for b in latin1(recs[k])):
        # an export with no letter Latin-1 holds (the PMC MEDLINE sample): its first record is
        # given words with such letters (inside a value, after a space), so no format is skipped
        k, at = 0, inside_text(recs[0], case["fmt"])
        recs[0] = recs[0][:at] + "Zürich Malmö ".encode() + recs[0][at:]
    damaged = case["head"] + b"".join(latin1(r) if i == k else r for i, r in enumerate(recs))
    result = imported(damaged, case["rel"])
    got, before = content(result), content(case["intact"])
    assert len(got) == len(before)
    assert [r for i, r in enumerate(got) if i != k] == [r for i, r in enumerate(before) if i != k]
    # the damaged record reads as the same text with Latin-1's '?' for what it lacks
    replaced = case["head"] + b"".join(
        latin1(r).decode("latin-1").encode("utf-8") if i == k else r for i, r in enumerate(recs)
    )
    assert got[k] == content(imported(replaced, case["rel"]))[k]
    note = str(result.file_row["encoding_note"])
    assert note.startswith("UTF-8 except") and "decoded as cp1252" in note


def test_nul_inserted(case: dict[str, Any]) -> None:
    recs: list[bytes] = list(case["recs"])
    at = recs[0].index(b" ", len(recs[0]) // 2) + 1  # inside the first record, after a space
    recs[0] = recs[0][:at] + b"\x00" + recs[0][at:]
    result = imported(case["head"] + b"".join(recs), case["rel"])
    assert content(result) == content(case["intact"])  # the NUL never reaches a value
    assert "1 control character(s) removed from values (U+0000 x1)" in result.notes


def _with_big_field(case: dict[str, Any]) -> tuple[bytes, int]:
    """The file with a 5 MB field in its first record, and that record's index."""
    recs: list[bytes] = list(case["recs"])
    first, fmt = recs[0], case["fmt"]
    if fmt == "scopus_csv":  # the first cell of the first row grows
        recs[0] = first[:1] + BIG + first[1:]
    elif fmt in XML:  # an element of its own after the record's opening tag
        at = first.index(b">") + 1
        recs[0] = first[:at] + b"<notes>" + BIG + b"</notes>" + first[at:]
    elif fmt == "bibtex":  # a huge *first* field: format detection must still see BibTeX
        line_end = first.index(b"\n") + 1
        recs[0] = first[:line_end] + b"huge={" + BIG + b"},\n" + first[line_end:]
    else:
        line_end = first.index(b"\n") + 1
        tag = {"ris": b"C1  - ", "medline": b"GN  - ", "proquest": b"\r\nNotes: "}[fmt]
        if fmt == "proquest":  # after the heading: "Document 1 of 100", blank, title, blank
            line_end = first.index(b"Author:")
            tag, end = tag[2:], b"\r\n\r\n"
        else:
            end = b"\n"
        recs[0] = first[:line_end] + tag + BIG + end + first[line_end:]
    return case["head"] + b"".join(recs), 0


def test_5mb_field(case: dict[str, Any]) -> None:
    damaged, k = _with_big_field(case)
    result = imported(damaged, case["rel"])
    got, before = content(result), content(case["intact"])
    assert len(got) == len(before) and got[1:] == before[1:]
    assert any(len(v) >= len(BIG.strip()) for v in got[k]["raw_values"])


def test_duplicated_record(case: dict[str, Any]) -> None:
    recs: list[bytes] = case["recs"]
    result = imported(case["head"] + recs[0] + b"".join(recs), case["rel"])
    before = content(case["intact"])
    assert content(result) == [before[0], *before]
    assert result.records["record_id"].n_unique() == result.records.height
    assert any("repeated" in n for n in result.notes)


def test_truncated_mid_record(case: dict[str, Any]) -> None:
    """Cut in the middle of the last record: the records before it are untouched; the cut one
    is kept as far as it goes (tagged, BibTeX, ProQuest) or, in a CSV cut inside a quoted
    cell, the file is refused naming the row."""
    recs: list[bytes] = case["recs"]
    last = recs[-1]
    cut = last.index(b',"', len(last) // 2) + 2 if case["fmt"] == "scopus_csv" else len(last) // 2
    damaged = case["head"] + b"".join(recs[:-1]) + last[:cut]
    result = run(damaged, case["rel"])
    if case["fmt"] == "scopus_csv":
        assert isinstance(result, str)
        assert f"unterminated quoted field at row {len(recs) + 1}: the file looks truncated" in (
            result
        )
        return
    assert isinstance(result, importing.Imported), result
    got, before = content(result), content(case["intact"])
    if case["fmt"] in XML:  # a record without its closing tag is a reject, and said
        assert got == before[:-1] and result.rejects.height == 1
        assert str(result.rejects["reason"][0]).startswith("record is cut off")
        assert any("records were read one by one" in n for n in result.notes)
        return
    assert len(got) == len(before) and got[:-1] == before[:-1]


def test_truncated_inside_a_character(case: dict[str, Any]) -> None:
    """Cut after the first byte of the file's last multi-byte character: still UTF-8 with a
    note, and every record before the cut reads exactly as before."""
    data: bytes = case["data"]
    if data.isascii():  # a word with a two-byte letter in the last record's text
        last = len(data) - len(case["recs"][-1])
        at = last + inside_text(case["recs"][-1], case["fmt"])
        data = data[:at] + "Zürich ".encode() + data[at:]
    lead = max(i for i, b in enumerate(data) if b >= 0xC2 and b < 0xF5)
    damaged = data[: lead + 1]
    result = run(damaged, case["rel"])
    if isinstance(result, str):  # a CSV cut inside a quoted cell
        assert case["fmt"] == "scopus_csv" and "the file looks truncated" in result
        return
    assert result.file_row["encoding"] == "utf-8"
    assert "file ends inside a character: truncated download?" in str(
        result.file_row["encoding_note"]
    )
    offset = len(case["head"])
    n_before = 0
    for rec in case["recs"]:
        offset += len(rec)
        if offset > lead:
            break
        n_before += 1
    got, before = content(result), content(case["intact"])
    assert got[:n_before] == before[:n_before]
    assert len(got) in (n_before, n_before + 1)


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\nTY  - JOUR\n", "a PDF document"),
        (b"\x1f\x8b\x08\x00" + bytes(range(256)) * 4, "a gzip archive"),
        (b"Rar!\x1a\x07\x00TY  - JOUR\n", "a RAR archive"),
        (__import__("random").Random(7).randbytes(20_000), "control character(s)"),
    ],
    ids=["pdf", "gzip", "rar", "random"],
)
def test_real_binary_is_refused_naming_the_file(data: bytes, why: str) -> None:
    for fmt in ("auto", "ris"):
        meta = importing.SourceMeta("dmg", "Damaged DB", "2025-01-01", "damaged/blob.ris")
        with pytest.raises(importing.ImportError_, match="binary content") as err:
            importing.import_export(data, meta, fmt=fmt)
        assert "damaged/blob.ris" in str(err.value) and why in str(err.value)


def test_stray_control_bytes_do_not_make_a_file_binary() -> None:
    """A 2-record MEDLINE file with a NUL, an ESC and a form feed: both records, no control
    character in any value, one note counting them."""
    text = (
        "PMID- 1\nTI  - First\x00 title\nAB  - An\x1b abstract.\n\n"
        "PMID- 2\nTI  - Second\x0c title\n"
    )
    result = imported(text.encode(), "two.nbib")
    assert result.records["title"].to_list() == ["First title", "Second title"]
    assert result.records["abstract"].to_list()[0] == "An abstract."
    assert result.notes == [
        "3 control character(s) removed from values (U+0000 x1, U+000C x1, U+001B x1)"
    ]


def test_csv_cell_over_the_csv_modules_default_limit(fixtures_dir: Path) -> None:
    """A WoS tab-delimited export whose first abstract is 300 KB (csv's default limit is
    128 KiB): all 50 records, the others unchanged."""
    rel = "wosfile/wos_tab_delimited_win_utf8.txt"
    data = (fixtures_dir / "exports" / rel).read_bytes()
    intact = imported(data, rel)
    head, _, body = data.partition(b"\n")
    columns = head.decode("utf-8-sig").rstrip("\r").split("\t")
    cells = body.split(b"\n", 1)
    row = cells[0].split(b"\t")
    row[columns.index("AB")] = b"long abstract " * 22_000
    damaged = head + b"\n" + b"\t".join(row) + b"\n" + cells[1]
    result = imported(damaged, rel)
    assert result.records.height == intact.records.height == 50
    assert content(result)[1:] == content(intact)[1:]
    assert len(content(result)[0]["abstract"]) > 300_000


def test_truncated_csv_names_the_row() -> None:
    data = b'Title,Year,Abstract\n"A",2020,"one"\n"B",2021,"two, cut her'
    message = run(data, "cut.csv")
    assert isinstance(message, str)
    assert message.endswith(
        "unterminated quoted field at row 3: the file looks truncated (the row starts at line 3)"
    )


@pytest.mark.parametrize(
    "prefix",
    [b"", b"\xef\xbb\xbf", b"% Encoding: UTF-8\n\n", b"\n" * 200],
    ids=["plain", "bom", "comment", "blank-lines"],
)
def test_bibtex_with_a_huge_first_field_on_its_first_line_is_detected(prefix: bytes) -> None:
    data = prefix + b"@article{k1, abstract={" + BIG + b"}, title={T}}\n@book{k2, title={U}}\n"
    result = imported(data, "huge.bib")
    assert result.file_row["format"] == "bibtex"
    assert result.records["title"].to_list() == ["T", "U"]
    assert len(result.records["abstract"][0]) == len(BIG.strip())


def test_scopus_bibtex_without_the_comma_after_note_loses_no_field(fixtures_dir: Path) -> None:
    """Scopus writes ``note={cited By 0}`` without the comma before the next field in some
    exports; bibtexparser read the next field (the Scopus URL) into the note."""
    rel = "synthesisr/Scopus_bib_example.bib"
    data = (fixtures_dir / "exports" / rel).read_bytes()
    assert data.count(b"note={cited By 0},\n") == 3
    damaged = data.replace(b"note={cited By 0},\n", b"note={cited By 0}\n")
    intact, result = imported(data, rel), imported(damaged, rel)
    assert content(result) == content(intact) and result.rejects.height == 0
    assert result.records["url"].str.starts_with("https://www.scopus.com/").all()
    assert (
        "3 entries lack a comma between fields, fields read apart: "
        "Li2020, Cao2020, Tang2020" in result.notes
    )


def test_proquest_fields_read_off_the_raw_file(fixtures_dir: Path) -> None:
    rel = "metaknowledge/ProQuest_TestFile.testtxt"
    result = imported((fixtures_dir / "exports" / rel).read_bytes(), rel)
    first = result.records.sort("source_line").row(0, named=True)
    assert first["title"] == "Entrenchment and the Kripke-Wittgenstein paradox"
    assert first["authors"] == ["Dorst, Chris"] and first["year"] == 2014
    assert first["publication_type"] == "thesis" and first["language"] == "en"
    assert first["isbn"] == ["9781303940095"] and first["native_id"] == "1548716365"
    assert first["url"].endswith("docview/1548716365?accountid=14906")
    assert first["abstract"].startswith("Surprisingly little attention has been paid")
    assert first["source_line"] == 218  # the "Document 1 of 100" line
    tags = first["raw_tags"]
    assert tags[:4] == ["Heading", "Author", "Document URL", "Abstract"]
    assert tags.count("Links") == 2  # "Links: ..." and the untagged link line after it
    # every record has its abstract and its ProQuest document ID
    assert result.records["abstract"].is_not_null().all()
    assert result.records["native_id"].n_unique() == 100
    assert any("outside any document" in n for n in result.notes)


@pytest.mark.parametrize("codec", ["latin-1", "cp1252", "utf-16", "utf-8"])
def test_xml_declaring_its_encoding_reads_as_the_same_text(
    codec: str, case: dict[str, Any]
) -> None:
    """The decoded text is parsed: a declaration of a legacy or UTF-16 encoding must not make
    the XML parser decode it again (ISO-8859-1 gave 'ZÃ¼rich')."""
    if case["fmt"] not in XML:
        return
    text = case["data"].decode("utf-8-sig").encode(codec, "replace").decode(codec)
    text = text.replace("Canese", "Cänese").replace("Baird", "Bäird")  # letters all four hold
    declared = re.sub(r"\A<\?xml[^>]*\?>", f'<?xml version="1.0" encoding="{codec}"?>', text)
    assert declared != text or not text.startswith("<?xml")
    plain = re.sub(r"\A<\?xml[^>]*\?>", '<?xml version="1.0"?>', text)
    got = imported(declared.encode(codec), case["rel"])
    assert content(got) == content(imported(plain.encode("utf-8"), case["rel"]))
    assert got.notes == [] and got.rejects.height == 0
    assert any("ä" in str(r["authors"]) for r in content(got))


def test_xml_exports_joined_keep_every_record(case: dict[str, Any]) -> None:
    """Two exports in one file (`cat a.xml b.xml`): not one XML document, so each record is
    read alone; all are kept and a note says how the file was read."""
    if case["fmt"] not in XML:
        return
    result = imported(case["data"] + case["data"], case["rel"])
    before = content(case["intact"])
    assert content(result) == before + before and result.rejects.height == 0
    assert any("records were read one by one" in n for n in result.notes)


def test_some_line_ends_turned_into_bare_cr(case: dict[str, Any]) -> None:
    """A third of the line ends become a bare CR (a file passed through an old Mac tool or a
    mail client): every record is still found, with the same text. ProQuest lost a third of
    its documents: a bare CR before "Document N of M" was read as a space."""
    import random

    rng = random.Random(3)
    data: bytes = case["data"]
    lines = data.replace(b"\r\n", b"\n").split(b"\n")
    # not before a blank line: CR then an empty line's LF is a CRLF, one line end
    ends = [b"\r" if nxt and rng.random() < 0.3 else b"\n" for nxt in lines[1:]]
    mixed = b"".join(ln + end for ln, end in zip(lines, ends, strict=False))
    result = imported(mixed + lines[-1], case["rel"])
    assert content(result) == content(case["intact"])
