"""Importers under fuzzing: whatever the bytes, every record start is parsed or rejected (or
the file is refused naming it); nothing else ever escapes as an exception."""

from __future__ import annotations

import bibtexparser
from fuzzing import FUZZ
from hypothesis import given
from hypothesis import strategies as st

from scoping_review import importing
from scoping_review.io.decode import (
    _MOJIBAKE,
    decode,
    has_mojibake_lead,
    has_mojibake_pair,
    is_utf8,
)

PATH = "fuzz/export.txt"
META = importing.SourceMeta("fz", "Fuzz DB", "2025-01-01", PATH)


def accounted(data: bytes, fmt: str = "auto") -> importing.Imported | None:
    """Import; a refusal must name the file. Returns None when refused."""
    try:
        result = importing.import_export(data, META, fmt=fmt)
    except importing.ImportError_ as err:
        assert PATH in str(err)
        return None
    row = result.file_row
    assert row["n_raw"] == row["n_parsed"] + row["n_rejected"]
    assert result.records.height == row["n_parsed"]
    assert result.records["record_id"].n_unique() == result.records.height
    return result


@FUZZ
@given(data=st.binary(max_size=2000), fmt=st.sampled_from(["auto", *importing.FORMATS]))
def test_arbitrary_bytes_are_accounted_for_or_refused(data: bytes, fmt: str) -> None:
    accounted(data, fmt)


# lines that look like the tagged formats, in any order: starts, ends, fields, junk, blanks
TAG_LINES = {
    "ris": ["TY  - JOUR", "ER  - ", "TI  - A title", "AU  - Doe, J", "AN  - x1", "  wrapped",
            "ER  -", "TY  - ", "junk line", ""],
    "medline": ["PMID- 123", "TI  - A title", "      continued", "FAU - Doe, J", "junk", "",
                "PMID- ", "AB  - Text"],
    "wos": ["FN Clarivate", "VR 1.0", "PT J", "ER", "TI A title", "   continued", "UT WOS:1",
            "AU Doe, J", "EF", "", "junk"],
}  # fmt: skip


@FUZZ
@given(
    fmt=st.sampled_from(sorted(TAG_LINES)),
    picks=st.lists(st.integers(0, 10), max_size=60),
    newline=st.sampled_from(["\n", "\r\n", "\r"]),
    bom=st.booleans(),
)
def test_every_record_start_in_shuffled_tag_lines_is_accounted_for(
    fmt: str, picks: list[int], newline: str, bom: bool
) -> None:
    lines = TAG_LINES[fmt]
    text = newline.join(lines[i % len(lines)] for i in picks)
    data = (b"\xef\xbb\xbf" if bom else b"") + text.encode()
    try:
        importing.import_export(data, META, fmt=fmt)
    except importing.ImportError_ as err:
        # a declared format is refused for its content only where the text (not white space
        # alone) holds no record of it: a search history saved in place of the export
        assert str(err).startswith(f"{PATH}: no {fmt} record in it"), err
        assert text.strip()
        return
    result = accounted(data, fmt)
    assert result is not None
    assert result.file_row["n_raw"] > 0 or not text.strip()


bib_text = (
    st.text(
        alphabet=st.characters(whitelist_categories=("L", "N"), whitelist_characters=" .:;!?"),
        min_size=1,
        max_size=30,
    )
    .map(str.strip)
    .filter(bool)
)


@FUZZ
@given(
    entries=st.lists(
        st.tuples(st.from_regex(r"[a-z][a-z0-9]{0,8}", fullmatch=True), bib_text,
                  st.integers(1900, 2030)),
        max_size=6, unique_by=lambda e: e[0],
    )
)  # fmt: skip
def test_bibtex_written_by_bibtexparser_round_trips(entries: list[tuple[str, str, int]]) -> None:
    library = bibtexparser.Library()
    for key, title, year in entries:
        fields = [
            bibtexparser.model.Field("title", title),
            bibtexparser.model.Field("year", str(year)),
        ]
        library.add(bibtexparser.model.Entry("article", key, fields))
    text = bibtexparser.write_string(library)
    result = accounted(text.encode(), "bibtex")
    assert result is not None
    got = sorted(
        zip(
            result.records["native_id"],
            result.records["title"],
            result.records["year"],
            strict=True,
        )
    )
    assert got == sorted(entries)


