"""Property tests for the readers and decoding rules of issue 18: the tolerant BibTeX splitter
(against bibtexparser on well-formed input; missing commas lose no field), its fast paths
(name splitting, LaTeX text), the ProQuest plain-text reader, the control-character policy and
the decoding of a file cut inside a character or with one bad line."""

from __future__ import annotations

import bibtexparser
from bibtexparser.middlewares import (
    LatexDecodingMiddleware,
    MergeNameParts,
    SeparateCoAuthors,
    SplitNameParts,
)
from bibtexparser.middlewares.names import split_multiple_persons_names
from fuzzing import FUZZ
from hypothesis import given
from hypothesis import strategies as st

from scoping_review.io import bibtex, proquest
from scoping_review.io.controls import strip_controls
from scoping_review.io.decode import (
    CONTROL_CHARS,
    TRUNCATED_NOTE,
    Decoded,
    decode,
    has_control_bytes,
)

# --- BibTeX ---------------------------------------------------------------------------------

NAME = st.sampled_from(["title", "journal", "year", "note", "abstract", "publisher", "volume"])
WORD = st.text(alphabet=st.sampled_from(list("abcxyzAB019 .:-'é")), min_size=1, max_size=12)
# a value's inside: words and balanced brace groups (no % or &: literal for us, LaTeX for them)
INNER = st.recursive(WORD, lambda kids: st.builds(lambda k: "{" + k + "}", kids), max_leaves=4)
VALUE_TEXT = st.lists(INNER, min_size=1, max_size=4).map(" ".join).filter(lambda v: v.strip())
AUTHOR = st.sampled_from(["Doe, J.", "Jane Doe", "van der Berg, K.", "Smith, A. B.", "{WHO}"])


@st.composite
def entries(draw: st.DrawFn) -> list[tuple[str, list[tuple[str, str]]]]:
    out = []
    for i in range(draw(st.integers(1, 4))):
        names = draw(st.lists(NAME, min_size=1, max_size=5, unique=True))
        fields = [(n, draw(VALUE_TEXT)) for n in names]
        if draw(st.booleans()):
            fields.insert(0, ("author", " and ".join(draw(st.lists(AUTHOR, min_size=1)))))
        out.append((f"key{i}", fields))
    return out


