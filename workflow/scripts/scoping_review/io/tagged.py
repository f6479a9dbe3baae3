"""One vectorised reader for the line-tagged export families.

RIS (and its dialects), PubMed MEDLINE (.nbib), Web of Science tagged text and EndNote/refer
text (``%T`` ...) differ only in data: how a tag line looks, which tag opens and which closes a
record, how continuation lines look and which tags repeat. A :class:`TaggedFormat` holds that
data; :func:`parse` applies it to all lines of a file at once with polars expressions (no Python
loop over lines, and no Python string per line: polars' CSV reader splits the lines) and returns
a :class:`Parsed`:

- ``fields``: one row per field value, columns ``rec`` (0-based record number), ``fid`` (field
  order), ``tag``, ``value`` (continuation lines joined with a space);
- ``starts``: one row per record with the 1-based line of its start tag;
- ``rejects`` (record starts with no fields), ``notes`` (what was noticed and tolerated) and
  ``n_raw``: record starts counted by a separate regular expression (``start_line``) over the
  raw lines, never by the tag reader, for the caller to reconcile with
  ``len(starts) + len(rejects)``.

Speed: lines in the format's common layout (``TY  - ``) are split with slices; ``tag_regex``
runs only on the other lines. The per-line work is element-wise and runs on the reader's
chunks on all cores; only record membership (cumulative sums) is sequential.

Memory: an export larger than :data:`.lines.BLOCK_BYTES` is parsed in blocks of whole records
(:func:`parse_blocks`; each block starts at a start-tag line or, in formats without a start
tag, at a tag line after a blank line), with record, field and line numbers carried from block
to block and the notes kept as numbers (:mod:`.findings`) until :func:`merge` writes them, so
the result is exactly the whole file's parse.

Traps handled (each has a test): a BOM never reaches here (see :mod:`.decode`); CRLF, bare-CR
line ends and bare CR inside lines (WoS-made RIS); a last record without its end tag is kept and
noted; a start tag inside an unterminated record closes it; an end tag alone is not a record; an
end tag followed by more fields of the same record before the next start tag (Ovid's ``NL``
after ``ER``) does not split the record, unless those fields repeat the record's own (a second
title, year or abstract: a record whose start line was lost); fields outside any record (a start
line deleted, or written in lower case) are rejected with their raw text (:mod:`.membership`),
never merged into the record before or ignored; Ovid's numbered ``1.`` lines and trailing link
lines, and any other text between records, are counted in a note; untagged continuation lines
(Embase, EndNote) continue the previous field; single-space ``TY - `` separators.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import polars as pl

from . import lines as lines_mod
from .findings import Findings
from .lines import blocks
from .lines import normalise_newlines as normalise_newlines  # re-exported
from .lines import read_lines as read_lines
from .lines import split_lines as split_lines
from .membership import (
    count_starts,
    first_lines,
    loose_fields,
    membership,
    opens,
    raw_rejects,
    repeated_after_end,
    run_together,
    start_line_columns,
    tag_like,
)
from .parsed import Parsed as Parsed  # re-exported: readers name them as tagged.Parsed
from .parsed import RawReject as RawReject
from .record_starts import foreign_starts


@dataclass(frozen=True)
class TaggedFormat:
    name: str
    # Rust regex matched against a line's first 16 characters: group 1 is the tag, the whole
    # match the prefix before the value (so long abstract lines are never scanned whole)
    tag_regex: str
    start_tag: str | None  # None: a record starts at the first tag line after a blank line
    end_tag: str | None  # None: a record runs to the next start
    # Rust regex a continuation line matches (None: any untagged line continues); it must
    # need leading white space, as an indent does, so that a tag line never matches it
    continuation_regex: str | None
    # Rust regex for a line that starts a record, used only to count record starts for the
    # reconciliation (independently of the tag reader); formats without a start tag also need
    # the line before to be empty (the file start counts as an empty line)
    start_line: str
    # the common layout: a Rust regex for a tag line in it (a subset of what ``tag_regex``
    # matches, reading the same tag and value), and where the tag (offset, width; right-stripped)
    # and the value start in such a line. Layout lines are split with slices (fast); only the
    # other lines that ``tag_regex`` matches go through it.
    layout_regex: str
    layout: tuple[int, int, int]
    list_tags: frozenset[str] = frozenset()  # continuation lines of these tags are new values
    # formats without a start tag: a tag a record holds once, so that its second line in a
    # record opens the next one even with no blank line before it (MEDLINE's PMID: two exports
    # joined by `cat`, the first without a final line end); Rust regex for such a line in the
    # reconciliation count
    opening_tag: str | None = None
    opening_line: str | None = None
    # Python regex for the start of this format's tag lines that a bare CR ends the line before,
    # in a file mixing line ends (RIS/MEDLINE tag lines always: :func:`.lines.normalise_newlines`)
    cr_tag_line: str | None = None
    # tags that name the same field of a record (a record holds it once): (tag, its peer)
    same_field: tuple[tuple[str, str], ...] = ()
    header_tags: frozenset[str] = frozenset()  # file-level tags outside records (WoS FN, VR, EF)
    # a record's title tags: one of them twice, with a year tag twice (membership.YEAR_TAGS),
    # is two records run together (membership.run_together) whose boundary lines were lost
    title_tags: tuple[str, ...] = ()
    boundary: str = ""


RIS = TaggedFormat(
    name="ris",
    tag_regex=r"^[ \t]*([A-Z][A-Z0-9])(?: {1,2}|\t)- ?",
    start_tag="TY",
    end_tag="ER",
    continuation_regex=None,
    start_line=r"^[ \t]*TY(?: {1,2}|\t)-",
    layout_regex=r"^[A-Z][A-Z0-9]  -(?: |$)",
    layout=(0, 2, 6),
    # untagged lines after these tags are further values (EndNote and Rayyan put one keyword
    # per line after a single KW; Dimensions one URL per line), as rispy reads them
    list_tags=frozenset(
        {"A1", "A2", "A3", "A4", "AU", "KW", "N1", "UR", "L1", "L2", "L3", "L4", "SN"}
    ),
    same_field=(("T1", "TI"), ("Y1", "PY"), ("N2", "AB")),
    title_tags=("TI", "T1"),
    boundary="an ER line and the next TY line",
)

# records are separated by blank lines; PMID usually opens them, but ERIC's .nbib starts with
# OWN and has no PMID, so a record starts at the first tag line after a blank line
MEDLINE = TaggedFormat(
    name="medline",
    tag_regex=r"^([A-Z][A-Z0-9]{0,3}) {0,3}-(?: |[ \t]*$)",
    start_tag=None,
    end_tag=None,
    continuation_regex=r"^ {2,}\S",
    start_line=r"^[A-Z][A-Z0-9]{0,3} {0,3}-(?: |$)",
    layout_regex=r"^(?:[A-Z][A-Z0-9]{3}|[A-Z][A-Z0-9]{2} |[A-Z][A-Z0-9] {2}|[A-Z] {3})-(?: |$)",
    layout=(0, 4, 6),
    opening_tag="PMID",
    opening_line=r"^PMID {0,3}-",
    title_tags=("TI",),
    boundary="the blank line and the next PMID line",
)

WOS_TAGS = (
    "FN", "VR", "PT", "AU", "AF", "BA", "BF", "CA", "GP", "BE", "TI", "SO", "SE", "BS", "LA",
    "DT", "CT", "CY", "CL", "SP", "HO", "DE", "ID", "AB", "C1", "C3", "RP", "EM", "RI", "OI",
    "FU", "FP", "FX", "CR", "NR", "TC", "Z9", "U1", "U2", "PU", "PI", "PA", "SN", "EI", "BN",
    "J9", "JI", "PD", "PY", "VL", "IS", "PN", "SU", "SI", "MA", "BP", "EP", "AR", "DI", "DL",
    "D2", "EA", "PG", "WC", "WE", "SC", "GA", "PM", "OA", "HC", "HP", "DA", "UT", "ER", "EF",
)  # fmt: skip
WOS = TaggedFormat(
    name="wos",
    tag_regex=r"^([A-Z][A-Z0-9])(?: |[ \t]*$)",
    start_tag="PT",
    end_tag="ER",
    continuation_regex=r"^ {1,3}\S",
    start_line=r"^PT(?: |$)",
    list_tags=frozenset({"AU", "AF", "BA", "BF", "CA", "GP", "CR", "C1", "C3", "ED", "RP"}),
    header_tags=frozenset({"FN", "VR", "EF"}),
    layout_regex=r"^[A-Z][A-Z0-9](?: |$)",
    layout=(0, 2, 3),
    # Web of Science's field tags (not any two capitals: "UK patients" in a value is text)
    cr_tag_line="(?:" + "|".join(WOS_TAGS) + r")(?: |\r|\n|$)",
    title_tags=("TI",),
    boundary="an ER line and the next PT line",
)

ENDNOTE = TaggedFormat(
    name="endnote",
    tag_regex=r"^%([A-Z0-9@!#$&()*+,\-./:;<=>?\[\]^_`{|}~]) ?",
    start_tag=None,
    end_tag=None,
    continuation_regex=None,
    start_line=r"^%[A-Z0-9@!#$&()*+,\-./:;<=>?\[\]^_`{|}~]",
    layout_regex=r"^%[A-Z0-9@!#$&()*+,\-./:;<=>?\[\]^_`{|}~](?: |$)",
    layout=(1, 1, 3),
    cr_tag_line=r"%[A-Z0-9@!#$&()*+,\-./:;<=>?\[\]^_`{|}~] ",
    title_tags=("T",),
    boundary="the blank line between them",
)

FORMATS: dict[str, TaggedFormat] = {f.name: f for f in (RIS, MEDLINE, WOS, ENDNOTE)}


def _tags(lines: pl.DataFrame, fmt: TaggedFormat) -> pl.DataFrame:
    """Add to a frame of lines: the columns of :func:`start_line_columns`, ``tag`` (null on
    untagged lines), ``value`` (the rest of a tag line, or the whole of an untagged line,
    stripped), ``cont_ok`` (the line has the format's continuation indent) and the per-line
    flags of :func:`_line_flags`.

    Element-wise only, with no row index: polars runs it on the reader's chunks in parallel
    (positions, where needed, come from ``arg_where``). Columns made outside that pass would
    not share the frame's chunks and force a copy of the whole frame, so the few lines
    ``tag_regex`` must read are gathered and scattered back only when there are any.
    """
    line = pl.col("line")
    tag_at, width, value_at = fmt.layout
    tag = line.str.slice(tag_at, width)
    if width > 2:  # tags narrower than their column (MEDLINE "AB  -")
        tag = tag.str.strip_chars_end()
    cont = pl.lit(True)
    if fmt.continuation_regex is not None:  # (never true on a tag line: see TaggedFormat)
        cont = line.str.contains(fmt.continuation_regex)
    plan = lines.lazy().with_columns(
        **start_line_columns(fmt),
        layout=line.str.contains(fmt.layout_regex),
        cont_ok=cont,
        foreign=line.str.contains(foreign_starts(fmt.name)),
    )
    plan = plan.with_columns(
        tag=pl.when("layout").then(tag),
        value=line.str.slice(pl.when("layout").then(value_at).otherwise(0)).str.strip_chars(),
    )
    # lines with text that are neither in the layout nor continuations: tag lines that only
    # ``tag_regex`` reads (a single-space separator, indented tags), or stray text
    other = ~pl.col("layout") & (pl.col("value") != "")
    if fmt.continuation_regex is not None:
        other = other & ~pl.col("cont_ok")
    df = _line_flags(plan.with_columns(other=other), fmt).collect(engine="in-memory")
    candidates = df.select(pl.arg_where(pl.col("other"))).to_series()
    if candidates.len():
        # most candidates are long untagged lines (wrapped abstracts): ``tag_regex`` is first
        # tried on each line's head (its leading blanks and 16 more characters), which matches
        # whenever the whole line does (a tag and its separator are short; a match that runs
        # on does so over blanks), and only the lines whose head matched are read whole
        head = line.str.slice(0, line.str.find(r"[^ \t]").fill_null(0) + 16)
        hits = df.select(line.gather(candidates), index=candidates).filter(
            head.str.contains(fmt.tag_regex)
        )
        parts = line.str.extract_groups(f"^(?<prefix>{fmt.tag_regex.removeprefix('^')})")
        found = hits.select(
            "index",
            tag=parts.struct[1],  # the pattern's first group, named by its position
            value=line.str.slice(parts.struct[0].str.len_chars()).str.strip_chars(),
        ).filter(pl.col("tag").is_not_null())
        if found.height:
            at = found["index"]
            df = df.with_columns(
                df["tag"].scatter(at, found["tag"]), df["value"].scatter(at, found["value"])
            )
            df = _line_flags(df.lazy(), fmt).collect(engine="in-memory")
    return df.drop("layout", "other")


def _line_flags(plan: pl.LazyFrame, fmt: TaggedFormat) -> pl.LazyFrame:
    """Flags of each line from its own tag and value: ``blank``, ``header`` (a file-level
    tag), ``is_start_tag``, ``end_tag_line`` and ``is_end_tag`` (an end tag with no value)."""
    tag = pl.col("tag")
    end_tag_line = (tag == fmt.end_tag).fill_null(False) if fmt.end_tag else pl.lit(False)
    return plan.with_columns(
        blank=tag.is_null() & (pl.col("value") == ""),
        header=tag.is_in(list(fmt.header_tags)).fill_null(False)
        if fmt.header_tags
        else pl.lit(False),
        is_start_tag=(tag == fmt.start_tag).fill_null(False) if fmt.start_tag else pl.lit(False),
        end_tag_line=end_tag_line,
        is_end_tag=end_tag_line & (pl.col("value") == ""),
    )


def parse(source: str | bytes, fmt: TaggedFormat) -> Parsed:
    """Parse ``source`` in format ``fmt``: a decoded text, or its UTF-8 bytes (valid UTF-8),
    with any newlines (block by block: see :func:`parse_blocks`)."""
    return merge(list(parse_blocks(source, fmt)), fmt)


@dataclass
class Block:
    """One block's parse: ``parsed`` has no notes and numbers its records, fields and lines in
    the whole source; ``n_starts`` and ``n_fids`` (records and field values before empty
    records were dropped) are where the next block's numbers begin."""

    parsed: Parsed
    findings: Findings
    n_starts: int
    n_fids: int
    n_lines: int  # lines counted like ``str.split("\\n")``


def parse_blocks(
    source: str | bytes, fmt: TaggedFormat, block_bytes: int | None = None
) -> Iterator[Block]:
    """Parse ``source`` one block of whole records at a time (:func:`.lines.blocks`), so that
    only one block's lines are held at once; :func:`merge` of the blocks is the parse of the
    whole source, exactly. ``block_bytes``: the blocks' size (default
    :data:`.lines.BLOCK_BYTES`)."""
    size = lines_mod.BLOCK_BYTES if block_bytes is None else block_bytes
    offset = rec0 = fid0 = 0
    cr = b"\r" in source if isinstance(source, bytes) else "\r" in source
    if fmt.cr_tag_line is not None and cr:  # bare CRs before this format's tag lines end lines
        whole = source.decode("utf-8") if isinstance(source, bytes) else source
        source = lines_mod.normalise_newlines(whole, fmt.cr_tag_line)
    # a file whose records hold an opening tag (PubMed's PMID) is cut only before one, and its
    # blocks know the file holds one (membership.continued: the whole file's reading)
    opened = opens(source, fmt.opening_line)
    cut = (fmt.opening_line or "").removeprefix("^") if opened else fmt.layout_regex
    for text in blocks(source, fmt.start_tag, cut, size):
        block = _parse_block(text, fmt, offset, rec0, fid0, opened)
        # a block but the last ends with a line end: its lines less the empty piece after it
        offset += block.n_lines - 1
        rec0, fid0 = rec0 + block.n_starts, fid0 + block.n_fids
        yield block


def merge(parts: list[Block], fmt: TaggedFormat) -> Parsed:
    """The blocks' parses as one, with the notes of their merged findings."""
    first = parts[0].parsed
    found = Findings.merged([part.findings for part in parts])
    if len(parts) == 1:
        fields, starts = first.fields, first.starts
    else:
        fields = pl.concat([p.parsed.fields for p in parts])
        starts = pl.concat([p.parsed.starts for p in parts])
    rejects = [r for p in parts for r in p.parsed.rejects]
    n_raw = sum(p.parsed.n_raw for p in parts)
    return Parsed(
        fields,
        starts,
        rejects,
        n_raw,
        found.notes(fmt.end_tag, fmt.continuation_regex is not None),
        stripped=True,
    )


def _parse_block(
    source: str | bytes, fmt: TaggedFormat, offset: int, rec0: int, fid0: int, opened: bool
) -> Block:
    """Parse one block whose first line is line ``offset`` + 1 of the whole source and whose
    first record and field value are numbers ``rec0`` and ``fid0``."""
    lines, n_lines = read_lines(source)
    df = _tags(lines, fmt)
    base = df.columns
    n_raw = count_starts(df, fmt, opened)
    tag = pl.col("tag")
    df = membership(df, fmt, rec0, opened)
    if fmt.end_tag is not None and df["false_end"].any():
        # an end line followed by fields that repeat the record's own (a second title, year
        # or abstract) ends it after all: what follows is a record whose start line is missing
        forced = repeated_after_end(df, fmt)
        if forced is not None:
            df = membership(df.select(*base).with_columns(forced=forced), fmt, rec0, opened)
    orphans: list[RawReject] = []
    if fmt.start_tag is not None:
        df, orphans = loose_fields(df, fmt, offset)
    df = df.drop("end_tag_line", "is_end_tag", "is_start_tag", "forced", strict=False)
    # an end line that more of the record's fields follow (Ovid's NL after ER; an end line has
    # no value) is no value of the record, and ends it for the missing-end check below
    df = df.with_columns(body=pl.col("body") & ~pl.col("false_end"))

    flags: list[str] = ["false_end", "stray_end", "stray", "foreign", "joined"]
    flags = [f for f in flags if f in df.columns]
    counts = df.select(
        *[pl.col(f).sum() for f in flags],
        bad_cont=(pl.col("body") & tag.is_null() & ~pl.col("cont_ok")).sum(),
    ).row(0, named=True)
    first = {f: first_lines(df, f, offset) for f in flags if counts[f]}
    if fmt.name == "ris":  # any untagged line continues a field: say which look like tags
        counts["tag_like"], first["tag_like"] = tag_like(df, offset)
    if counts["bad_cont"] and fmt.continuation_regex is not None:
        bad = df.select(bad=pl.col("body") & tag.is_null() & ~pl.col("cont_ok"))
        first["bad_cont"] = first_lines(bad, "bad", offset)

    fields = _fields(df.lazy().filter(pl.col("body")), fmt, fid0)
    n_fids = fields.height  # fids run without gaps until empty records are dropped
    starts = df.select(
        pl.col("rec").filter(pl.col("is_start")).cast(pl.Int64),
        line=(pl.arg_where(pl.col("is_start")) + 1 + offset).cast(pl.Int64),
    )
    n_starts = starts.height

    # termination: which records saw their end tag
    open_recs: list[tuple[int, int]] = []
    n_open = 0
    if fmt.end_tag is not None and starts.height:
        ends = pl.col("inside") & (pl.col("is_end") | pl.col("false_end"))  # Ovid's: an end
        ended = df.filter(ends)["rec"].cast(pl.Int64)
        until = pl.col("line").shift(-1).fill_null(offset + n_lines)
        missing = starts.with_columns(until=until).filter(~pl.col("rec").is_in(ended.implode()))
        open_recs = [(int(a), int(b)) for a, b in missing.select("line", "until").head(20).rows()]
        n_open = missing.height

    # a record with nothing but its start tag is rejected with its raw text
    per_rec = (
        fields.lazy()
        .group_by(pl.col("rec").set_sorted())
        .agg(pl.len().alias("n_fields"), (pl.col("value") != "").sum().alias("n_values"))
        .filter((pl.col("n_fields") > 1) & (pl.col("n_values") > 0))
        .collect(engine="in-memory")["rec"]
    )
    empty = starts.filter(~pl.col("rec").is_in(per_rec.implode()))
    twice = starts.filter(pl.col("rec").is_in(run_together(fields, fmt).cast(pl.Int64).implode()))
    rejects = [
        *raw_rejects(df, empty, "record has no fields after its start tag"),
        *raw_rejects(
            df,
            twice,
            f"two titles and two years in one record: two records run together "
            f"({fmt.boundary} missing?)",
        ),
    ]
    if rejects:
        gone = pl.concat([empty["rec"], twice["rec"]]).implode()
        fields = fields.filter(~pl.col("rec").is_in(gone))
        starts = starts.filter(~pl.col("rec").is_in(gone))
    # records without their start line are counted beside the start lines (n_raw): each one
    # parsed or rejected is reconciled with the raw records of the file
    rejects = sorted([*rejects, *orphans], key=lambda r: r.line)
    parsed = Parsed(fields, starts, rejects, n_raw + len(orphans), [], stripped=True)
    findings = Findings(counts, first, open_recs, n_open)
    return Block(parsed, findings, n_starts, n_fids, n_lines)


def _fields(body: pl.LazyFrame, fmt: TaggedFormat, fid0: int = 0) -> pl.DataFrame:
    """Long fields (``rec``, ``fid``, ``tag``, ``value``) from a record's body lines:
    continuation lines take the tag of the field before them and are joined to its value with
    a space (or, for list tags, are values of their own)."""
    lines = body.select(pl.col("rec").cast(pl.Int64), "tag", "value").collect(engine="in-memory")
    if not lines["tag"].has_nulls():  # no continuation lines: each line is one field
        return lines.select(
            "rec", (pl.int_range(pl.len(), dtype=pl.Int64) + fid0).alias("fid"), "tag", "value"
        )
    cont = pl.col("tag").is_null()
    plan = lines.lazy().with_columns(
        ftag=pl.col("tag").forward_fill(),  # a record's first body line is its start tag
    )
    new_value = ~cont
    if fmt.list_tags:
        new_value = new_value | pl.col("ftag").is_in(list(fmt.list_tags))
    plan = plan.with_columns(fid=new_value.cast(pl.Int64).cum_sum() - 1 + fid0)
    # fields of one line pass straight through; only multi-line fields are grouped and joined
    fid = pl.col("fid")
    multi = ((fid == fid.shift(1)) | (fid == fid.shift(-1))).fill_null(False)
    lines = plan.select("rec", "fid", pl.col("ftag").alias("tag"), "value", multi=multi).collect(
        engine="in-memory"
    )
    if not lines["multi"].any():
        return lines.drop("multi")
    joined = (
        lines.lazy()
        .filter(pl.col("multi"))
        .group_by(pl.col("fid").set_sorted())
        .agg(pl.col("rec").first(), pl.col("tag").first(), pl.col("value"))
        .select("rec", "fid", "tag", pl.col("value").list.join(" ").str.strip_chars())
    )
    single = lines.lazy().filter(~pl.col("multi")).drop("multi")
    return pl.concat([single, joined]).sort("fid").collect(engine="in-memory")


def detect(text: str) -> str | None:
    """Guess the export family from the first meaningful lines (tagged and markup formats)."""
    head = [ln.strip("\ufeff \t") for ln in split_lines(text[:20000])[:80]]
    head = [ln for ln in head if ln]
    for line in head:
        if line.startswith(("FN ", "VR ")) or re.match(r"^PT [A-Z]$", line):
            return "wos"
        if re.match(r"^PMID ?- ?\d", line) or re.match(r"^[A-Z]{3,4} {0,2}- \S", line):
            return "medline"
        if re.match(r"^(?:\d+\.\s*)?TY(?: {1,2}|\t)-", line):
            return "ris"
        if re.match(r"^%[0ATDJ] \S", line):
            return "endnote"
        if line.startswith("@") and re.match(r"^@\s*[A-Za-z]+\s*[{(]", line):
            return "bibtex"
        if line.startswith("<"):
            if "<PubmedArticle" in text[:20000]:
                return "pubmed_xml"
            if "<record" in text[:20000] or "<xml" in line:
                return "endnote_xml"
            return None
    return None
