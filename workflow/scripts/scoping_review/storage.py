"""File I/O for the adapters: the only module of the package that touches paths.

Tables are validated against their contract before they are written, and written the same way
every time (same column order, compression and row-group size) so that equal inputs give
byte-identical Parquet.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import re
import sys
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl
import yaml

from . import schemas
from .spreadsheet import Worksheet, neutralise, read_workbook, sheet_text

if TYPE_CHECKING:  # the readers (and their libraries) load only when a file is imported
    from . import importing


class InputFileError(ValueError):
    """An input file is missing or unreadable; the message names it."""


def sha256_file(path: str | Path) -> str:
    """SHA-256 of a file; of a directory (a table in parts, :func:`link_table_parts`), the
    SHA-256 of its files' names and SHA-256s, one line each, in name order (hidden files
    left out, as polars leaves them out of the table)."""
    if Path(path).is_dir():
        lines = "".join(
            f"{child.name}\t{sha256_file(child)}\n"
            for child in sorted(Path(path).iterdir(), key=lambda c: c.name)
            if not child.name.startswith(".")  # hidden files are not read as parts
        )
        return hashlib.sha256(lines.encode()).hexdigest()
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def input_hashes(paths: Iterable[Any]) -> dict[str, str]:
    """``{path: sha256}`` for a rule's inputs (nested lists flattened), to stamp ledger rows."""
    flat: list[str] = []
    for item in paths:
        if isinstance(item, str | Path):
            flat.append(str(item))
        else:
            flat.extend(str(p) for p in item)
    return {p: sha256_file(p) for p in sorted(set(flat))}


def read_bytes(path: str | Path) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as err:
        raise InputFileError(f"{path}: cannot read ({err.strerror})") from err


def import_file(
    path: str | Path,
    fmt: str = "auto",
    source_id: str | None = None,
    database: str | None = None,
    *,
    encoding: str | None = None,
    columns: dict[str, Any] | None = None,
    search_date: str = "",
) -> importing.Imported:
    """Import one export file by path: :func:`importing.import_export` on its bytes.

    ``source_id`` defaults to the file's stem (lowercased), ``database`` to ``source_id``.
    Returns an :class:`importing.Imported`; raises :class:`InputFileError` for an unreadable
    file and :class:`importing.ImportError_` for an export that cannot be reconciled.
    """
    from . import importing

    p = Path(path)
    sid = source_id or re.sub(r"[^a-z0-9_-]+", "_", p.stem.lower()).strip("_") or "file"
    meta = importing.SourceMeta(sid, database or sid, search_date, str(path))
    return importing.import_export(read_bytes(p), meta, fmt=fmt, encoding=encoding, columns=columns)


def read_sheet(path: str | Path, worksheet: str | None = None) -> pl.DataFrame:
    """A CSV/TSV or XLSX sheet with every cell as text (nothing is type-guessed).

    ``worksheet`` names the worksheet of a workbook to read (default: the first).
    """
    p = Path(path)
    if not p.exists():
        raise InputFileError(f"{path}: sheet not found")
    suffix = p.suffix.lower()
    try:
        if suffix in (".xlsx", ".xlsm", ".xls", ".ods"):
            return read_workbook(p, worksheet)
        data, sep = sheet_text(p.read_bytes(), suffix)
        return pl.read_csv(data, separator=sep, infer_schema=False)
    except pl.exceptions.PolarsError as err:
        where = _ragged_row(p) if suffix not in (".xlsx", ".xlsm", ".xls", ".ods") else ""
        # the row named says it all; the library's text (with its own advice) only otherwise
        why = where.removesuffix(": ") if where else str(err)
        raise InputFileError(f"{path}: cannot read as a sheet: {why}") from err


def _ragged_row(path: Path) -> str:
    """``"row N has K cells, the header has H: "`` for the first row of a CSV/TSV whose width
    differs from its header (rows numbered as a spreadsheet shows them), else ``""``."""
    import csv

    data, sep = sheet_text(path.read_bytes(), path.suffix.lower())
    try:
        with io.StringIO(data.decode("utf-8", errors="replace"), newline="") as handle:
            rows = csv.reader(handle, delimiter=sep)
            width = len(next(rows, []))
            for number, row in enumerate(rows, start=2):
                if len(row) > width:
                    return f"row {number} has {len(row)} cells, the header has {width}: "
    except csv.Error:
        return ""
    return ""


