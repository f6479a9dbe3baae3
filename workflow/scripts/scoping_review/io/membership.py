"""Which record each line of a line-tagged export belongs to, and what lies between records.

Split from :mod:`.tagged` (its reader): :func:`membership` gives each tagged line its record
and role; :func:`repeated_after_end` finds the end lines that a record's own fields follow
(a record whose start line is missing: its fields repeat the title, year or abstract of the
record before); :func:`loose_fields` rejects, with their raw text, the fields that lie outside
any record (a start line deleted, or written ``ty  - `` in lower case), which would otherwise be
ignored as stray text and their record lost without a word; :func:`run_together` finds the
records that hold a title tag and a year tag twice (two records whose boundary lines, an ``ER``
and the next ``TY``, or a blank line and the next ``PMID``, were both lost) and
:func:`raw_rejects` turns records into rejects with their raw text.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import polars as pl

from .parsed import RawReject

if TYPE_CHECKING:
    from .tagged import TaggedFormat


def first_lines(df: pl.DataFrame, mask: str, offset: int = 0, n: int = 5) -> list[int]:
    """The 1-based numbers (after ``offset`` lines) of the first ``n`` lines where column
    ``mask`` is true."""
    lines = df.select(pl.arg_where(pl.col(mask)).head(n)).to_series().to_list()
    return [offset + x + 1 for x in lines]


# an untagged line that looks like an RIS tag line in lower case ("do  - 10.1/x", "Au\t- Smith";
# two spaces or a tab, as no sentence is wrapped: "to - 5 years" is text); RIS reads it as more
# of the field before
TAG_LIKE = r"^[ \t]*(?:[a-z][A-Za-z0-9]|[A-Z][a-z])(?:  |\t)-(?:[ \t]|$)"


def tag_like(df: pl.DataFrame, offset: int = 0) -> tuple[int, list[int]]:
    """How many untagged lines of records' bodies look like tag lines (:data:`TAG_LIKE`), and
    the first five's line numbers (after ``offset`` lines)."""
    untagged = df.select(pl.arg_where(pl.col("body") & pl.col("tag").is_null()))
    at = untagged.to_series()
    if not at.len():
        return 0, []
    hits = at.filter(df["line"].gather(at).str.contains(TAG_LIKE))
    return hits.len(), [offset + int(i) + 1 for i in hits.head(5)]


def membership(
    df: pl.DataFrame, fmt: TaggedFormat, rec0: int, opened: bool = False
) -> pl.DataFrame:
    """Add each line's record (``rec``, numbered from ``rec0``) and role to the tagged lines
    of the reader (:mod:`.tagged`): ``is_start``, ``is_end`` (a real end line), ``false_end``
    (an end line read as text), ``inside``, ``body``, ``stray`` and ``stray_end``. A boolean
    column ``forced``, where given, marks end lines that are real whatever follows them."""
    tag = pl.col("tag")
    plan = df.lazy()
    if fmt.start_tag is not None:
        is_start = pl.col("is_start_tag")
    else:  # refer/EndNote/MEDLINE: the first tag line of a block (or a second PMID)
        is_start = tag.is_not_null() & pl.col("blank").shift(1, fill_value=True)
        if fmt.opening_tag is not None:
            opening = (tag == fmt.opening_tag).fill_null(False)
            title = tag.is_in(list(fmt.title_tags)).fill_null(False)
            joins = opened and bool(df.select((is_start & ~opening).any()).item())
            plan = plan.with_columns(block=is_start).with_columns(
                joined=continued(pl.col("block"), opening, title, joins)
            )
            plan = plan.with_columns(is_start=pl.col("block") & ~pl.col("joined")).drop("block")
            is_start = pl.col("is_start") | reopened(pl.col("is_start"), opening)
    plan = plan.with_columns(is_start=is_start)

    # an end tag is real unless the next non-blank line is a field of the same record
    if fmt.end_tag is not None:
        is_end_tag = pl.col("is_end_tag")
        field_line = tag.is_not_null() & ~pl.col("is_start") & ~pl.col("header") & ~is_end_tag
        nxt = (
            pl.when(pl.col("blank"))
            .then(None)
            .otherwise(field_line)
            .shift(-1)
            .backward_fill()
            .fill_null(False)
        )
        if "forced" in df.columns:
            nxt = nxt & ~pl.col("forced")
        plan = plan.with_columns(is_end=is_end_tag & ~nxt, false_end=is_end_tag & nxt)
    else:
        plan = plan.with_columns(is_end=pl.lit(False), false_end=pl.lit(False))

    # record membership: a record runs from its start to its end tag (or the next start);
    # in formats without start tags (refer/EndNote) a blank line ends the record. ``state``:
    # the last start (1) or end (0) at or before the line; an end line is inside the record
    # it ends
    ends = pl.col("blank") if fmt.start_tag is None else pl.col("is_end")
    if "joined" in plan.collect_schema():  # a blank line inside a record does not end it
        joins_next = pl.when(pl.col("blank")).then(None).otherwise(pl.col("joined"))
        ends = ends & ~joins_next.shift(-1).backward_fill().fill_null(False)
    state = pl.when(pl.col("is_start")).then(1).when(ends).then(0).cast(pl.Int8).forward_fill()
    rec = pl.col("is_start").cast(pl.Int32).cum_sum() - 1 + rec0
    plan = plan.with_columns(rec=rec, state=state)
    inside = (pl.col("state") == 1) | (pl.col("is_end") & (pl.col("state").shift(1) == 1))
    outside = ~pl.col("inside") & ~pl.col("blank") & ~pl.col("header")
    end_line = pl.col("is_end") | (pl.col("end_tag_line") & ~pl.col("false_end"))
    plan = plan.with_columns(inside=inside.fill_null(False)).with_columns(
        stray_end=outside & end_line,
        stray=outside & ~end_line,
        body=pl.col("inside") & ~pl.col("blank") & ~pl.col("is_end"),
    )
    return plan.drop("state").collect(engine="in-memory")


