"""One export's bytes to its records, rejects and file row (one row per export file); parts
combined.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor

import polars as pl

from .. import schemas
from ..connectors import formats as api_formats
from ..io import bibtex, controls, proquest, record_starts, tables, tagged, xmlrefs
from ..io.decode import Decoded, decode
from ..spreadsheet import read_workbook
from ..wording import first_few
from .canonical import _fallback_ids, canonical_frame
from .detect import (
    _MAX_HEADER,
    archive_reason,
    binary_reason,
    detect_format,
    detect_table_preset,
    generic_map,
    what_it_is,
)
from .fieldmaps import FIELD_MAPS
from .model import FORMATS, TABLE_PRESETS, TAGGED, FieldMap, Imported, ImportError_, SourceMeta


def set_format(source_id: str) -> str:
    """The advice to declare a file's format, worded for the config (the command line's
    ``scoping-review import`` puts its option in its place)."""
    return f"set `format:` for search {source_id!r} in config"


# formats whose records are marked in the text (a tag, an @entry, a document heading): a file
# of text with no mark in it holds none, and is not an export of the format; a table's header
# row with no row under it is a search that found nothing
RECORD_MARKED = (*TAGGED, "bibtex", "proquest")


def no_records(path: str, fmt: str, head: str) -> str:
    """Why a file of text in which format ``fmt`` finds no record is refused."""
    first = next((line.strip() for line in head.splitlines() if line.strip()), "")
    shown = first if len(first) <= 60 else first[:57] + "..."
    plainly = what_it_is(head)
    if plainly is not None:
        return f"{path}: no {fmt} record in it: {plainly}"
    return (
        f"{path}: no {fmt} record in it (its first line: {shown!r}); it is not a {fmt} "
        "export, perhaps a search history or a page of results. Export the search's records "
        "again, or declare the format the file is in; if the search found nothing, leave the "
        "file empty (0 bytes) with its format declared: it then counts as 0 records"
    )


def parse_text(
    decoded: Decoded,
    fmt: str,
    *,
    data: bytes = b"",
    columns: Mapping[str, object] | None = None,
) -> tuple[tagged.Parsed, str, FieldMap | None]:
    """Run the reader for ``fmt``; returns the parse, the field-map name and a field map for
    generic tables (None: use ``FIELD_MAPS``). Tagged readers take the UTF-8 bytes when the
    export was exactly that (no Python string is built)."""
    if fmt in TAGGED:
        source = decoded.utf8 if decoded.utf8 is not None else decoded.text
        return tagged.parse(source, tagged.FORMATS[fmt]), fmt, None
    text = decoded.text
    if fmt == "bibtex":
        return bibtex.parse(text), fmt, None
    if fmt == "proquest":
        return proquest.parse(text), fmt, None
    if fmt in ("endnote_xml", "pubmed_xml"):
        try:
            return xmlrefs.parse(text, fmt), fmt, None
        except xmlrefs.XMLExportError as err:
            raise ImportError_(str(err)) from err
    if fmt in api_formats.FORMATS:
        try:
            return api_formats.parse(text, fmt), fmt, api_formats.FIELD_MAP
        except api_formats.PageError as err:
            raise ImportError_(str(err)) from err
    if fmt in ("csv", "xlsx", *TABLE_PRESETS):
        try:
            if fmt == "xlsx" or data[:4] == b"PK\x03\x04":
                try:
                    frame = read_workbook(data)
                except pl.exceptions.PolarsError:
                    raise
                except Exception as err:  # calamine's own errors: not a workbook
                    why = archive_reason(data) or f"not a readable spreadsheet: {err}"
                    raise tables.TableError(why) from err
                parsed = tables.parse_sheet(frame)
                header = frame.columns
            else:
                parsed = tables.parse_delimited(text)
                header = tables.header_of(text)
        except (pl.exceptions.PolarsError, tables.TableError) as err:
            plainly = what_it_is(text[:4096]) if text else None  # a format declared for it
            raise ImportError_(f"cannot read as a table: {plainly or err}") from err
        seen = detect_table_preset(header)
        if fmt in TABLE_PRESETS and seen != "csv":  # a database's header: its own preset
            conflict = format_conflict(fmt, seen)
            if conflict is not None:
                raise ImportError_(conflict)
        preset = fmt if fmt in TABLE_PRESETS else seen
        if columns:
            preset = "csv" if fmt in ("csv", "xlsx") else preset
        fmap = generic_map(header, columns) if preset in ("csv", "xlsx") else FIELD_MAPS[preset]
        named = {c.strip() for c in header}
        if parsed.n_raw and not any(c in named for cols in fmap.values() for c in cols):
            # every record would be empty: no column of the header is one a record reads
            plainly = what_it_is(text[:4096]) if text else None
            raise ImportError_(
                f"no column of the header ({', '.join(repr(c) for c in header[:4])}) is one "
                f"a {preset} record is read from: "
                + (plainly or "not such an export, or `columns:` must name its columns")
            )
        if preset in ("csv", "xlsx"):
            return parsed, "xlsx" if fmt == "xlsx" else "csv", fmap
        return parsed, preset, None
    raise ImportError_(f"format {fmt!r} is not supported (supported: {', '.join(FORMATS)})")


_SHA_POOL = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sha256")


# the formats a content that detects as "csv" (a delimited table with a bibliographic header)
# may be read as: the generic reader and the databases' presets
_TABLE_READS = frozenset({"csv", *TABLE_PRESETS})


def format_conflict(chosen: str | None, detected: str | None) -> str | None:
    """Why a search's configured format cannot be how its content is read (None: it can).

    A format set in config is trusted where the content says nothing clear (``detected``
    None); where the content plainly is another format (a RIS file given ``format: medline``
    or ``bibtex``), reading it so would lose its records or their fields without an error,
    so the import stops and names both."""
    if chosen is None or detected is None or chosen == detected:
        return None
    if detected == "csv" and chosen in _TABLE_READS:
        return None
    return (
        f"the format is set to {chosen} (`format:` in config, or `--format`), but the file's "
        f"content is {detected}: read as {chosen}, its records or their fields would be lost. "
        f"Correct the format, or leave it out to let the content decide"
    )


def joined_exports(source: str | bytes, chosen: str, lines: Sequence[int]) -> str | None:
    """What to say of a ``chosen``-format file in which one of the (1-based) ``lines`` starts
    a record of another format (:data:`..io.record_starts.RECORD_STARTS`) with a line of that
    record's body after it: two exports joined into one file. None when none does."""
    text = source.decode("utf-8", "replace") if isinstance(source, bytes) else source
    # lines as the reader numbers them: a bare CR (an old Mac file) ends a line too
    rows = re.split(r"\r\n|\r|\n", text, maxsplit=max(lines) + 200)
    for line_no in lines:
        if line_no > len(rows):
            continue
        line = rows[line_no - 1]
        after = next((r for r in rows[line_no:] if r.strip()), "")
        other = record_starts.started_format(line, after)
        if other is not None and other != chosen:
            return (
                f"two exports of different formats joined into one file: {chosen} records, "
                f"then a {other} record at line {line_no} ({line[:60]!r}); read as {chosen}, "
                f"the {other} records would be lost or merged into others. Split the file "
                f"where the {other} export begins and list both files under the search's "
                "`files:` (each is read in its own format)"
            )
    return None