def render(items: list[tuple[str, list[tuple[str, str]]]], comma: list[bool] | None = None) -> str:
    blocks = []
    n = 0
    for key, fields in items:
        lines = [f"@article{{{key},"]
        for j, (name, value) in enumerate(fields):
            last = j == len(fields) - 1
            keep = True if comma is None else comma[n % len(comma)]
            n += 1
            lines.append(f"  {name} = {{{value}}}{',' if keep or last else ''}")
        lines.append("}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def ours(text: str) -> list[list[tuple[str, str]]]:
    parsed = bibtex.parse(text)
    assert parsed.n_raw == parsed.n_records + len(parsed.rejects)
    by_rec: dict[int, list[tuple[str, str]]] = {}
    for rec, tag, value in parsed.fields.select("rec", "tag", "value").iter_rows():
        by_rec.setdefault(rec, []).append((tag, value))
    return [by_rec[r] for r in sorted(by_rec)]


@FUZZ
@given(entries())
def test_well_formed_bibtex_reads_as_bibtexparser_reads_it(
    items: list[tuple[str, list[tuple[str, str]]]],
) -> None:
    text = render(items)
    stack = [LatexDecodingMiddleware(), SeparateCoAuthors(), SplitNameParts(), MergeNameParts()]
    library = bibtexparser.parse_string(text, append_middleware=stack)
    theirs = []
    for entry in library.entries:
        row = [("ENTRYTYPE", entry.entry_type.lower()), ("ID", entry.key)]
        for fld in entry.fields:
            values = fld.value if isinstance(fld.value, list) else [fld.value]
            row += [(fld.key.lower(), str(v)) for v in values]
        theirs.append(row)
    assert ours(text) == theirs


@FUZZ
@given(entries(), st.lists(st.booleans(), min_size=1, max_size=7))
def test_missing_commas_between_fields_lose_no_field(
    items: list[tuple[str, list[tuple[str, str]]]], comma: list[bool]
) -> None:
    assert ours(render(items, comma)) == ours(render(items))


@FUZZ
@given(st.text(alphabet=st.sampled_from(list("abdnAND ,.\t\n-é")), max_size=40))
def test_fast_name_split_is_bibtexparsers(value: str) -> None:
    stripped = value.strip(" \r\n\t")
    fast = bibtex._AND.split(stripped) if stripped else []
    assert fast == split_multiple_persons_names(value)


@FUZZ
@given(
    st.lists(
        st.sampled_from([*"ab -'`!?\n\t.é{}_#$^0", "\\&", "\\%", "\\_", "\\#", "\\$", "\\'e"]),
        max_size=30,
    ).map("".join)
)
def test_latex_text_is_bibtexparsers_without_bare_specials(value: str) -> None:
    text, error = LatexDecodingMiddleware()._transform_python_value_string(value)
    assert bibtex.decode_latex(value) == (value if error else text)


@FUZZ
@given(st.binary(max_size=400).map(lambda b: b.decode("latin-1")))
def test_any_bibtex_like_text_is_accounted_for(noise: str) -> None:
    text = "@article{a,\n title = {x}" + noise + "\n@book{b, year = 2000}\n"
    parsed = bibtex.parse(text)
    assert parsed.n_raw == parsed.n_records + len(parsed.rejects)


# --- ProQuest -------------------------------------------------------------------------------

LABELS = sorted(proquest.KNOWN_LABELS - proquest.FREE_TEXT - {"Links", "Document URL"})
LINE = st.text(alphabet=st.sampled_from(list("abcXYZ 0129.,;:-()é")), min_size=1, max_size=30)


@st.composite
def documents(draw: st.DrawFn) -> list[tuple[str, list[tuple[str, str]]]]:
    docs = []
    for _ in range(draw(st.integers(0, 5))):
        heading = draw(LINE.filter(lambda v: v.strip() and v == v.strip()))
        labels = draw(st.lists(st.sampled_from(LABELS), min_size=1, max_size=6))
        fields = [(label, draw(LINE.map(str.strip).filter(bool))) for label in labels]
        if draw(st.booleans()):
            para = draw(st.lists(LINE.map(str.strip).filter(bool), min_size=1, max_size=3))
            fields.insert(0, ("Abstract", "\n".join(para)))
        docs.append((heading, fields))
    return docs


def render_proquest(docs: list[tuple[str, list[tuple[str, str]]]], newline: str) -> str:
    rule = "_" * 60
    out = [rule, "", "Report Information from ProQuest", "December 08 2015 21:33", rule, ""]
    for i, (heading, fields) in enumerate(docs, 1):
        out += [f"Document {i} of {len(docs)}", "", heading, ""]
        for label, value in fields:
            first, *rest = value.split("\n")
            out += [f"{label}: {first}", ""]
            for para in rest:
                out += [para, ""]
        out += [rule, ""]
    return newline.join(out)


@FUZZ
@given(documents(), st.sampled_from(["\n", "\r\n"]))
def test_proquest_documents_read_back_field_for_field(
    docs: list[tuple[str, list[tuple[str, str]]]], newline: str
) -> None:
    parsed = proquest.parse(render_proquest(docs, newline))
    assert parsed.n_raw == parsed.n_records == len(docs) and not parsed.rejects
    by_rec: dict[int, list[tuple[str, str]]] = {}
    for rec, tag, value in parsed.fields.select("rec", "tag", "value").iter_rows():
        by_rec.setdefault(rec, []).append((tag, value))
    expected = [[(proquest.HEADING, h), *f] for h, f in docs]
    assert [by_rec[r] for r in sorted(by_rec)] == expected


# --- decoding and control characters --------------------------------------------------------

TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]))


@FUZZ
@given(TEXT, st.sampled_from(["é", "–", "€", "😀", "中"]), st.data())
def test_a_cut_inside_the_last_character_keeps_utf8(
    text: str, last: str, data: st.DataObject
) -> None:
    encoded = (text + last).encode("utf-8")
    cut = data.draw(st.integers(1, len(last.encode("utf-8")) - 1)) if len(last.encode()) > 1 else 0
    if not cut:
        return
    damaged = encoded[: len(encoded) - len(last.encode("utf-8")) + cut]
    decoded = decode(damaged, repair=False)
    assert decoded.encoding == "utf-8" and TRUNCATED_NOTE in decoded.note
    assert decoded.text == text.removeprefix("\ufeff")


@FUZZ
@given(st.lists(TEXT.filter(lambda t: "\n" not in t and "\r" not in t), min_size=2, max_size=8),
       st.data())  # fmt: skip