def start_line_columns(fmt: TaggedFormat) -> dict[str, pl.Expr]:
    """Per-line columns for the reconciliation count (:func:`count_starts`): which lines match
    the format's ``start_line`` pattern (``raw_start``) and, for formats without a start tag,
    which are blank (``raw_blank``). Regular expressions of their own, independent of the tag
    reader; element-wise, so they run on the reader's chunks in parallel."""
    line = pl.col("line")
    columns = {"raw_start": line.str.contains(fmt.start_line)}
    if fmt.start_tag is None:
        columns["raw_blank"] = line.str.contains(r"^[ \t]*$")
        if fmt.opening_line is not None:
            # as the tag reader reads a tag line: the dash then a space, or the line's end
            columns["raw_opening"] = line.str.contains(fmt.opening_line + _TAIL)
    return columns


# the end of a tag line's tag as the tag reader reads it: the dash, then a space or the line's end
_TAIL = r"(?: |[ \t]*$)"


def count_starts(df: pl.DataFrame, fmt: TaggedFormat, opened: bool = False) -> int:
    """Record starts by :func:`start_line_columns`: a start line, after a blank line (or at the
    top) in formats without a start tag."""
    if fmt.start_tag is not None:
        return int(df.select(pl.col("raw_start").sum()).item())
    starts = pl.col("raw_start") & pl.col("raw_blank").shift(1, fill_value=True)
    if fmt.opening_line is None:
        return int(df.select(starts.sum()).item())
    # each step a column: an expression that names ``starts`` several times is evaluated as
    # often (seconds on a large export)
    opening = pl.col("raw_opening")
    steps = df.select(opening, block=starts)
    if opened and steps.select((pl.col("block") & ~opening).any()).item():
        # a block that does not open with a PMID line may continue the record before it
        titles = "|".join(fmt.title_tags) or "$^"
        title = pl.lit(df["line"].str.contains(f"^(?:{titles}) {{0,3}}-{_TAIL}"))
        joined = continued(pl.col("block"), opening, title, opened)
        steps = steps.with_columns(block=pl.col("block") & ~joined)
    found = steps.select((pl.col("block") | reopened(pl.col("block"), opening)).sum())
    return int(found.item())


def reopened(starts: pl.Expr, opening: pl.Expr) -> pl.Expr:
    """Opening-tag lines that start a record of their own: the second and later in a record
    begun at ``starts`` (a record holds one PMID; another is the next record's)."""
    # linear scans, no grouping: the openings so far less those before the record's start
    seen = opening.cast(pl.Int32).cum_sum()
    before = pl.when(starts).then(seen - opening.cast(pl.Int32)).forward_fill().fill_null(0)
    return opening & (seen - before >= 2)