@FUZZ
@given(
    good=st.integers(0, 4),
    broken=st.lists(st.sampled_from(["{", "}", '"', "@", "=", ",", "x"]), max_size=12),
)
def test_bibtex_with_broken_entries_accounts_for_every_entry(good: int, broken: list[str]) -> None:
    body = "".join(f"@article{{k{i},\n  title = {{Entry {i}}},\n}}\n\n" for i in range(good))
    body += "@article{bad,\n  title = " + "".join(broken) + "\n}\n"
    accounted(body.encode(), "bibtex")


@FUZZ
# no NUL: text exports never hold one, and a short text with NULs in every other byte reads
# as UTF-16 without a byte-order mark (that rule comes first)
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), max_size=300))
def test_utf8_text_decodes_to_itself(text: str) -> None:
    decoded = decode(text.encode("utf-8"))
    assert decoded.text == text.removeprefix("\ufeff")


@FUZZ
@given(st.binary(max_size=500), st.sampled_from([None, "utf-8", "cp1252", "latin-1"]))
def test_decode_never_raises_on_undeclared_bytes(data: bytes, declared: str | None) -> None:
    if declared is None:
        assert isinstance(decode(data).text, str)


def _python_says_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


@FUZZ
@given(
    st.one_of(
        st.binary(max_size=300),
        st.text(max_size=200).map(lambda t: t.encode("utf-8")),
        # valid text with one byte cut, doubled or replaced: near-misses of valid UTF-8
        st.tuples(st.text(min_size=1, max_size=50), st.integers(0, 400), st.integers(0, 255)).map(
            lambda t: (
                (b := t[0].encode("utf-8"))[: t[1] % len(b)]
                + bytes([t[2]])
                + b[t[1] % len(b) + 1 :]
            )
        ),
    )
)
def test_utf8_check_on_bytes_agrees_with_python(data: bytes) -> None:
    """``is_utf8`` says what ``bytes.decode`` says, by either path (Arrow's check in place, as
    for a large input, and Python's codec), and the lazily built text and its ``head`` are the
    decoded text."""
    assert is_utf8(data) == _python_says_utf8(data)
    assert is_utf8(data, in_place_from=0) == _python_says_utf8(data)
    decoded = decode(data, repair=False)
    if is_utf8(data) and decoded.encoding == "utf-8":  # not taken for UTF-16 (zero bytes)
        text = data.decode("utf-8").removeprefix("\ufeff")
        assert decoded.head(7) == text[:7]
        assert decoded.text == text


@FUZZ
@given(st.text(alphabet=st.sampled_from("aé ÂÃÄÅâÆçã\u0082€ª\n"), max_size=60))
def test_mojibake_lead_check_on_bytes_agrees_with_the_text(text: str) -> None:
    want = any(ch in text for ch in "ÂÃÄÅâ")
    assert has_mojibake_lead(text.encode("utf-8")) == want
    assert has_mojibake_lead(text.encode("utf-8"), in_place_from=0) == want  # by RE2


@FUZZ
@given(
    st.text(
        alphabet=st.sampled_from("aé ÂÃÄÅâÆçã\u0082\u00bf\u00c0€ª™Œœ\u2018\u203a\u203bŸ\n"),
        max_size=60,
    )
)
def test_mojibake_pair_check_on_bytes_agrees_with_the_text(text: str) -> None:
    """The byte-level pre-check that spares building the text finds a pair exactly when the
    text pattern does (so skipping the repair never skips a line it would repair)."""
    assert has_mojibake_pair(text.encode("utf-8")) == (_MOJIBAKE.search(text) is not None)


@FUZZ
@given(st.text(alphabet=st.sampled_from(list("ab -'`!?\n\t.é~{}\\$%&^_#0")), max_size=30))
def test_fast_latex_decoding_gives_bibtexparsers_text(value: str) -> None:
    """Our LaTeX decoding middleware (ligatures without a parse, a shared macro database) and
    bibtexparser's own give the same text and the same error, whatever the value."""
    from bibtexparser.middlewares import LatexDecodingMiddleware

    from scoping_review.io.bibtex import _FastLatexDecoding

    ours = _FastLatexDecoding()._transform_python_value_string(value)
    assert ours == LatexDecodingMiddleware()._transform_python_value_string(value)