def test_one_latin1_line_does_not_change_the_others(lines: list[str], data: st.DataObject) -> None:
    k = data.draw(st.integers(0, len(lines) - 1))
    bad = "Gül café naïve"
    raw = [(bad.encode("latin-1") if i == k else ln.encode("utf-8")) for i, ln in enumerate(lines)]
    blob = b"\n".join(raw)
    if not any(not ln.isascii() for i, ln in enumerate(lines) if i != k):
        return  # no UTF-8 line to keep: whole-file detection decides
    decoded = decode(blob, repair=False).text.split("\n")
    assert [d for i, d in enumerate(decoded) if i != k] == [
        ln.removeprefix("\ufeff") if i == 0 else ln for i, ln in enumerate(lines) if i != k
    ]
    assert decoded[k] == bad


@FUZZ
@given(st.text(alphabet=st.sampled_from(["a", "é", " ", "\t", "\n", "\r", *CONTROL_CHARS])))
def test_control_characters_are_removed_and_counted(text: str) -> None:
    n = sum(ch in CONTROL_CHARS for ch in text)

    def kept(i: int, ch: str) -> str:  # a vertical tab or form feed between words: a space
        words = 0 < i < len(text) - 1 and not (text[i - 1].isspace() or text[i + 1].isspace())
        return " " if ch in "\x0b\x0c" and words else "" if ch in CONTROL_CHARS else ch

    for source in (Decoded(None, "utf-8", "", text.encode("utf-8")), Decoded(text, "x", "")):
        cleaned, note = strip_controls(source)
        assert cleaned.text == "".join(kept(i, ch) for i, ch in enumerate(text))
        if n:
            assert note is not None and note.startswith(f"{n} control character(s) removed")
        else:
            assert note is None


@FUZZ
@given(st.binary(max_size=64), st.integers(1, 9))
def test_the_control_byte_scan_agrees_with_the_control_class(data: bytes, block: int) -> None:
    """Any bytes, in blocks of any size: found exactly when a byte is a control character, by
    numpy's scan (forced on small inputs by ``in_place_from=0``) and by Python's search."""
    wanted = any(chr(b) in CONTROL_CHARS for b in data)
    assert has_control_bytes(data, block, in_place_from=0) is wanted
    assert has_control_bytes(data, in_place_from=0) is wanted
    assert has_control_bytes(data) is wanted


def test_the_control_byte_scan_finds_each_byte_value_at_a_block_edge() -> None:
    """Every byte value alone in UTF-8 text, as the first and the last byte of a block of
    numpy's scan (forced on this small input): found exactly when it is a control character
    (tab, LF and CR are not); and so by Python's search."""
    text = "é\t\r\nab".encode()  # 7 bytes: blocks of 7 put the byte at an edge
    for value in range(256):
        for data in (bytes([value]) + text * 2, text + bytes([value]) + text):
            wanted = chr(value) in CONTROL_CHARS
            assert has_control_bytes(data, 7, in_place_from=0) is wanted, value
            assert has_control_bytes(data, 8, in_place_from=0) is wanted, value
            assert has_control_bytes(data) is wanted, value  # Python's search


@FUZZ
@given(
    st.lists(st.from_regex(r"[A-Z][a-zé'.\-]{0,6}", fullmatch=True), min_size=1, max_size=3),
    st.lists(st.from_regex(r"[A-Za-zé.\-]{1,6}", fullmatch=True), min_size=1, max_size=3),
)
def test_names_taken_as_written_are_what_bibtexparser_would_merge(
    last: list[str], first: list[str]
) -> None:
    from bibtexparser.middlewares.names import parse_single_name_into_parts

    name = f"{' '.join(last)}, {' '.join(first)}"
    assert bibtex._SIMPLE_NAME.match(name)
    assert bibtex.split_names(name) == (
        [parse_single_name_into_parts(name).merge_last_name_first],
        False,
    )


@FUZZ
@given(
    st.lists(
        st.sampled_from(
            ["@article{k,", "@ article{k,", "@Article\n{k,", "@article2{k,", "@commentary{x,",
             "@string{s = {v}}", "@comment{c}", "@preamble{p}", "  title = {t},", "}", "",
             "year = s", "@book(k, title = \"q\")", "@misc{,", "abstract = {open"]
        ),
        max_size=25,
    ),
    st.sampled_from(["\n", "\r\n"]),
)  # fmt: skip
def test_bibtex_block_starts_and_the_independent_count_agree(picks: list[str], nl: str) -> None:
    parsed = bibtex.parse(nl.join(picks))
    assert parsed.n_raw == parsed.n_records + len(parsed.rejects)