def opens(source: str | bytes, opening_line: str | None) -> bool:
    """Whether a line of ``source`` matches ``opening_line`` (a format's opening tag line)."""
    if opening_line is None:
        return False
    # the tag's letters first (a fast find): a file without them is not scanned line by line
    letters = re.match(r"\^?([A-Za-z]+)", opening_line)
    if isinstance(source, bytes):
        if letters and letters.group(1).encode() not in source:
            return False
        return re.search(opening_line.encode(), source, re.M) is not None
    if letters and letters.group(1) not in source:
        return False
    return re.search(opening_line, source, re.M) is not None


def continued(starts: pl.Expr, opening: pl.Expr, title: pl.Expr, opened: bool) -> pl.Expr:
    """Record starts after a blank line (``starts``) that continue the record before them: a
    blank line inside a record. In a file whose records hold an ``opening`` tag (MEDLINE's
    PMID), a block without one, after another block, is the rest of the record before it,
    unless both hold a ``title`` line (then it is a record whose opening line was lost). An
    ERIC file (no PMID at all) is left as it is: its records start after any blank line.
    ``opened``: the whole file holds an opening tag (a block of it need not)."""
    if not opened:
        return pl.lit(False)
    has_title = _block_any(title, starts)
    before_title = has_title.shift(1).fill_null(False)  # the line before: the block before's
    later = starts.cast(pl.Int32).cum_sum() > 1
    return starts & ~_block_any(opening, starts) & later & ~(has_title & before_title)


def _block_any(flag: pl.Expr, starts: pl.Expr) -> pl.Expr:
    """Whether a line of each line's block (from a ``starts`` line to the next) is ``flag``:
    linear scans, no grouping (a window over 100k blocks costs seconds on a large export)."""
    seen = flag.cast(pl.Int32).cum_sum()
    before = pl.when(starts).then(seen - flag.cast(pl.Int32)).forward_fill().fill_null(0)
    upto = pl.when(starts.shift(-1).fill_null(True)).then(seen).backward_fill()
    return (upto - before) > 0


def repeated_after_end(df: pl.DataFrame, fmt: TaggedFormat) -> pl.Series | None:
    """The false end lines (:func:`membership`) that are real ends after all: the fields after
    the line repeat a field the record already has and holds once (a title, a year, an
    abstract; the format's ``same_field`` tags count as one), so they are another record
    whose start line is missing, not more of this one (Ovid writes ``NL`` after ``ER``: a field
    the record lacks). None when there is none."""
    same = dict(fmt.same_field)
    part = pl.col("is_end_tag").cast(pl.Int32).cum_sum().over("rec")
    fields = (
        df.lazy()
        .with_row_index("i")
        .with_columns(part=part)
        .filter(
            pl.col("inside")
            & pl.col("tag").is_not_null()
            & ~pl.col("is_end_tag")
            & ~pl.col("tag").is_in(list(fmt.list_tags))
        )
        .select("rec", "part", field=pl.col("tag").replace(same))
    )
    before = fields.filter(pl.col("part") == 0).select("rec", "field").unique()
    after = fields.filter(pl.col("part") >= 1).select("rec", "field").unique()
    recs = before.join(after, on=["rec", "field"]).select("rec").unique().collect()
    if not recs.height:
        return None
    # the record's first end line: the one that ends it
    first_end = pl.col("false_end") & (part == 1) & pl.col("rec").is_in(recs["rec"].implode())
    return df.select(forced=first_end)["forced"]


