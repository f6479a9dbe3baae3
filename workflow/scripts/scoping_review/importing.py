"""01_import: exports (already read as bytes by the adapter) to canonical records.

Field maps are data: for each format, the tags that feed each canonical field, in order of
preference. Every tag the export carried is also kept verbatim in ``raw_tags``/``raw_values``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import polars as pl

from . import schemas
from .io import bibtex, tagged
from .io.decode import decode
from .ledger import Count, Emitter
from .normalize import find_year, normalize_doi

FORMATS = ("ris", "medline", "wos", "bibtex")

# canonical field -> tags, first present wins (list fields take all of the first present tag)
FIELD_MAPS: dict[str, dict[str, tuple[str, ...]]] = {
    "ris": {
        "title": ("TI", "T1", "CT", "BT"),
        "abstract": ("AB", "N2"),
        "authors": ("AU", "A1", "A2"),
        "year": ("PY", "Y1", "DA", "Y2"),
        "journal": ("T2", "JO", "JF", "JA", "J2", "T3"),
        "volume": ("VL",),
        "issue": ("IS", "CP"),
        "start_page": ("SP",),
        "end_page": ("EP",),
        "doi": ("DO", "M3", "N1"),
        "accession": ("AN", "ID", "U1"),
        "pmid": ("PM",),
        "language": ("LA",),
        "type": ("TY",),
        "keywords": ("KW",),
        "url": ("UR", "L2"),
    },
    "medline": {
        "title": ("TI", "BTI"),
        "abstract": ("AB",),
        "authors": ("FAU", "AU"),
        "year": ("DP", "DEP"),
        "journal": ("JT", "TA"),
        "volume": ("VI",),
        "issue": ("IP",),
        "pages": ("PG",),
        "doi": ("LID", "AID"),
        "accession": ("PMID",),
        "pmid": ("PMID",),
        "language": ("LA",),
        "type": ("PT",),
        "keywords": ("OT", "MH"),
        "url": (),
    },
    "wos": {
        "title": ("TI",),
        "abstract": ("AB",),
        "authors": ("AF", "AU"),
        "year": ("PY", "EA"),
        "journal": ("SO", "JI"),
        "volume": ("VL",),
        "issue": ("IS",),
        "start_page": ("BP",),
        "end_page": ("EP",),
        "pages": ("AR",),
        "doi": ("DI",),
        "accession": ("UT",),
        "pmid": ("PM",),
        "language": ("LA",),
        "type": ("DT", "PT"),
        "keywords": ("DE", "ID"),
        "url": (),
    },
    "bibtex": {
        "title": ("title", "booktitle"),
        "abstract": ("abstract",),
        "authors": ("author", "editor"),
        "year": ("year", "date"),
        "journal": ("journal", "journaltitle", "booktitle"),
        "volume": ("volume",),
        "issue": ("number", "issue"),
        "pages": ("pages",),
        "doi": ("doi",),
        "accession": ("ID",),
        "pmid": ("pmid",),
        "language": ("language",),
        "type": ("ENTRYTYPE",),
        "keywords": ("keywords",),
        "url": ("url",),
    },
}

# the record's own identifier in its database, used for a stable record_id
NATIVE_ID_TAGS: dict[str, tuple[str, ...]] = {
    "ris": ("AN", "ID", "U1"),
    "medline": ("PMID",),
    "wos": ("UT",),
    "bibtex": ("ID",),
}

# fmt: off
PUBLICATION_TYPES: dict[str, str] = {
    # RIS TY
    "jour": "article", "jfull": "article", "mgzn": "article", "news": "article", "abst": "abstract",
    "book": "book", "ebook": "book", "edbook": "book", "chap": "chapter", "echap": "chapter",
    "conf": "conference", "cpaper": "conference", "thes": "thesis", "rprt": "report",
    "gen": "other", "elec": "other",
    # PubMed PT, WoS DT
    "journal article": "article", "article": "article", "review": "review",
    "systematic review": "review", "meta-analysis": "review", "editorial": "editorial",
    "letter": "letter", "comment": "letter", "preprint": "preprint", "erratum": "erratum",
    "published erratum": "erratum", "retraction of publication": "retraction",
    "book chapter": "chapter", "proceedings paper": "conference", "meeting abstract": "abstract",
    "case reports": "article", "j": "article", "b": "book", "s": "article", "p": "other",
    # BibTeX
    "inproceedings": "conference", "incollection": "chapter", "inbook": "chapter",
    "phdthesis": "thesis", "mastersthesis": "thesis", "techreport": "report", "misc": "other",
}

LANGUAGES: dict[str, str] = {
    "eng": "en", "english": "en", "en": "en", "ger": "de", "deu": "de", "german": "de",
    "fre": "fr", "fra": "fr", "french": "fr", "spa": "es", "spanish": "es", "es": "es",
    "ita": "it", "italian": "it", "por": "pt", "portuguese": "pt", "dut": "nl", "nld": "nl",
    "dutch": "nl", "chi": "zh", "chinese": "zh", "jpn": "ja", "japanese": "ja",
    "heb": "he", "hebrew": "he", "tur": "tr", "turkish": "tr", "gre": "el", "greek": "el",
}
# fmt: on


class ImportError_(ValueError):
    """An export cannot be imported at all (unknown format, records unaccounted for)."""


@dataclass(frozen=True)
class SourceMeta:
    source_id: str
    database: str
    search_date: str
    path: str  # as written in config: provenance only, never opened here


@dataclass
class Imported:
    records: pl.DataFrame
    rejects: pl.DataFrame
    file_row: dict[str, object]
    notes: list[str]


def _first(fields: Sequence[tuple[str, str]], tags: Sequence[str]) -> str | None:
    for tag in tags:
        for t, v in fields:
            if t == tag and v.strip():
                return v.strip()
    return None


def _all(fields: Sequence[tuple[str, str]], tags: Sequence[str]) -> list[str]:
    for tag in tags:
        values = [v.strip() for t, v in fields if t == tag and v.strip()]
        if values:
            return values
    return []


_DOI_IN_TEXT = re.compile(r"10\.\d{4,9}/[^\s\[\]]+")


def _doi(fmt: str, fields: Sequence[tuple[str, str]], tags: Sequence[str]) -> str | None:
    for tag in tags:
        for t, v in fields:
            if t != tag:
                continue
            if fmt == "medline" and "[doi]" not in v:
                continue
            match = _DOI_IN_TEXT.search(v)
            doi = normalize_doi(match.group(0)) if match else None
            if doi:
                return doi
    return None


def _split_keywords(fmt: str, values: list[str]) -> list[str]:
    if fmt in ("wos", "bibtex"):
        out = [k.strip() for v in values for k in re.split(r"[;,]" if fmt == "bibtex" else ";", v)]
        return [k for k in out if k]
    return values


def canonical(fmt: str, fields: Sequence[tuple[str, str]]) -> dict[str, object]:
    """One canonical record (without identity columns) from a parsed field list."""
    fmap = FIELD_MAPS[fmt]
    pages = _first(fields, fmap.get("pages", ()))
    start, end = (
        _first(fields, fmap.get("start_page", ())),
        _first(fields, fmap.get("end_page", ())),
    )
    if start:
        pages = f"{start}-{end}" if end and end != start else start
    raw_type = _first(fields, fmap["type"])
    language = _first(fields, fmap["language"])
    pmid = _first(fields, fmap["pmid"])
    return {
        "title": _first(fields, fmap["title"]),
        "abstract": _first(fields, fmap["abstract"]),
        "authors": _all(fields, fmap["authors"]),
        "year": find_year(_first(fields, fmap["year"])),
        "journal": _first(fields, fmap["journal"]),
        "volume": _first(fields, fmap["volume"]),
        "issue": _first(fields, fmap["issue"]),
        "pages": pages,
        "doi": _doi(fmt, fields, fmap["doi"]),
        "pmid": re.sub(r"\D", "", pmid) or None if pmid else None,
        "accession": _first(fields, fmap["accession"]),
        "language": LANGUAGES.get(language.lower(), language.lower()) if language else None,
        "publication_type": PUBLICATION_TYPES.get(raw_type.lower(), "other") if raw_type else None,
        "keywords": _split_keywords(fmt, _all(fields, fmap["keywords"])),
        "url": _first(fields, fmap["url"]),
        "raw_tags": [t for t, _ in fields],
        "raw_values": [v for _, v in fields],
    }


def _native_id(fmt: str, fields: Sequence[tuple[str, str]]) -> str:
    native = _first(fields, NATIVE_ID_TAGS[fmt])
    if native:
        return re.sub(r"\s+", "", native)
    digest = hashlib.sha1("\n".join(f"{t}\t{v}" for t, v in fields).encode()).hexdigest()
    return "h" + digest[:12]


def parse_text(text: str, fmt: str) -> tagged.Parsed:
    if fmt == "bibtex":
        return bibtex.parse(text)
    spec = {"ris": tagged.RIS, "medline": tagged.MEDLINE, "wos": tagged.WOS}.get(fmt)
    if spec is None:
        raise ImportError_(f"format {fmt!r} is not supported yet (supported: {', '.join(FORMATS)})")
    return tagged.parse(text, spec)


def import_export(
    data: bytes,
    meta: SourceMeta,
    *,
    fmt: str = "auto",
    encoding: str | None = None,
) -> Imported:
    """Parse one export file's bytes into records, rejects and its ``files`` row.

    Raises :class:`ImportError_` naming the file when the format is unknown or when the records
    parsed plus rejected do not add up to the record starts counted in the raw text.
    """
    decoded = decode(data, encoding)
    detected = tagged.detect(decoded.text)
    chosen = detected if fmt == "auto" else fmt
    if chosen is None:
        raise ImportError_(
            f"{meta.path}: cannot tell the export format from its content; "
            f"set `format:` for search {meta.source_id!r} in config ({', '.join(FORMATS)})"
        )
    parsed = parse_text(decoded.text, chosen)
    n_parsed, n_rejected = len(parsed.records), len(parsed.rejects)
    if parsed.n_raw != n_parsed + n_rejected:
        raise ImportError_(
            f"{meta.path}: {parsed.n_raw} record starts in the raw text but {n_parsed} parsed "
            f"+ {n_rejected} rejected; refusing to lose records silently"
        )
    rows: list[dict[str, object]] = []
    seen: dict[str, int] = {}
    for rec in parsed.records:
        native = _native_id(chosen, rec.fields)
        seen[native] = seen.get(native, 0) + 1
        suffix = f"~{seen[native]}" if seen[native] > 1 else ""
        row = {
            "record_id": f"{meta.source_id}:{native}{suffix}",
            "source_id": meta.source_id,
            "database": meta.database,
            "search_date": meta.search_date,
            "source_file": meta.path,
            "source_line": rec.line,
            "native_id": native,
        }
        row.update(canonical(chosen, rec.fields))
        rows.append(row)
    records = (
        pl.DataFrame(rows, schema=schemas.RECORDS.polars_schema)
        if rows
        else schemas.RECORDS.empty()
    )
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
        "sha256": hashlib.sha256(data).hexdigest(),
        "format": chosen,
        "encoding": decoded.encoding,
        "encoding_note": decoded.note,
        "n_raw": parsed.n_raw,
        "n_parsed": n_parsed,
        "n_rejected": n_rejected,
    }
    notes = list(parsed.notes)
    if duplicates := sorted(k for k, v in seen.items() if v > 1):
        notes.append(f"native IDs repeated in the file: {duplicates[:5]}")
    file_row["notes"] = notes
    return Imported(
        schemas.validate(records, schemas.RECORDS),
        schemas.validate(rejects, schemas.REJECTS),
        file_row,
        notes,
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


def import_counts(
    records: pl.DataFrame,
    rejects: pl.DataFrame,
    files: pl.DataFrame,
    searches: Sequence[Mapping[str, str]],
) -> list[Count]:
    """Ledger counts of 01_import."""
    emit = Emitter("01_import", "import_merge")
    reject_ids = [
        f"reject:{s}:{f}:{ln}" for s, f, ln in rejects.select("source_id", "file", "line").rows()
    ]
    counts = [
        emit.count(
            "database_results",
            records["record_id"].to_list() + reject_ids,
            unit="records",
            label="Records identified from databases",
            id_kind="record_id",
        ),
        emit.count(
            "excluded_other",
            reject_ids,
            unit="records",
            label="Records removed for other reasons (unreadable in the export)",
            id_kind="record_id",
        ),
        emit.count(
            "import.files",
            files["path"].to_list(),
            unit="files",
            label="Export files imported",
            id_kind="file",
        ),
        emit.count(
            "search_databases",
            [s["database"] for s in searches],
            unit="databases",
            label="Databases searched",
            id_kind="database",
        ),
        emit.count(
            "searches",
            [s["id"] for s in searches],
            unit="searches",
            label="Searches run",
            id_kind="search",
        ),
    ]
    for search in searches:
        sid = search["id"]
        ids = records.filter(pl.col("source_id") == sid)["record_id"].to_list()
        ids += [r for r in reject_ids if r.startswith(f"reject:{sid}:")]
        counts.append(
            emit.count(
                f"database_results.{sid}",
                ids,
                unit="records",
                label=f"Records identified from {search['database']}",
                id_kind="record_id",
            )
        )
    return counts
