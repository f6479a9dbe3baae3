"""Importers: every record start in the raw text is parsed or rejected, never dropped."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import records
from scoping_review import importing, ledger, schemas
from scoping_review.io.decode import decode, repair_mojibake

META = importing.SourceMeta("src", "Database", "2024-09-18", "export.txt")


def run(text: str | bytes, fmt: str = "auto") -> importing.Imported:
    data = text.encode() if isinstance(text, str) else text
    return importing.import_export(data, META, fmt=fmt)


RIS = (
    "TY  - JOUR\nAU  - Safran, J. D.\nAU  - Kraus, J.\n"
    "TI  - Alliance ruptures, impasses, and enactments:\n  a relational perspective\n"
    "PY  - 2014\nJO  - Psychotherapy\nVL  - 51\nIS  - 3\nSP  - 381\nEP  - 387\n"
    "DO  - https://doi.org/10.1037/A0036815\nAN  - 2014-1\nLA  - English\nKW  - rupture\nKW  - repair\n"
    "ER  - \n\n"
    "TY  - CHAP\nTI  - A chapter\nPY  - 2001\nAN  - 2014-2\nER  -\n"
)


def test_ris_fields_are_mapped_and_raw_tags_kept() -> None:
    result = run(RIS)
    assert result.file_row["format"] == "ris"
    first = result.records.row(0, named=True)
    assert first["record_id"] == "src:2014-1"
    assert first["authors"] == ["Safran, J. D.", "Kraus, J."]
    assert first["title"] == "Alliance ruptures, impasses, and enactments: a relational perspective"
    assert first["pages"] == "381-387"
    assert first["doi"] == "10.1037/a0036815"
    assert first["language"] == "en"
    assert first["keywords"] == ["rupture", "repair"]
    assert first["publication_type"] == "article"
    assert first["raw_tags"].count("AU") == 2
    assert result.records.row(1, named=True)["publication_type"] == "chapter"


def test_bom_and_crlf_do_not_hide_the_first_record() -> None:
    data = b"\xef\xbb\xbf" + RIS.replace("\n", "\r\n").encode()
    result = run(data)
    assert result.file_row["encoding_note"] == "byte-order mark"
    assert result.file_row["n_raw"] == result.file_row["n_parsed"] == 2


def test_missing_final_er_keeps_the_last_record_and_says_so() -> None:
    text = RIS.rsplit("ER  -", 1)[0]
    result = run(text)
    assert result.records.height == 2
    assert any("has no ER" in n for n in result.notes)


def test_empty_record_is_rejected_with_its_line() -> None:
    result = run("TY  - JOUR\nER  - \n\n" + RIS)
    assert result.file_row["n_raw"] == 3
    assert result.rejects.row(0, named=True)["line"] == 1
    assert "no fields" in result.rejects.row(0, named=True)["reason"]


def test_utf16_wos_and_cp1252_are_decoded() -> None:
    assert decode("PT J\n".encode("utf-16")).encoding.startswith("utf-16")
    legacy = decode("TI  - Gülüm\n".encode("cp1252"))
    assert legacy.encoding == "cp1252" and "Gülüm" in legacy.text


MEDLINE = (
    "PMID- 99000001\nTI  - Rupture repair as change process and\n      therapist challenge.\n"
    "FAU - Muran, J C\nFAU - Lipner, L M\nAU  - Muran JC\nDP  - 2022 Sep\nJT  - Studies in Psychology\n"
    "VI  - 43\nIP  - 3\nPG  - 482-509\nLID - 10.1080/02109395.2022.2127234 [doi]\nPT  - Journal Article\n"
    "LA  - eng\n\nPMID- 99000002\nTI  - Second\nDP  - 2020\n"
)


def test_medline_continuation_and_doi_from_lid() -> None:
    result = run(MEDLINE)
    assert result.file_row["format"] == "medline"
    first = result.records.row(0, named=True)
    assert first["record_id"] == "src:99000001"
    assert first["title"] == "Rupture repair as change process and therapist challenge."
    assert first["authors"] == ["Muran, J C", "Lipner, L M"]
    assert first["doi"] == "10.1080/02109395.2022.2127234"
    assert first["pmid"] == "99000001"
    assert first["year"] == 2022


WOS = (
    "FN Clarivate Analytics Web of Science\nVR 1.0\nPT J\nAU Okamoto, A\n   Kazantzis, N\n"
    "AF Okamoto, Akiko\n   Kazantzis, Nikolaos\nTI Alliance ruptures in cognitive-behavioral\n"
    "   psychotherapy\nSO JOURNAL OF CLINICAL PSYCHOLOGY\nDT Article\nDE rupture; repair\n"
    "PY 2021\nVL 77\nIS 2\nBP 384\nEP 397\nDI 10.1002/jclp.23116\nUT WOS:000600000000001\nER\n\nEF\n"
)


def test_wos_list_tags_and_continuations() -> None:
    result = run(WOS)
    assert result.file_row["format"] == "wos"
    rec = result.records.row(0, named=True)
    assert rec["record_id"] == "src:WOS:000600000000001"
    assert rec["authors"] == ["Okamoto, Akiko", "Kazantzis, Nikolaos"]
    assert rec["title"] == "Alliance ruptures in cognitive-behavioral psychotherapy"
    assert rec["keywords"] == ["rupture", "repair"]
    assert rec["pages"] == "384-397"


def test_unknown_format_names_the_file() -> None:
    with pytest.raises(importing.ImportError_, match=r"export\.txt: cannot tell the export format"):
        run("just some text\n")


def test_repeated_native_ids_get_distinct_record_ids() -> None:
    result = run(MEDLINE + "\n\n" + MEDLINE)
    ids = result.records["record_id"].to_list()
    assert len(ids) == len(set(ids)) == 4
    assert "src:99000001~2" in ids


ris_value = (
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")),
        min_size=1,
        max_size=40,
    )
    .map(str.strip)
    .filter(bool)
    # judgement call: text shaped exactly like double-encoded UTF-8 ("Â¡") is repaired on
    # import (and the file's encoding note says so), so it cannot round-trip unchanged
    .filter(lambda t: repair_mojibake(t)[1] == 0)
)


@settings(max_examples=75, deadline=None)
@given(
    titles=st.lists(ris_value, min_size=0, max_size=8),
    bom=st.booleans(),
    crlf=st.booleans(),
    drop_last_er=st.booleans(),
)
def test_every_ris_record_start_is_accounted_for(
    titles: list[str], bom: bool, crlf: bool, drop_last_er: bool
) -> None:
    body = "".join(f"TY  - JOUR\nTI  - {t}\nER  - \n\n" for t in titles)
    if drop_last_er and titles:
        body = body[: body.rfind("ER  - ")]
    text = body.replace("\n", "\r\n") if crlf else body
    data = (b"\xef\xbb\xbf" if bom else b"") + text.encode()
    if not titles:
        with pytest.raises(importing.ImportError_):
            run(data)
        return
    result = run(data)
    assert result.file_row["n_raw"] == len(titles)
    assert result.records.height + result.rejects.height == len(titles)
    assert result.records["title"].to_list() == titles


REAL_FILES = [
    ("exports/wosfile/wos_plaintext.txt", "wos", 50),
    ("exports/synthesisr/scopus.ris", "ris", 92),
    ("exports/synthesisr/zoorec.txt", "wos", 134),
    ("exports/nbib_holub008/pmc_medlars.txt", "medline", 5),
    ("exports/rispy/example_bom.ris", "ris", 1),  # BOM, and a record without a title
    ("exports/asreview/_baseline.ris", "ris", 100),
    ("exports/synthesisr/PubMed_example.txt", "medline", 3),
    ("exports/metaknowledge/TwoPaper.isi", "wos", 2),
]


@pytest.mark.parametrize(("rel", "fmt", "expected"), REAL_FILES)
def test_real_exports_reconcile(fixtures_dir: Path, rel: str, fmt: str, expected: int) -> None:
    data = (fixtures_dir / rel).read_bytes()
    result = importing.import_export(data, importing.SourceMeta("s", "db", "", rel))
    assert result.file_row["format"] == fmt
    assert result.file_row["n_raw"] == expected
    assert result.records.height + result.rejects.height == expected
    if "example_bom" not in rel:
        assert result.records["title"].null_count() == 0
    else:
        assert result.records["doi"].to_list() == ["10.1186/s40981-020-0316-0"]


def test_colrev_ris_with_single_space_separator_and_no_last_er(fixtures_dir: Path) -> None:
    path = fixtures_dir / "exports/colrev/2_loader_data/ris_data.ris"
    result = importing.import_export(path.read_bytes(), importing.SourceMeta("s", "db", "", "ris"))
    assert result.file_row["n_raw"] == result.records.height + result.rejects.height
    assert result.records.height >= 1


@settings(max_examples=50, deadline=None)
@given(titles=st.lists(ris_value, min_size=1, max_size=6), crlf=st.booleans(), wrap=st.booleans())
def test_every_medline_and_wos_record_is_accounted_for(
    titles: list[str], crlf: bool, wrap: bool
) -> None:
    medline = "".join(
        f"PMID- {99000000 + i}\nTI  - {t}\n" + ("      continued\n" if wrap else "") + "\n"
        for i, t in enumerate(titles)
    )
    wos = (
        "FN Clarivate Analytics Web of Science\nVR 1.0\n"
        + "".join(
            f"PT J\nTI {t}\n" + ("   continued\n" if wrap else "") + f"UT WOS:{i:015d}\nER\n\n"
            for i, t in enumerate(titles)
        )
        + "EF\n"
    )
    for text, fmt in ((medline, "medline"), (wos, "wos")):
        data = (text.replace("\n", "\r\n") if crlf else text).encode()
        result = run(data, fmt)
        assert result.file_row["n_raw"] == len(titles)
        assert result.records.height == len(titles)
        expected = [f"{t} continued" if wrap else t for t in titles]
        assert result.records["title"].to_list() == expected


def test_import_counts_give_each_search_its_records_and_rejects() -> None:
    """database_results holds every record and reject; each search's count its own, even for
    search IDs that start one another ('a', 'a-b')."""
    recs = records([{"record_id": i} for i in ["a:1", "a:2", "a-b:1", "b:1"]])
    rejects = pl.DataFrame(
        {
            "source_id": ["a", "a-b", "a-b"],
            "file": ["a.ris", "ab.ris", "ab.ris"],
            "line": [12, 3, 40],
            "reason": ["no fields"] * 3,
            "raw": ["TY  - JOUR"] * 3,
        },
        schema=schemas.REJECTS.polars_schema,
    )
    files = pl.DataFrame(schema=schemas.FILES.polars_schema)
    searches = [{"id": s, "database": s.upper()} for s in ("a", "a-b", "b")]
    counts = {c.count_id: c.ids for c in importing.import_counts(recs, rejects, files, searches)}
    assert counts["database_results"] == (
        "a-b:1", "a:1", "a:2", "b:1", "reject:a-b:ab.ris:3", "reject:a-b:ab.ris:40",
        "reject:a:a.ris:12",
    )  # fmt: skip
    assert counts["excluded_other"] == (
        "reject:a-b:ab.ris:3", "reject:a-b:ab.ris:40", "reject:a:a.ris:12"
    )  # fmt: skip
    assert counts["database_results.a"] == ("a:1", "a:2", "reject:a:a.ris:12")
    assert counts["database_results.a-b"] == (
        "a-b:1",
        "reject:a-b:ab.ris:3",
        "reject:a-b:ab.ris:40",
    )
    assert counts["database_results.b"] == ("b:1",)


def test_each_searchs_count_is_traced_to_its_own_exports() -> None:
    """`explain database_results.<search>` named every search's export as its input; it names
    the search's own (the rule's other counts keep all of them)."""
    recs = records([{"record_id": i} for i in ["a:1", "b:1"]])
    files = pl.DataFrame(
        [
            {"source_id": "a", "path": "s/a1.ris", "sha256": "aa"},
            {"source_id": "a", "path": "s/a2.ris", "sha256": "a2"},
            {"source_id": "b", "path": "s/b.nbib", "sha256": "bb"},
        ]
    ).select(pl.col(c).cast(t) if c in ("source_id", "path", "sha256") else pl.lit(None).cast(t).alias(c)
             for c, t in schemas.FILES.polars_schema.items())  # fmt: skip
    rejects = schemas.REJECTS.empty()
    searches = [{"id": "a", "database": "A"}, {"id": "b", "database": "B"}]
    counts = importing.import_counts(recs, rejects, files, searches)
    rule_inputs = dict(zip(files["path"], files["sha256"], strict=True))
    frame = ledger.to_frame(counts, rule_inputs)
    inputs = {r["count_id"]: [i["name"] for i in r["inputs"]] for r in frame.iter_rows(named=True)}
    assert inputs["database_results.a"] == ["s/a1.ris", "s/a2.ris"]
    assert inputs["database_results.b"] == ["s/b.nbib"]
    assert inputs["database_results"] == ["s/a1.ris", "s/a2.ris", "s/b.nbib"]


def test_import_summary_says_on_the_terminal_what_was_rejected_or_noted() -> None:
    """`run` and `update` end with this line when an export lost a record to the rejects or
    carries notes (a damaged file), so that it is not seen only in the report."""
    from scoping_review.importing.counts import import_summary

    def files(rejected: list[int], notes: list[list[str]]) -> pl.DataFrame:
        return pl.DataFrame({"n_rejected": rejected, "notes": notes})

    assert import_summary(files([0, 0], [[], []])) is None
    assert import_summary(files([], [])) is None
    assert import_summary(files([1, 0, 0], [["a"], [], ["b", "c"]])) == (
        "import: 1 record rejected (results/01_import/rejects.parquet); notes on 2 of 3 export "
        "files; the report's data quality section lists them"
    )
    said = import_summary(files([2, 3], [[], []]))
    assert (
        said is not None and said.startswith("import: 5 records rejected") and "notes" not in said
    )


def test_run_prints_the_import_summary_from_the_files_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from scoping_review import cli_notes

    cli_notes.import_summary(tmp_path)  # no run yet: nothing said
    table = tmp_path / "results/01_import/files.parquet"
    table.parent.mkdir(parents=True)
    pl.DataFrame({"n_rejected": [1], "notes": [["a note"]], "path": ["x.ris"]}).write_parquet(table)
    cli_notes.import_summary(tmp_path)
    err = capsys.readouterr().err
    assert err.startswith("import: 1 record rejected") and err.count("\n") == 1


def test_each_reject_is_a_data_quality_finding_with_file_line_and_reason() -> None:
    """A review run said "2 records rejected" while the report's data-quality section listed
    only notes: each reject is a finding, with the file, line and reason to mend."""
    from scoping_review import quality_exports

    rejects = pl.DataFrame(
        {
            "source_id": ["noty"],
            "file": ["searches/noty.ris"],
            "line": [330],
            "reason": ["fields outside any record: a record whose TY line is missing"],
            "raw": ["AB  - x"],
        },
        schema=schemas.REJECTS.polars_schema,
    )
    (found,) = quality_exports.reject_findings(rejects)
    assert found["check"] == "import_reject" and found["severity"] == "warning"
    assert found["message"] == (
        "searches/noty.ris, line 330: fields outside any record: a record whose TY line is missing"
    )
    assert found["ids"] == ["reject:noty:searches/noty.ris:330"]  # the ledger's ID of it
    assert quality_exports.reject_findings(schemas.REJECTS.empty()) == []


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_a_download_cut_inside_a_character_imports_with_or_without_a_bom(bom: bytes) -> None:
    """With a byte-order mark the same cut gave "cannot decode as None": the mark changes
    nothing about how the rest is mended. The note reaches the data-quality findings."""
    from scoping_review import quality_exports

    text = "TY  - JOUR\nTI  - First\nER  - \nTY  - JOUR\nTI  - Caf\u00e9 au lait\n"
    data = bom + text.encode("utf-8")
    cut = data[: data.index(b"\xc3") + 1]  # inside the two-byte \u00e9
    result = importing.import_export(cut, META)
    assert result.records["title"].to_list() == ["First", "Caf"]
    note = str(result.file_row["encoding_note"])
    assert "file ends inside a character: truncated download?" in note
    assert note.startswith("byte-order mark; ") == bool(bom)
    files = pl.DataFrame([{**result.file_row, "notes": result.notes}])
    found = [f for f in quality_exports.import_findings(files) if f["check"] == "import_encoding"]
    assert [f["severity"] for f in found] == ["warning"]
    assert "truncated download" in str(found[0]["message"])


def test_utf16_with_a_bom_cut_inside_a_code_unit_is_read() -> None:
    text = "TY  - JOUR\r\nTI  - First\r\nER  - \r\n"
    cut = (b"\xff\xfe" + text.encode("utf-16-le"))[:-1]
    decoded = decode(cut)
    assert decoded.encoding == "utf-16-le"
    assert decoded.text == text[:-1] and "truncated download" in decoded.note


def test_a_row_missing_a_cell_among_full_rows_is_a_reject() -> None:
    """A Scopus row that lost a cell was imported with its cells under the wrong names (title
    '2025', journal '104'). Among full rows it is set aside with its line and the reason; a
    file whose rows are often short (a tool that trims trailing empty cells) is read as is."""
    header = "Authors,Title,Year,Source title,DOI"
    full = [f'"Doe, J.",Title number {i},2020,Journal {i},10.1/{i}' for i in range(6)]
    short = '"Roe, K.",A row that lost its title cell,2021,10.1/x'  # 4 cells of 5
    data = "\n".join([header, *full[:3], short, *full[3:]]) + "\n"
    result = importing.import_export(data.encode(), META, fmt="csv")
    assert result.records.height == 6
    (reject,) = result.rejects.iter_rows(named=True)
    assert reject["line"] == 5
    assert reject["reason"].startswith("4 cells but the header has 5: a cell is missing")
    trimmed = "\n".join([header, *(row.rsplit(",", 1)[0] for row in full)]) + "\n"
    kept = importing.import_export(trimmed.encode(), META, fmt="csv")
    assert kept.records.height == 6 and kept.rejects.height == 0
    # a row short of a column that is mostly empty lost nothing (a trailing empty cell trimmed)
    notes = "Authors,Title,Year,Source title,DOI,Note"
    sparse = [f"{row}," for row in full] + [f"{full[0]},a note"]
    mixed = "\n".join([notes, *sparse, '"Roe, K.",Trimmed row,2021,J,10.1/t']) + "\n"
    read = importing.import_export(mixed.encode(), META, fmt="csv")
    assert read.records.height == 8 and read.rejects.height == 0


def test_the_row_set_aside_is_the_short_one_after_a_lone_cr_in_a_cell() -> None:
    """The csv module counts a lone CR inside a quoted cell as a line break, polars does not:
    matched by line, the reject named the short row but dropped the good one after it."""
    rows = ['"t\rx",a,y', *(f"t{i},a{i},y{i}" for i in range(8)), "short,x", "u0,b0,z0"]
    data = ("title,author,year\n" + "\n".join(rows) + "\n").encode()
    result = importing.import_export(data, META, fmt="csv")
    titles = result.records["title"].to_list()
    assert "u0" in titles and "short" not in titles
    assert result.rejects["raw"].to_list() == ["short,x"]


def test_two_exports_joined_into_one_file_keep_every_record() -> None:
    """`cat` of two exports: a second MEDLINE file whose first lines follow the first file's
    last line (no final line end there) merged a record into the one before it; a second
    byte-order mark hid a RIS record's TY line; a second CSV header became a record (then a
    reject, counted among the records identified)."""
    first = "PMID- 1\nTI  - First paper\nAU  - Doe J\n\nPMID- 2\nTI  - Second paper\nAU  - Roe K"
    second = "PMID- 3\nTI  - Third paper\nAU  - Poe L\n"
    joined = importing.import_export(f"{first}\n{second}".encode(), META, fmt="medline")
    assert joined.records["title"].to_list() == ["First paper", "Second paper", "Third paper"]
    assert joined.records["authors"].to_list() == [["Doe J"], ["Roe K"], ["Poe L"]]

    ris = "TY  - JOUR\nTI  - One\nER  - \n"
    marked = importing.import_export(
        b"\xef\xbb\xbf" + ris.encode() + b"\xef\xbb\xbf" + ris.replace("One", "Two").encode(), META
    )
    assert marked.records["title"].to_list() == ["One", "Two"]
    assert any("byte-order mark(s) inside the file removed" in n for n in marked.notes)

    table = "Title,Year,DOI\nA,2020,10.1/a\nB,2021,10.1/b\n"
    twice = importing.import_export((table + table).encode(), META, fmt="csv")
    assert twice.records["title"].to_list() == ["A", "B", "A", "B"]
    # the header row again is no record: skipped with a note, not a reject that PRISMA's
    # records identified and removed-for-other-reasons would count
    assert twice.rejects.height == 0
    assert (twice.file_row["n_raw"], twice.file_row["n_parsed"]) == (4, 4)
    assert any(n.startswith("the header row again at line(s) 4: skipped") for n in twice.notes)


def test_a_table_cut_inside_its_last_row_and_classic_mac_line_ends() -> None:
    table = "Title,Year,DOI\nA,2020,10.1/a\nB,2021,10.1/b\nC,20"  # cut: no DOI, no line end
    cut = importing.import_export(table.encode(), META, fmt="csv")
    assert cut.records["title"].to_list() == ["A", "B"]
    assert cut.rejects["reason"].to_list()[0].endswith("a download cut short? (export again)")
    mac = importing.import_export(b"Title,Year\rA,2020\rB,2021\r", META)
    assert mac.records["title"].to_list() == ["A", "B"]
    assert "line ends are bare CR (classic Mac); read as line ends" in mac.notes


@pytest.mark.parametrize(
    ("fmt", "text"),
    [
        ("wos", "FN Clarivate\nPT J\nAU Doe, J\rTI First title\nPY 2020\nER\n\nPT J\nAU Roe, K\nTI Second title about UK\rUK patients\nPY 2021\nER\nEF\n"),
        ("endnote", "%0 Journal Article\n%A Doe, J\r%T First title\n%D 2020\n\n%0 Journal Article\n%A Roe, K\n%T Second title\n%D 2021\n"),
    ],
)  # fmt: skip
def test_a_bare_cr_before_a_tag_line_ends_the_line_in_wos_and_endnote(fmt: str, text: str) -> None:
    """A bare CR before `TI ` stuck the title onto the author (WoS) or merged records
    (EndNote), as it no longer does in RIS and MEDLINE; a CR inside a value before two
    capitals that are no WoS tag ("UK patients") stays a break inside the value."""
    result = importing.import_export(text.encode(), META, fmt=fmt)
    assert result.records["title"].to_list()[0] == "First title"
    assert result.records["authors"].to_list()[0] == ["Doe, J"]
    assert result.records.height == 2
    if fmt == "wos":
        assert result.records["title"].to_list()[1] == "Second title about UK UK patients"


def test_a_quote_mark_not_doubled_inside_a_quoted_cell_is_said() -> None:
    """Read leniently (as a spreadsheet would), the cell loses the quote marks: a note names
    the line, instead of the title changing without a word."""
    table = 'Title,Year\n"A first, fine title",2020\n"Bibliometric "mapping" of care",2021\n'
    result = importing.import_export(table.encode(), META, fmt="csv")
    assert result.records.height == 2 and result.rejects.height == 0
    (note,) = [n for n in result.notes if "not doubled" in n]
    assert note.startswith("line 3: ")
    clean = importing.import_export(table.replace('"mapping"', '""mapping""').encode(), META)
    assert clean.records["title"].to_list()[1] == 'Bibliometric "mapping" of care'
    assert not any("not doubled" in n for n in clean.notes)