def loose_fields(
    df: pl.DataFrame, fmt: TaggedFormat, offset: int
) -> tuple[pl.DataFrame, list[RawReject]]:
    """Fields outside any record (after a record's end line, before the next start line): a
    record whose start line is missing or damaged (``ty  - `` in lower case, a line deleted).
    Each run of them that an end line closes, or that holds three fields or more, is rejected
    with its raw text (from a start line that only its letter case keeps from reading as one)
    instead of being ignored as stray text; their lines leave the ``stray`` and ``stray_end``
    counts."""
    outside = ~pl.col("inside") & ~pl.col("blank") & ~pl.col("header")
    field = pl.col("tag").is_not_null() & ~pl.col("end_tag_line")
    if not df.select((outside & field).any()).item():
        return df, []
    # runs: the outside lines after one record, each closed by an end line
    seg = pl.col("end_tag_line").cast(pl.Int32).cum_sum().shift(1, fill_value=0).over("rec")
    runs = (
        df.lazy()
        .with_row_index("i")
        .filter(outside)
        .with_columns(seg=seg)
        .group_by("rec", "seg")
        .agg(
            first=pl.col("i").filter(field).min(),
            last=pl.col("i").filter(field | pl.col("end_tag_line")).max(),
            n_fields=field.sum(),
            closed=pl.col("end_tag_line").any(),
        )
        # a record: closed by an end line, or three fields or more (a line or two of tags
        # before the first record, say a file header, stay stray text, said in a note)
        .filter(pl.col("first").is_not_null() & (pl.col("closed") | (pl.col("n_fields") >= 3)))
        .sort("first")
        .collect()
    )
    loose_start = re.compile(f"(?i){fmt.start_line}")
    lines = df["line"]
    mask = [False] * df.height
    rejects: list[RawReject] = []
    for first, last in runs.select("first", "last").iter_rows():
        before = first - 1
        if before >= 0 and not df["inside"][before] and loose_start.match(lines[before] or ""):
            first = before  # its start line, unread only for its letter case
        for i in range(first, last + 1):
            mask[i] = True
        shown = lines[first]
        rejects.append(
            RawReject(
                offset + first + 1,
                f"fields outside any record: a record whose {fmt.start_tag} line is missing or "
                f"damaged (its first line: {shown[:60]!r}); not imported: correct its "
                f"{fmt.start_tag} line and import the file again",
                "\n".join(lines[first : last + 1].to_list()),
            )
        )
    orphan = pl.Series("orphan", mask)
    df = df.with_columns(stray=pl.col("stray") & ~orphan, stray_end=pl.col("stray_end") & ~orphan)
    return df, rejects


# a record's year tags, per format: with its title tag, the second sign of two records
YEAR_TAGS = {"ris": ("PY", "Y1"), "medline": ("DP",), "wos": ("PY",), "endnote": ("D",)}


def run_together(fields: pl.DataFrame, fmt: TaggedFormat) -> pl.Series:
    """The records (``rec``) that hold one of the format's title tags twice and one of its
    year tags twice: two records run together, neither boundary line left to tell where the
    second one starts. Kept, such a record would carry the first title with both author lists
    and lose the second record without a word. A title tag alone twice (a title per language)
    is one record; a second title in another tag (RIS T1 beside TI) is not counted. No real
    export among the 230 fixture files repeats a title tag within a record."""
    years = YEAR_TAGS.get(fmt.name, ())
    if not fmt.title_tags or not years:
        return pl.Series("rec", [], dtype=fields.schema["rec"])
    twice = (
        fields.lazy()
        .filter(pl.col("tag").is_in([*fmt.title_tags, *years]))
        .group_by("rec", "tag")
        .agg(pl.len())
        .filter(pl.col("len") > 1)
        .group_by("rec")
        .agg(
            title=pl.col("tag").is_in(list(fmt.title_tags)).any(),
            year=pl.col("tag").is_in(list(years)).any(),
        )
        .filter(pl.col("title") & pl.col("year"))
    )
    return twice.select(pl.col("rec").sort()).collect()["rec"]


def raw_rejects(df: pl.DataFrame, starts: pl.DataFrame, reason: str) -> list[RawReject]:
    """Records ``starts`` (rec, line) of the reader's lines ``df`` as rejects with their raw
    text (every line inside the record) and ``reason``."""
    if not starts.height:
        return []
    recs = starts["rec"].implode()
    raw = (
        df.filter(pl.col("inside") & pl.col("rec").cast(pl.Int64).is_in(recs))
        .group_by("rec", maintain_order=True)
        .agg(pl.col("line").str.join("\n"))
    )
    raw_by_rec = dict(raw.iter_rows())
    return [
        RawReject(line_no, reason, raw_by_rec.get(r, ""))
        for r, line_no in starts.select("rec", "line").iter_rows()
    ]