def import_export(
    data: bytes,
    meta: SourceMeta,
    *,
    fmt: str = "auto",
    encoding: str | None = None,
    columns: Mapping[str, object] | None = None,
) -> Imported:
    """Parse one export file's bytes into records, rejects and its ``files`` row.

    ``columns`` maps canonical fields to column names for generic CSV/TSV/XLSX files.
    Raises :class:`ImportError_` naming the file when the format is unknown or when the records
    parsed plus rejected do not add up to the record starts counted in the raw text.
    """
    is_xlsx = data[:4] == b"PK\x03\x04" or fmt == "xlsx"
    # the file's SHA-256 is computed beside the parse (hashlib releases the GIL on large data)
    sha_thread = _SHA_POOL.submit(lambda: hashlib.sha256(data).hexdigest())
    try:
        decoded = decode(b"" if is_xlsx else data, encoding)
    except (UnicodeDecodeError, LookupError) as err:
        how = f"as {encoding!r} (the search's encoding)" if encoding else "its text"
        raise ImportError_(f"{meta.path}: cannot decode {how}: {err}") from err
    control_note: str | None = None
    marks_note: str | None = None
    mac_note: str | None = None
    if not is_xlsx:
        binary = binary_reason(decoded.head(_MAX_HEADER), data)
        if binary is not None:
            raise ImportError_(
                f"{meta.path}: {binary}: not a text export in any supported format "
                f"({', '.join(FORMATS)})"
            )
        decoded, control_note = controls.strip_controls(decoded)
        decoded, marks_note = controls.strip_inner_marks(decoded)
        decoded, mac_note = controls.mac_line_ends(decoded)
    detected = detect_format(data, decoded.head(_MAX_HEADER + 1))
    chosen = fmt if fmt not in ("auto", None, "") else detected
    conflict = format_conflict(chosen, detected)
    if conflict is not None:
        raise ImportError_(f"{meta.path}: {conflict}")
    if chosen is None:
        if not data.strip():  # nothing to tell a format from, and no record to read
            what = "is empty (0 bytes)" if not data else "holds nothing but white space"
            raise ImportError_(
                f"{meta.path}: the file {what}, so it has no format to tell and no records. "
                f"If the search found nothing, {set_format(meta.source_id)} and the file counts "
                "as 0 records; if it should have records, the export or its download failed: "
                "export the search again"
            )
        plainly = what_it_is(decoded.head(_MAX_HEADER))
        if plainly is not None:
            raise ImportError_(f"{meta.path}: not an export: {plainly}")
        raise ImportError_(
            f"{meta.path}: cannot tell the export format from its content; "
            f"{set_format(meta.source_id)}; formats: {', '.join(FORMATS)}"
        )
    canon_parts: list[pl.DataFrame] = []
    if chosen in TAGGED:  # block by block: one block's lines and fields are held at a time
        fmt_ = tagged.FORMATS[chosen]
        blocks = []
        source = decoded.utf8 if decoded.utf8 is not None else decoded.text
        for block in tagged.parse_blocks(source, fmt_):
            canon_parts.append(
                canonical_frame(block.parsed.fields, block.parsed.starts, chosen, stripped=True)
            )
            block.parsed.fields = block.parsed.fields.clear()
            blocks.append(block)
        found = [
            n
            for b in blocks
            if b.findings.counts.get("foreign")
            for n in b.findings.first["foreign"]
        ]
        joined = joined_exports(source, chosen, found) if found else None
        if joined is not None:
            raise ImportError_(f"{meta.path}: {joined}")
        parsed, map_name, fmap = tagged.merge(blocks, fmt_), chosen, None
    else:
        text = decoded.text if chosen == "bibtex" else ""
        # text outside entries is a comment to BibTeX: look for other formats' records (a find
        # of each one's first letters before a scan of every line)
        if any(m in text for m in record_starts.MARKERS):
            found = [
                text.count("\n", 0, hit.start()) + 1
                for hit in itertools.islice(
                    re.finditer(record_starts.foreign_starts(chosen), text, re.M), 5
                )
            ]
            joined = joined_exports(text, chosen, found) if found else None
            if joined is not None:
                raise ImportError_(f"{meta.path}: {joined}")
        try:
            parsed, map_name, fmap = parse_text(decoded, chosen, data=data, columns=columns)
        except ImportError_ as err:
            raise ImportError_(f"{meta.path}: {err}") from err
    if is_xlsx:
        cleaned, control_note = controls.strip_control_column(parsed.fields)
        parsed.fields = cleaned
    n_parsed, n_rejected = parsed.n_records, len(parsed.rejects)
    if parsed.n_raw != n_parsed + n_rejected:
        raise ImportError_(
            f"{meta.path}: {parsed.n_raw} record starts in the raw text but {n_parsed} parsed "
            f"+ {n_rejected} rejected; refusing to lose records silently "
            f"(parsed records start at lines {parsed.starts['line'].head(3).to_list()}...)"
        )
    if parsed.n_raw == 0 and chosen in RECORD_MARKED:
        head = decoded.head(_MAX_HEADER).lstrip("\ufeff")
        if head.strip():  # text, and no record in it (white space alone is an empty file)
            raise ImportError_(no_records(meta.path, chosen, head))
    if not canon_parts:
        canon_parts = [
            canonical_frame(parsed.fields, parsed.starts, map_name, fmap, stripped=parsed.stripped)
        ]
    canon_parts = [part.with_columns(_fallback_ids(part)) for part in canon_parts]
    canon = (
        canon_parts[0] if len(canon_parts) == 1 else pl.concat(canon_parts, how="vertical_relaxed")
    )
    native = pl.col("native_id")
    suffix: pl.Expr = pl.lit("")
    repeated: list[str] = []
    if canon["native_id"].is_duplicated().any():  # the n-th copy of an ID gets "~n"
        nth = pl.int_range(1, pl.len() + 1).over("native_id")
        suffix = pl.when(nth > 1).then(pl.concat_str(pl.lit("~"), nth.cast(pl.String)))
        suffix = suffix.otherwise(pl.lit(""))
        repeated = (canon.group_by("native_id").len().filter(pl.col("len") > 1).sort("native_id"))[
            "native_id"
        ].to_list()
    sha = sha_thread.result()
    records = canon.with_columns(
        record_id=pl.concat_str(pl.lit(f"{meta.source_id}:"), native, suffix),
        source_id=pl.lit(meta.source_id),
        database=pl.lit(meta.database),
        search_date=pl.lit(meta.search_date),
        source_file=pl.lit(meta.path),
        source_line=pl.col("line").cast(pl.Int64),
        source_sha256=pl.lit(sha),
    )
    records = records.select([pl.col(c).cast(t) for c, t in schemas.RECORDS.columns.items()])
    rejects = pl.DataFrame(
        {
            "source_id": [meta.source_id] * n_rejected,
            "file": [meta.path] * n_rejected,
            "line": [r.line for r in parsed.rejects],
            "reason": [r.reason for r in parsed.rejects],
            "raw": [r.raw for r in parsed.rejects],
        },
        schema=schemas.REJECTS.polars_schema,
    )
    file_row: dict[str, object] = {
        "source_id": meta.source_id,
        "database": meta.database,
        "path": meta.path,
        "sha256": sha,
        "format": map_name if chosen in ("csv", *TABLE_PRESETS) else chosen,
        "encoding": "xlsx" if is_xlsx else decoded.encoding,
        "encoding_note": "spreadsheet (no text encoding)" if is_xlsx else decoded.note,
        "n_raw": parsed.n_raw,
        "n_parsed": n_parsed,
        "n_rejected": n_rejected,
    }
    notes = list(parsed.notes)
    notes += [note for note in (control_note, marks_note, mac_note) if note is not None]
    if repeated:
        notes.append(f"native IDs repeated in the file: {first_few(repeated)}")
    cut = cut_short(records) if chosen in TAGGED else None
    if cut is not None:
        notes.append(cut)
    file_row["notes"] = notes
    return Imported(
        schemas.validate(records, schemas.RECORDS),
        schemas.validate(rejects, schemas.REJECTS),
        file_row,
        notes,
    )


