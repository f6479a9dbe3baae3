"""Inputs corrupted on purpose: each gives a clear error, a reject or a note, never a silent loss.

Also: synthetic exports round-trip through every tagged reader, and property tests that every
record start in the raw text is accounted for whatever junk surrounds it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoping_review import cli, importing, storage
from scoping_review.io.decode import decode
from support import synthetic

META = importing.SourceMeta("src", "Database", "2024-09-18", "export.ris")


def run(data: str | bytes, fmt: str = "auto", **kw: object) -> importing.Imported:
    raw = data.encode() if isinstance(data, str) else data
    return importing.import_export(raw, META, fmt=fmt, **kw)  # type: ignore[arg-type]


def rec(i: int, abstract: str = "An abstract.") -> str:
    return f"TY  - JOUR\nTI  - Title {i}\nAU  - Author, A.\nAB  - {abstract}\nAN  - {i}\nER  - \n\n"


def test_bom_does_not_swallow_the_first_record() -> None:
    result = run(b"\xef\xbb\xbf" + (rec(1) + rec(2)).encode())
    assert result.records["title"].to_list() == ["Title 1", "Title 2"]
    assert result.file_row["encoding_note"] == "byte-order mark"


def test_missing_final_er_keeps_the_last_record() -> None:
    text = (rec(1) + rec(2)).rstrip().removesuffix("ER  -").rstrip() + "\n"
    result = run(text)
    assert result.records.height == 2
    assert result.notes == ["record starting at line 8 has no ER before line 13; kept"]


def test_er_line_inside_an_abstract_does_not_split_the_record() -> None:
    # an abstract wrapped so that one of its lines reads exactly like an end tag
    text = (
        "TY  - JOUR\nTI  - Oestrogen receptor\nAB  - We measured\nER  - \n"
        "PY  - 2020\nAN  - 1\nER  - \n\n" + rec(2)
    )
    result = run(text)
    assert result.records.height == 2 and result.rejects.height == 0
    first = result.records.row(0, named=True)
    assert first["year"] == 2020 and first["native_id"] == "1"  # fields after the false ER kept
    assert any("those fields kept in the record" in n and "line(s) 4" in n for n in result.notes)
    # a bare end line is no value (Ovid's ER before NL gave a URL field the value 'ER  -'),
    # and the record is not said to lack its end line
    assert first["abstract"] == "We measured"
    assert not any("has no ER" in n for n in result.notes)
    # a line merely starting with "ER" is text, as it always was
    assert run(rec(3, "ER-positive cells\nER stress rose")).records["abstract"].to_list() == [
        "ER-positive cells ER stress rose"
    ]


def test_ovid_numbered_lines_and_links_are_between_records() -> None:
    text = "".join(
        f"{i}.\n{rec(i)}Link to the Ovid Full Text or citation: http://ovidsp.ovid.com/{i}\n\n"
        for i in (1, 2, 3)
    )
    result = run(text)
    assert result.records["native_id"].to_list() == ["1", "2", "3"]
    assert result.records["abstract"].to_list() == ["An abstract."] * 3
    assert any("6 line(s) of text outside any record" in n for n in result.notes)


def test_single_space_separator_and_bare_cr_inside_a_value() -> None:
    text = "TY - JOUR\r\nTI - A title\rwith a bare CR\r\nAU - Doe, J\r\nER -\r\n"
    result = run(text)
    assert result.records.row(0, named=True)["title"] == "A title with a bare CR"
    assert result.records.row(0, named=True)["authors"] == ["Doe, J"]


def test_blank_line_starts_after_an_empty_tag_line_are_all_counted() -> None:
    # MEDLINE records start after a blank line; the start count once consumed the line end of
    # a tag line with no value ("PMID-"), missed the next start and failed the reconciliation
    # (OWN, not PMID: in a file with PMIDs the AB block would be the rest of the first record)
    result = run("OWN -\n\nAB  - Abs\n", fmt="medline")
    assert result.file_row["n_raw"] == 2
    assert result.records.height == 0 and result.rejects["line"].to_list() == [1, 3]


def test_a_unit_separator_inside_a_value_is_removed_and_counted() -> None:
    # one control-character policy (issue 18): C0 controls other than tab/CR/LF never reach
    # a value; the file's notes count them
    result = run(rec(1).replace("Title 1", "Title\x1f1") + rec(2))
    assert result.records["title"].to_list() == ["Title1", "Title 2"]
    assert "1 control character(s) removed from values (U+001F x1)" in result.notes


@pytest.mark.parametrize("encode", [str.encode, lambda t: t.encode("cp1252")])
def test_a_line_break_inside_a_value_keeps_the_words_apart(encode: Any) -> None:
    """Excel and Word write a manual line break inside a cell or title as a vertical tab (or a
    form feed): between two words it is a space ('8-AminoquinolineTherapy' before)."""
    text = rec(1, "8-Aminoquinoline\x0bTherapy for\x0c malaria, café\x0b")
    result = run(encode(text))
    assert result.records["abstract"].to_list() == ["8-Aminoquinoline Therapy for malaria, café"]
    assert "3 control character(s) removed from values (U+000B x2, U+000C x1)" in result.notes


def test_ris_tags_are_two_characters_wide() -> None:
    # "T   - x" is not a one-letter tag: it is text continuing the field before it
    result = run("TY  - JOUR\nTI  - Title\nT   - x\nAN  - 1\nER  - \n")
    assert result.records.row(0, named=True)["title"] == "Title T   - x"


def test_utf16_with_and_without_bom() -> None:
    text = rec(1)
    for data in (text.encode("utf-16"), text.encode("utf-16-le")):
        result = run(data)
        assert result.records["title"].to_list() == ["Title 1"]
        assert result.file_row["encoding"].startswith("utf-16")


@pytest.mark.parametrize("encoding", ["utf-32", "utf-32-le", "utf-32-be"])
@pytest.mark.parametrize("title", ["Title 1", "Évaluation des résultats, Müller 🧠", "Связь"])
def test_utf32_with_and_without_bom_reads_as_utf8_does(encoding: str, title: str) -> None:
    data = rec(1, title).encode(encoding)
    result = run(data)
    assert (
        result.records["title"].to_list() == run(rec(1, title).encode()).records["title"].to_list()
    )
    assert result.file_row["encoding"].startswith("utf-32")
    cut = run(data + "x".encode(encoding)[-4:][:2])  # a download cut inside a character
    assert cut.records["title"].to_list() == result.records["title"].to_list()


def test_zero_bytes_that_are_not_utf16_fall_through_to_the_other_rules() -> None:
    """Every other byte zero, but an odd length: not UTF-16 after all (it used to raise)."""
    decoded = decode(b"\x01\x00\x01\x00\x01")
    assert decoded.encoding == "utf-8"
    assert decoded.text == "\x01\x00\x01\x00\x01"


def test_valid_utf8_is_not_turned_into_a_python_string_until_asked() -> None:
    data = rec(1, "Gülüm café").encode()
    decoded = decode(data)
    assert decoded.utf8 is data and decoded.note == "valid UTF-8"
    assert decoded.head(5) == "TY  -"
    assert decoded.text == data.decode()
    assert decode(b"\xef\xbb\xbf" + data).utf8 == data  # the BOM is removed from the bytes too


def test_cp1252_is_detected_and_recorded() -> None:
    result = run(rec(1, "Gülüm’s café – naïve").encode("cp1252"))
    assert result.records["abstract"].to_list() == ["Gülüm’s café – naïve"]
    assert result.file_row["encoding"] == "cp1252"
    assert "not UTF-8" in str(result.file_row["encoding_note"])


def test_mojibake_is_repaired_and_recorded() -> None:
    broken = "Gülüm’s café".encode().decode("cp1252")  # 'GÃ¼lÃ¼mâ€™s cafÃ©'
    result = run(rec(1, broken))
    assert result.records["abstract"].to_list() == ["Gülüm’s café"]
    assert "mojibake repaired on 1 line(s)" in str(result.file_row["encoding_note"])


def test_a_declared_encoding_that_does_not_fit_is_a_clear_error() -> None:
    with pytest.raises(importing.ImportError_, match=r"export\.ris: cannot decode as 'utf-8'"):
        run(rec(1).encode("utf-16"), encoding="utf-8")
    assert decode(rec(1).encode("cp1252"), "cp1252").note == "declared in config"


def test_empty_records_are_rejects_with_line_and_raw_text() -> None:
    result = run("TY  - JOUR\nER  - \n\n" + rec(1) + "PT J\n")
    assert result.rejects.row(0, named=True)["line"] == 1
    assert result.rejects.row(0, named=True)["raw"] == "TY  - JOUR\nER  - "
    assert result.file_row["n_raw"] == 2


def test_table_with_cells_beyond_its_header_is_refused() -> None:
    with pytest.raises(importing.ImportError_, match="line 3: 3 cells but the header has 2"):
        run("title,year\nA,2020\nB,2021,surprise\n")
    # an empty extra cell (WoS tab files end each row with a tab) is fine
    assert run("title\tyear\nA\t2020\t\n").records["year"].to_list() == [2020]


def test_generic_csv_with_a_column_mapping() -> None:
    text = 'Article Title,Who,When,Ref\n"A, title",Doe J; Roe R,2019,R1\nB,X,2020,R2\n'
    result = run(text, columns={"title": "Article Title", "authors": "Who", "year": "When",
                                "native_id": "Ref"})  # fmt: skip
    assert result.records["record_id"].to_list() == ["src:R1", "src:R2"]
    assert result.records.row(0, named=True)["authors"] == ["Doe J", "Roe R"]
    with pytest.raises(importing.ImportError_, match="not in the header"):
        run(text, columns={"title": "Nope"})
    with pytest.raises(importing.ImportError_, match="unknown canonical field"):
        run(text, columns={"colour": "Who"})


def test_xlsx_by_bytes(tmp_path: Path) -> None:
    import xlsxwriter

    path = tmp_path / "sheet.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    for r, row in enumerate(
        [["Title", "Year", "DOI"], ["A", "2020", "10.1000/x"], ["B", "2021", ""]]
    ):
        sheet.write_row(r, 0, row)
    book.close()
    result = storage.import_file(path, source_id="x")
    assert result.file_row["format"] == "xlsx"
    assert result.records.select("title", "year", "doi").rows() == [
        ("A", 2020, "10.1000/x"),
        ("B", 2021, None),
    ]
    assert result.records["source_line"].to_list() == [2, 3]


def test_cli_import_prints_the_reconciliation_and_writes_rejects(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "export.ris"
    path.write_text("TY  - JOUR\nER  - \n\n" + rec(1))
    out, rejects = tmp_path / "r.parquet", tmp_path / "x.parquet"
    code = cli.main(["import", str(path), "--out", str(out), "--rejects", str(rejects)])
    text = capsys.readouterr().out
    assert code == 0
    assert "parsed + rejected = 2 == record starts" in text
    assert "reject at line 1: record has no fields" in text
    assert pl.read_parquet(out).height == 1 and pl.read_parquet(rejects).height == 1


@pytest.mark.parametrize("fmt", synthetic.FORMATS)
def test_synthetic_exports_round_trip(fmt: str) -> None:
    frame = synthetic.records(40, seed=3)
    result = run(synthetic.render(frame, fmt), fmt="auto")
    assert result.file_row["format"] == fmt
    got = result.records
    assert got.height == 40
    for col in ("title", "year", "volume", "issue", "pages", "doi", "issn"):
        assert got[col].to_list() == frame[col].to_list(), col
    # WoS writes source titles in capitals
    assert got["journal"].str.to_lowercase().equals(frame["journal"].str.to_lowercase())
    if fmt != "medline":  # MEDLINE's FAU is "Last, First" as rendered; AU is "Last FM"
        assert got["authors"].to_list() == frame["authors"].to_list()
    assert got["keywords"].to_list() == frame["keywords"].to_list()


def test_synthetic_is_deterministic() -> None:
    a = synthetic.render(synthetic.records(25, seed=9), "ris")
    assert a == synthetic.render(synthetic.records(25, seed=9), "ris")
    assert a != synthetic.render(synthetic.records(25, seed=10), "ris")


junk = st.sampled_from(
    ["", "1.", "Link to the Ovid Full Text: http://ovid/x", "Provider: EBSCO", "ER  - ", "EF"]
)
text_line = st.text(
    alphabet=st.characters(min_codepoint=32, max_codepoint=0x2FF, exclude_characters="\r"),
    max_size=30,
)


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(0, 7),
    junk_lines=st.lists(junk, max_size=3),
    wrapped=st.lists(text_line, max_size=3),
    crlf=st.booleans(),
    bom=st.booleans(),
    drop_last_er=st.booleans(),
)
def test_every_record_start_is_accounted_for_among_junk(
    n: int, junk_lines: list[str], wrapped: list[str], crlf: bool, bom: bool, drop_last_er: bool
) -> None:
    between = "".join(f"{j}\n" for j in junk_lines)
    abstract = "\n".join(["Start.", *(w for w in wrapped if not w.lstrip().startswith("TY"))])
    body = between + "".join(rec(i, abstract) + between for i in range(n))
    if drop_last_er and n:
        cut = body.rfind("ER  - ")
        body = body[:cut] + body[cut + len("ER  - ") :]
    text = body.replace("\n", "\r\n") if crlf else body
    data = (b"\xef\xbb\xbf" if bom else b"") + text.encode()
    if n == 0:
        with pytest.raises(importing.ImportError_):
            run(data, fmt="auto")
        return
    result = run(data, fmt="ris")
    assert result.file_row["n_raw"] == n
    assert result.records.height + result.rejects.height == n
    # without its ER the last record runs on to the next start tag (or the end of the file),
    # so junk after it is read as its text: only the earlier records' fields are certain
    certain = n - 1 if drop_last_er else n
    assert result.records["native_id"].to_list()[:certain] == [str(i) for i in range(certain)]


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 6), seed=st.integers(0, 1000), fmt=st.sampled_from(["medline", "wos"]))
def test_every_synthetic_medline_and_wos_start_is_accounted_for(
    n: int, seed: int, fmt: str
) -> None:
    text = synthetic.render(synthetic.records(n, seed), fmt)
    result = run(text, fmt=fmt)
    assert result.file_row["n_raw"] == result.records.height == n


def test_mojibake_rule_leaves_lone_pairs_alone() -> None:
    """The repair rule (io/decode.py): a line is repaired only with at least two double-encoded
    pairs touching an ASCII letter. Valid text with a lone pair ("Âª", a catalogue of Latin-1
    characters) is kept exactly; real double-encoded words are repaired."""
    from scoping_review.io.decode import repair_mojibake

    assert repair_mojibake("Âª and Â\x80 stay")[1] == 0
    assert repair_mojibake("¡ ¢ £ À Á Â Ã Ä Å Æ ç è é")[1] == 0
    assert repair_mojibake("cafÃ© in ZÃ¼rich") == ("café in Zürich", 1)


@pytest.mark.parametrize("fmt", sorted(importing.tagged.FORMATS))
def test_a_continuation_pattern_never_matches_a_layout_or_blank_line(fmt: str) -> None:
    """The reader only asks ``tag_regex`` about lines that are neither in the layout nor
    continuations, and leaves a layout line's tag alone: that holds because a continuation
    pattern needs an indent, which a layout line (its tag comes first) never has."""
    tf = importing.tagged.FORMATS[fmt]
    if tf.continuation_regex is None:
        return
    lines = pl.DataFrame(
        {"line": ["AB  - text", "PMID- 1", "PT J", "AU Doe, J", "TY  - JOUR", "%T x", "", "   "]}
    )
    flags = lines.select(
        layout=pl.col("line").str.contains(tf.layout_regex),
        cont=pl.col("line").str.contains(tf.continuation_regex),
    )
    assert flags["layout"].any()  # the sample has lines in this format's layout
    assert not (flags["cont"] & flags["layout"]).any()
    assert not flags["cont"].tail(2).any()  # blank lines are not continuations
    assert lines.select(pl.lit("   indented").str.contains(tf.continuation_regex)).item()


def test_a_note_that_lists_some_of_its_lines_says_how_many_more() -> None:
    """A note counts every line it is about but lists five: the rest is said ("and N more"), as
    a reader otherwise takes the five for all of them (an Ovid export had six)."""
    text = "".join(rec(i) + "ER  - \n" for i in range(1, 8))  # an empty trailing record each
    result = run(text)
    assert result.records.height == 7
    (note,) = [n for n in result.notes if "without a record before them" in n]
    assert note.startswith("7 ER line(s)")
    assert note.endswith("line(s) 8, 16, 24, 32, 40 and 2 more")


@given(st.lists(st.integers(), max_size=12), st.integers(0, 20), st.integers(1, 6))
def test_first_few_lists_at_most_shown_and_counts_the_rest(
    items: list[int], extra: int, shown: int
) -> None:
    from scoping_review.wording import first_few

    total = len(items) + extra
    said = first_few(list(items), total, shown)
    listed = said.split(" and ")[0]
    assert listed == ", ".join(str(x) for x in items[:shown])
    more = total - min(len(items), shown)
    assert said.endswith(f" and {more} more") == (more > 0)