def read_yaml(path: str | Path) -> Any:
    try:
        with open(path, encoding="utf-8") as handle:
            return yaml.safe_load(handle)
    except OSError as err:
        raise InputFileError(f"{path}: cannot read ({err.strerror})") from err
    except yaml.YAMLError as err:
        raise InputFileError(f"{path}: not valid YAML: {err}") from err


def read_table(path: str | Path, schema: schemas.TableSchema | None = None) -> pl.DataFrame:
    """A stage table, each column in one piece (:func:`contiguous`), validated when a
    ``schema`` is given."""
    frame = contiguous(pl.read_parquet(path))
    return schemas.validate(frame, schema) if schema is not None else frame


def read_columns(path: str | Path, columns: Iterable[str]) -> pl.DataFrame:
    """Some columns of a stage table (validated in full when it was written), each in one
    piece (:func:`contiguous`)."""
    return contiguous(pl.read_parquet(path, columns=list(columns)))


def contiguous(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with each column in one chunk. Polars reads a Parquet file as one chunk per
    row group (8 for 700,000 studies; 13 for 1M records in the searches' 5 files), and
    gathering rows from a column in pieces is slow: at 1M records, gathering 708,000 studies'
    abstracts took 0.5 s from 13 chunks and 0.01 s from one, and the dedupe stage's studies
    table took 5.2 s against 2.5 s. Putting the pieces together is cheap (0.26 s for those
    records: text is kept as views of the same buffers)."""
    return frame.rechunk()


def write_table(frame: pl.DataFrame, path: str | Path, schema: schemas.TableSchema) -> None:
    frame = schemas.validate(frame, schema)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    frame.write_parquet(path, compression="zstd", compression_level=3, row_group_size=100_000)


def link_table_parts(
    parts: Sequence[tuple[str, str | Path]],
    directory: str | Path,
    schema: schemas.TableSchema,
    key: str,
) -> None:
    """Make ``directory`` the union of per-search tables: one file per part, linked (a hard
    link; a copy where the file system has none), not rewritten. Polars reads a directory of
    Parquet files as one table, its files in name order (``pl.read_parquet(directory)``).

    ``parts`` are (search ID, path to a table written and validated with ``schema``, sorted
    by ``key``), where every ``key`` starts with the search ID and a colon (record IDs are
    ``<search id>:<native id>``). The files are named in the order of those prefixes, so that
    the union reads sorted by ``key``: search IDs hold no colon, so no prefix starts another
    and every key of a part sorts before every key of the next. A part whose keys break that
    (unsorted, repeated, or without its prefix) is refused, as are other columns or types.

    Measured at 1M records (4 searches and a 1 % update): merging the parts into one sorted
    file took 7.6 s (decoding and encoding 2.3 GB of records) and the import_merge rule 12.5 s;
    linking takes milliseconds and each reader reads the same rows from the parts.
    """
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    wanted = schema.polars_schema
    if not parts:
        write_table(schema.empty(), out / "0000.parquet", schema)
        return
    ordered = sorted(parts, key=lambda part: f"{part[0]}:")
    if len({sid for sid, _ in ordered}) < len(ordered):
        raise schemas.SchemaError(f"{schema.name}: a search ID is given twice: {ordered}")
    for number, (sid, source) in enumerate(ordered):
        frame = pl.scan_parquet(source)
        if frame.collect_schema() != wanted:
            raise schemas.SchemaError(
                f"{schema.name} ({source}): columns {frame.collect_schema()} are not {wanted}"
            )
        keys = frame.select(key).collect()[key]
        if ":" in sid or not keys.str.starts_with(f"{sid}:").all():
            raise schemas.SchemaError(
                f"{schema.name} ({source}): every {key} must start with {sid!r} and a colon "
                f"(its search ID), and a search ID holds no colon"
            )
        if keys.len() > 1 and not (keys.slice(1) > keys.slice(0, keys.len() - 1)).all():
            raise schemas.SchemaError(
                f"{schema.name} ({source}): {key} must be sorted and unique (grain: {schema.grain})"
            )
        target = out / f"{number:04d}-{sid}.parquet"
        try:
            os.link(source, target)
        except OSError:
            import shutil

            shutil.copyfile(source, target)


def write_xlsx(sheets: list[Worksheet], path: str | Path) -> None:
    """Write ``sheets`` to one XLSX file: all cells as text (formula-neutralised), frozen
    header, autofilter, and in-cell dropdown lists for the columns that have them.

    The workbook's creation date is pinned so equal inputs give identical bytes.
    """
    import datetime

    import xlsxwriter

    Path(path).parent.mkdir(parents=True, exist_ok=True)
    workbook = xlsxwriter.Workbook(
        str(path), {"strings_to_formulas": False, "strings_to_urls": False}
    )
    workbook.set_properties({"created": datetime.datetime(2000, 1, 1)})
    header = workbook.add_format({"bold": True, "text_wrap": True, "valign": "top"})
    text = workbook.add_format({"num_format": "@", "text_wrap": True, "valign": "top"})
    for sheet in sheets:
        ws = workbook.add_worksheet(sheet.name[:31])
        frame = neutralise(sheet.frame.select(pl.all().cast(pl.String)))
        top = 0
        if sheet.note:
            ws.write_string(0, 0, sheet.note)
            top = 1
        for col, name in enumerate(frame.columns):
            ws.write_string(top, col, name, header)
            ws.set_column(col, col, sheet.widths.get(name, 18), text)
        for row, values in enumerate(frame.iter_rows(), start=top + 1):
            for col, value in enumerate(values):
                if value is not None:
                    ws.write_string(row, col, value)
        last = top + max(frame.height, 1)
        for name, choices in sheet.dropdowns.items():
            col = frame.columns.index(name)
            ws.data_validation(
                top + 1,
                col,
                max(last, top + 1000),
                col,
                {"validate": "list", "source": choices, "ignore_blank": True},
            )
        ws.freeze_panes(top + 1, 0)
        if frame.width:
            ws.autofilter(top, 0, last, frame.width - 1)
    workbook.close()


def write_csv(frame: pl.DataFrame, path: str | Path, neutralised: bool = False) -> None:
    """Write a CSV for people to open in a spreadsheet: every text cell formula-neutralised
    (see :mod:`scoping_review.spreadsheet`); ``neutralised`` says the caller's frame already
    is (neutralising twice changes nothing, it only costs a pass over the text)."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    (frame if neutralised else neutralise(frame)).write_csv(path)


def child_path(directory: str | Path, name: str) -> Path:
    """``directory / name`` for a file name made from data (a count ID, a code): refuses a
    name that could leave ``directory`` (a separator, ``..``, a leading dot, a NUL)."""
    if not name or name.startswith(".") or any(c in name for c in ("/", "\\", "\0")):
        raise ValueError(f"refusing to write {name!r}: not a plain file name inside {directory}")
    return Path(directory) / name


def write_text(text: str, path: str | Path) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(text, encoding="utf-8")


class DirectoryStore:
    """Bytes by key in one directory, for caches a rule keeps outside its declared outputs
    (the report's figure renderings: :class:`scoping_review.report.figures.BlobStore`).

    Writes are atomic (a temporary file in the same directory, then ``os.replace``), so a
    run killed mid-write leaves the old entry or none. A cache never fails a run: an entry
    that cannot be read is a miss, one that cannot be written is skipped. Keys are hex
    digests; anything else is refused.
    """

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)

    def _path(self, key: str) -> Path:
        if not key or not all(c in "0123456789abcdef" for c in key):
            raise ValueError(f"cache keys are lower-case hex digests, not {key!r}")
        return self.directory / key

    def get(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except OSError:
            return None

    def put(self, key: str, data: bytes) -> None:
        target = self._path(key)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-")
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                os.replace(tmp, target)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError:
            return

    def keep_only(self, keys: Iterable[str]) -> int:
        """Delete every entry (and stray temporary file) not in ``keys``; how many went."""
        wanted = set(keys)
        removed = 0
        if not self.directory.is_dir():
            return 0
        for entry in self.directory.iterdir():
            if entry.name not in wanted and entry.is_file():
                entry.unlink(missing_ok=True)
                removed += 1
        return removed


# exceptions that mean a bug in the package, not a problem in the user's inputs
_INTERNAL = (
    AssertionError,
    AttributeError,
    ImportError,
    IndexError,
    KeyError,
    NameError,
    NotImplementedError,
    TypeError,
    ZeroDivisionError,
)


def error_block(rule: str, err: BaseException, log_path: str | Path) -> str:
    """What went wrong, where and what to do, for the terminal (the traceback goes to the log)."""
    if isinstance(err, _INTERNAL):
        return (
            f"error in rule {rule}: internal error {type(err).__name__}: {err}\n"
            "  what to do: this is a bug in scoping-review, not in your inputs; please report "
            f"it with the traceback in {log_path}\n"
        )
    lines = [ln for ln in str(err).splitlines() if ln.strip()] or [type(err).__name__]
    body = "\n".join(f"  {ln}" for ln in lines)
    return (
        f"error in rule {rule}:\n{body}\n"
        "  what to do: correct the file, row or config key named above, then run the same "
        "command again\n"
        f"  details: {log_path}\n"
    )


def _install_error_hook(logger: logging.Logger, rule: str, log_path: Path) -> None:
    """An uncaught exception: traceback to the rule's log, one block to ``<log>.error``."""
    error_path = log_path.with_name(log_path.name + ".error")
    error_path.unlink(missing_ok=True)

    def hook(kind: type[BaseException], err: BaseException, tb: Any) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, err, tb)
            return
        file_handlers: list[logging.Handler] = [
            h for h in logger.handlers if isinstance(h, logging.FileHandler)
        ]
        logger.handlers = file_handlers  # the traceback goes to the log file only
        logger.error(f"rule {rule} failed", exc_info=(kind, err, tb))
        block = error_block(rule, err, log_path)
        error_path.write_text(block, encoding="utf-8")
        sys.stderr.write(block)

    sys.excepthook = hook


PEAK_MARK = "peak RSS:"


def peak_memory_line(own_kib: float, child_kib: float) -> str:
    """The log line of a process's peak resident memory and that of its largest waited-for
    child (forked fits, term-count workers), in KiB: exact per process, not sampled. What a
    rule needs of a cluster node's memory."""
    return (
        f"{PEAK_MARK} this process {own_kib / 1024:.0f} MiB; "
        f"its largest child {child_kib / 1024:.0f} MiB"
    )


def own_peak_kib(status: str | None = None) -> float:
    """This process's peak RSS in KiB: the kernel's high-water mark of its own address space
    (``VmHWM`` in /proc/self/status, or ``status``). getrusage's ``ru_maxrss`` is the
    fallback only: on Linux it keeps across exec the RSS of the process that forked it (a
    rule's script would report Snakemake's size); on macOS it is in bytes."""
    import resource

    if status is None:
        try:
            with open("/proc/self/status", encoding="ascii", errors="replace") as handle:
                status = handle.read()
        except OSError:
            status = ""
    found = re.search(r"^VmHWM:\s*(\d+)\s*kB", status, flags=re.MULTILINE)
    if found:
        return float(found[1])
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return maxrss / 1024 if sys.platform == "darwin" else float(maxrss)


def _log_peak_at_exit(logger: logging.Logger) -> None:
    """At the exit of the rule's process (not of a forked child), its peak memory line to
    the log file only (the terminal is not told)."""
    import atexit
    import resource

    pid = os.getpid()
    unit = 1 / 1024 if sys.platform == "darwin" else 1.0  # ru_maxrss: bytes there, KiB here

    def write() -> None:
        if os.getpid() != pid:
            return
        children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * unit
        line = peak_memory_line(own_peak_kib(), children)
        record = logger.makeRecord(logger.name, logging.INFO, __file__, 0, line, (), None)
        for handler in logger.handlers:
            if isinstance(handler, logging.FileHandler):
                handler.handle(record)

    atexit.register(write)


def open_log(path: str | Path, name: str) -> logging.Logger:
    """A logger writing to a rule's ``log:`` file (and to stderr).

    It also installs the rule's error hook: an uncaught exception writes its traceback to the
    log file and one plain block (what, where, what to do) to stderr and to ``<log>.error``,
    which ``scoping-review run``/``update`` print. In a Snakemake job, the process's peak
    memory (:func:`peak_memory_line`) is the log's last line.
    """
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    logger = logging.getLogger(f"scoping_review.{name}")
    logger.setLevel(logging.INFO)
    logger.handlers.clear()
    formatter = logging.Formatter("%(levelname)s %(message)s")
    for handler in (logging.FileHandler(path, mode="w", encoding="utf-8"), logging.StreamHandler()):
        handler.setFormatter(formatter)
        logger.addHandler(handler)
    _install_error_hook(logger, name, Path(path))
    if getattr(sys.modules.get("__main__"), "snakemake", None) is not None:
        _log_peak_at_exit(logger)
    return logger