# how many records before a file's last one :func:`cut_short` compares it with
CUT_SHORT_PEERS = 50


def cut_short(records: pl.DataFrame, at_least: int = 2) -> str | None:
    """A note when a tagged export's last record looks cut off: it lacks two or more tags
    that each record before it holding its last tag (``at_least`` or more of the
    :data:`CUT_SHORT_PEERS` before it) has after that tag (MEDLINE's ``JT``, ``SO`` ... after
    ``AB``). A format without an end line says nothing else when a download stops inside its
    last record; a record that merely lacks a field (no DOI), or ends at an optional last
    field, is not noted."""
    tail = (
        records.select("source_line", "raw_tags")
        .top_k(CUT_SHORT_PEERS + 1, by="source_line")  # not a sort of the whole table
        .sort("source_line")["raw_tags"]
        .to_list()
    )
    if len(tail) <= at_least or not tail[-1]:
        return None
    *others, last = tail
    final = last[-1]
    peers = [tags for tags in others if final in tags]  # those with its last tag: an order
    if len(peers) < at_least:
        return None
    after: set[str] | None = None
    for tags in peers:
        at = len(tags) - 1 - tags[::-1].index(final)
        later = set(tags[at + 1 :])
        after = later if after is None else after & later
    lost = sorted((after or set()) - set(last))
    if len(lost) < 2:  # one optional last field (notes, an abstract) is no sign of a cut
        return None
    line = int(records["source_line"].max())  # type: ignore[arg-type]
    return (
        f"the last record (line {line}) ends at its {final} field and lacks {', '.join(lost)}, "
        f"which the records before it have after {final}: the file may be cut short inside it "
        "(a truncated download?); it is kept as it stands: export the search again to be sure"
    )


def combine(parts: Sequence[Imported]) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """records, rejects and files tables for all exports, in a stable order."""
    records = pl.concat([p.records for p in parts]) if parts else schemas.RECORDS.empty()
    rejects = pl.concat([p.rejects for p in parts]) if parts else schemas.REJECTS.empty()
    files = pl.DataFrame([p.file_row for p in parts], schema=schemas.FILES.polars_schema)
    return (
        schemas.validate(records.sort("record_id"), schemas.RECORDS),
        schemas.validate(rejects.sort("file", "line"), schemas.REJECTS),
        schemas.validate(files.sort("source_id", "path"), schemas.FILES),
    )
