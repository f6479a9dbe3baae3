"""01_import: exports (already read as bytes by the adapter) to canonical records.

Pipeline, the same for every format: bytes → :mod:`.io.decode` (encoding decided and recorded)
→ a reader (:mod:`.io.tagged`, :mod:`.io.bibtex`, :mod:`.io.tables`, :mod:`.io.xmlrefs`) that
returns a long frame of ``(rec, fid, tag, value)`` fields plus rejects and ``n_raw`` (record
starts counted independently of the reader) → reconciliation ``n_raw == parsed + rejected``
→ :func:`canonical_frame`, which maps tags to canonical fields with polars (the fields are
partitioned by tag once; no pivot, no Python loop per record) → the records table.

Field maps are data: for each format, the tags (or column names) that feed each canonical field,
in order of preference (the first tag present in a record wins; list fields take every value of
that tag). Every tag the export carried is also kept verbatim in ``raw_tags``/``raw_values``.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import polars as pl

from . import schemas
from .io import bibtex, tables, tagged, xmlrefs
from .io.decode import Decoded, decode
from .ledger import Count, Emitter

TAGGED = ("ris", "medline", "wos", "endnote")
TABLE_PRESETS = ("scopus_csv", "pubmed_csv", "wos_tab", "colrev_csv")
FORMATS = (
    *TAGGED,
    "bibtex",
    "endnote_xml",
    "pubmed_xml",
    "csv",
    "xlsx",
    *TABLE_PRESETS,
)

LIST_FIELDS = ("authors", "keywords", "issn", "isbn")

# canonical field -> tags, first present wins (list fields take all values of the first present tag)
FieldMap = dict[str, tuple[str, ...]]
FIELD_MAPS: dict[str, FieldMap] = {
    "ris": {
        "title": ("TI", "T1", "CT", "BT"),
        "abstract": ("AB", "N2"),
        "authors": ("AU", "A1"),  # A2 is editors/secondary authors: kept raw only
        "year": ("PY", "Y1", "DA"),  # Y2 is an access date in most dialects
        "journal": ("T2", "JO", "JF", "JA", "J2", "T3"),
        "volume": ("VL",),
        "issue": ("IS", "CP"),
        "start_page": ("SP",),
        "end_page": ("EP",),
        "doi": ("DO", "M3", "N1", "L2", "UR"),
        "accession": ("AN", "ID", "U1"),
        "pmid": ("PM",),
        "language": ("LA",),
        "type": ("TY",),
        "keywords": ("KW",),
        "url": ("UR", "L2"),
        "issn": ("SN",),
        "isbn": ("SN",),
        "native_id": ("AN", "ID", "U1"),
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
        "accession": ("PMID", "OID"),
        "pmid": ("PMID",),
        "language": ("LA",),
        "type": ("PT",),
        "keywords": ("OT", "MH"),
        "url": ("AID",),
        "issn": ("IS",),
        "isbn": ("ISBN",),
        "native_id": ("PMID", "OID"),
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
        "issn": ("SN", "EI"),
        "isbn": ("BN",),
        "native_id": ("UT",),
    },
    "endnote": {
        "title": ("T",),
        "abstract": ("X",),
        "authors": ("A", "E"),
        "year": ("D",),
        "journal": ("J", "B"),
        "volume": ("V",),
        "issue": ("N",),
        "pages": ("P",),
        "doi": ("R", "U"),
        "accession": ("M", "L"),
        "language": ("G",),
        "type": ("0",),
        "keywords": ("K",),
        "url": ("U",),
        "issn": ("@",),
        "isbn": ("@",),
        "native_id": ("M", "L"),
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
        "doi": ("doi", "url"),
        "accession": ("ID",),
        "pmid": ("pmid",),
        "language": ("language",),
        "type": ("ENTRYTYPE",),
        "keywords": ("keywords",),
        "url": ("url",),
        "issn": ("issn",),
        "isbn": ("isbn",),
        "native_id": ("ID",),
    },
    "endnote_xml": {
        "title": ("title",),
        "abstract": ("abstract",),
        "authors": ("author",),
        "year": ("year", "date"),
        "journal": ("secondary-title", "full-title", "alt-title"),
        "volume": ("volume",),
        "issue": ("number",),
        "pages": ("pages",),
        "doi": ("electronic-resource-num", "url"),
        "accession": ("accession-num", "rec-number"),
        "language": ("language",),
        "type": ("ref-type",),
        "keywords": ("keyword",),
        "url": ("url",),
        "issn": ("isbn",),
        "isbn": ("isbn",),
        "native_id": ("accession-num", "rec-number"),
    },
    "pubmed_xml": {
        "title": ("ArticleTitle", "BookTitle"),
        "abstract": ("AbstractText",),
        "authors": ("Author",),
        "year": ("PubDate", "Year"),
        "journal": ("Title", "ISOAbbreviation"),
        "volume": ("Volume",),
        "issue": ("Issue",),
        "pages": ("MedlinePgn",),
        "doi": ("ELocationID.doi", "ArticleId.doi"),
        "accession": ("PMID",),
        "pmid": ("PMID",),
        "language": ("Language",),
        "type": ("PublicationType",),
        "keywords": ("Keyword", "DescriptorName"),
        "issn": ("ISSN", "ISSNLinking"),
        "native_id": ("PMID",),
    },
    "scopus_csv": {
        "title": ("Title",),
        "abstract": ("Abstract",),
        "authors": ("Authors", "Author full names"),
        "year": ("Year",),
        "journal": ("Source title", "Abbreviated Source Title"),
        "volume": ("Volume",),
        "issue": ("Issue",),
        "start_page": ("Page start",),
        "end_page": ("Page end",),
        "pages": ("Art. No.",),
        "doi": ("DOI",),
        "accession": ("EID",),
        "pmid": ("PubMed ID",),
        "language": ("Language of Original Document",),
        "type": ("Document Type",),
        "keywords": ("Author Keywords", "Index Keywords"),
        "url": ("Link",),
        "issn": ("ISSN",),
        "isbn": ("ISBN",),
        "native_id": ("EID",),
    },
    "pubmed_csv": {
        "title": ("Title",),
        "authors": ("Authors",),
        "year": ("Publication Year",),
        "journal": ("Journal/Book",),
        "doi": ("DOI",),
        "accession": ("PMID",),
        "pmid": ("PMID",),
        "native_id": ("PMID",),
    },
    "colrev_csv": {
        "title": ("title",),
        "abstract": ("abstract",),
        "authors": ("author",),
        "year": ("year",),
        "journal": ("journal", "booktitle"),
        "volume": ("volume",),
        "issue": ("number",),
        "pages": ("pages",),
        "doi": ("doi",),
        "accession": ("ID",),
        "type": ("ENTRYTYPE",),
        "keywords": ("keywords",),
        "url": ("url",),
        "issn": ("issn",),
        "isbn": ("isbn",),
        "native_id": ("ID",),
    },
}
FIELD_MAPS["wos_tab"] = FIELD_MAPS["wos"]

# generic CSV/TSV/XLSX: column names (lowercased, non-alphanumerics as "_") per canonical field
# fmt: off
GENERIC_ALIASES: dict[str, tuple[str, ...]] = {
    "title": ("title", "document_title", "item_title", "article_title", "primary_title", "ti", "t1",
              "display_name"),
    "abstract": ("abstract", "abstract_note", "ab", "n2"),
    "authors": ("authors", "author", "author_names", "author_s", "first_authors",
                "authorships_author_display_name", "au", "a1"),
    "year": ("year", "publication_year", "pubyear", "py", "y1", "date_published", "date"),
    "journal": ("journal", "source_title", "publication_title", "journal_book", "publicationname",
                "secondary_title", "journal_title", "publication", "source", "jo", "t2", "so"),
    "volume": ("volume", "journal_volume", "vl"),
    "issue": ("issue", "number", "journal_issue", "issue_number", "is"),
    "pages": ("pages", "pg"),
    "start_page": ("start_page", "page_start", "sp", "bp"),
    "end_page": ("end_page", "page_end", "ep"),
    "doi": ("doi", "item_doi", "do", "di"),
    "pmid": ("pmid", "pubmed_id", "pm"),
    "accession": ("accession", "accession_number", "an", "eid", "ut", "lens_id", "openalex_id"),
    "language": ("language", "la", "language_of_original_document"),
    "type": ("type", "type_of_reference", "document_type", "publication_type", "content_type",
             "referencetype", "entrytype", "ty"),
    "keywords": ("keywords", "author_keywords", "kw", "de"),
    "url": ("url", "link", "source_urls", "urls", "ur"),
    "issn": ("issn", "issns", "eissn", "sn"),
    "isbn": ("isbn", "isbns", "bn"),
    "native_id": ("record_id", "id", "eid", "ut", "lens_id", "openalex_id", "customid", "pmid"),
}

# list fields of table formats are split on the first of these separators found in the value
SPLITS: dict[str, dict[str, tuple[str, ...]]] = {
    "wos": {"keywords": (";",)},
    "wos_tab": {"authors": (";",), "keywords": (";",), "issn": (";",)},
    "bibtex": {"keywords": (";", ",")},
    "colrev_csv": {"authors": (" and ",), "keywords": (";", ",")},
    "scopus_csv": {"authors": (";", ", "), "keywords": (";",), "issn": (";",), "isbn": (";",)},
    "pubmed_csv": {"authors": (", ",)},
    "csv": {
        "authors": (";", "|", " and "),
        "keywords": (";", "|"),
        "issn": (";", ","),
        "isbn": (";", ","),
    },
}
SPLITS["xlsx"] = SPLITS["csv"]

PUBLICATION_TYPES: dict[str, str] = {
    # RIS TY
    "jour": "article", "jfull": "article", "mgzn": "article", "news": "article", "abst": "abstract",
    "book": "book", "ebook": "book", "edbook": "book", "chap": "chapter", "echap": "chapter",
    "conf": "conference", "cpaper": "conference", "thes": "thesis", "rprt": "report",
    "gen": "other", "elec": "other",
    # PubMed PT, WoS DT, Scopus Document Type, EndNote reference types
    "journal article": "article", "article": "article", "review": "review",
    "systematic review": "review", "meta-analysis": "review", "editorial": "editorial",
    "letter": "letter", "comment": "letter", "preprint": "preprint", "erratum": "erratum",
    "published erratum": "erratum", "retraction of publication": "retraction",
    "book chapter": "chapter", "proceedings paper": "conference", "meeting abstract": "abstract",
    "conference paper": "conference", "conference proceedings": "conference",
    "conference review": "review", "note": "other", "short survey": "review",
    "case reports": "article", "j": "article", "b": "book", "s": "article", "p": "other",
    "article; early access": "article", "review; early access": "review",
    "thesis": "thesis", "report": "report", "edited book": "book",
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

# value patterns (Rust regex, group 1) applied before a tag can win its field
_DOI = (
    r"(10\.\d{4,9}/[^\s\"<>]+)"  # SICI DOIs contain [ ]: 10.1650/0010-5422(2007)109[97:N]2.0.CO;2
)
EXTRACT: dict[str, str] = {
    "doi": _DOI,
    "year": r"(?:^|\D)(1[5-9]\d\d|20\d\d)(?:\D|$)",
}
EXTRACT_BY_FORMAT: dict[tuple[str, str], str] = {
    ("medline", "doi"): r"(10\.\d{4,9}/\S+)\s*\[doi\]",
}
# values that a cleaner above would return unchanged: such values skip it
_CLEAN_SHAPES: dict[str, str] = {
    "doi": r"^10\.\d{4,9}/[^\s\"<>]+$",
    "year": r"^(?:1[5-9]\d\d|20\d\d)$",
    "pmid": r"^\d+$",
    "native_id": r"^\S+$",
}
_ISSN = r"\b\d{4}-?\d{3}[\dXx]\b"
_ISBN = r"\b(?:97[89][- ]?)?\d{1,5}[- ]?\d+[- ]?\d+[- ]?[\dXx]\b"


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


def _norm_col(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_")


def generic_map(columns: Sequence[str], mapping: Mapping[str, object] | None = None) -> FieldMap:
    """Field map for a generic table: config ``columns`` first, then the alias table."""
    by_norm: dict[str, str] = {}
    for col in columns:
        by_norm.setdefault(_norm_col(col), col.strip())
    fmap: FieldMap = {}
    for fld, aliases in GENERIC_ALIASES.items():
        found = tuple(by_norm[a] for a in aliases if a in by_norm)
        if found:
            fmap[fld] = found
    for fld, cols in (mapping or {}).items():
        if fld == "publication_type":
            fld = "type"
        if fld not in GENERIC_ALIASES:
            raise ImportError_(
                f"columns: unknown canonical field {fld!r} (known: {sorted(GENERIC_ALIASES)})"
            )
        wanted = (cols,) if isinstance(cols, str) else tuple(str(c) for c in cols)  # type: ignore[attr-defined]
        missing = [c for c in wanted if c.strip() not in [x.strip() for x in columns]]
        if missing:
            raise ImportError_(f"columns: {fld} -> {missing} not in the header {list(columns)}")
        fmap[fld] = tuple(c.strip() for c in wanted)
    return fmap


def detect_table_preset(columns: Sequence[str]) -> str:
    cols = {c.strip() for c in columns}
    if {"PT", "UT", "TI"} <= cols:
        return "wos_tab"
    if {"Source title", "EID"} <= cols or {"Authors", "Author(s) ID", "Source title"} <= cols:
        return "scopus_csv"
    if {"PMID", "Title", "Authors", "Citation", "Journal/Book"} <= cols:
        return "pubmed_csv"
    stripped = [c.strip() for c in columns]
    if stripped[:1] == ["ID"] and "ENTRYTYPE" in cols:
        return "colrev_csv"
    return "csv"


def _split(values: pl.Expr, seps: tuple[str, ...]) -> pl.Expr:
    """Split each value on the first of ``seps`` it contains (literal), else keep it whole.

    A cell holding a Python/JSON list literal (``['Marx, Karl', 'Lindgren, Astrid']``, as
    written by pandas-based tools) is read as that list.
    """
    out: pl.Expr = pl.concat_list(values)
    for sep in reversed(seps):
        out = (
            pl.when(values.str.contains(sep, literal=True))
            .then(values.str.split(sep))
            .otherwise(out)
        )
    literal = values.str.contains(r"""^\[\s*['"].*['"]\s*\]$""")
    items = values.str.strip_chars("[] ").str.strip_chars("'\"").str.split("', '")
    return pl.when(literal).then(items).otherwise(out)


def _increasing(values: pl.Series) -> bool:
    """Whether ``values`` are strictly increasing (sorted record numbers: each record once)."""
    return values.len() < 2 or bool((values.diff().drop_nulls() > 0).all())


# the first row of each record, in rows sorted by record
_first_of_record = pl.col("rec").ne_missing(pl.col("rec").shift(1))


def _nulls(name: str, n: int, dtype: pl.DataType) -> pl.Series:
    """A series of ``n`` nulls (built in polars: a Python list of ``n`` Nones is slow)."""
    return pl.Series(name, dtype=dtype).extend_constant(None, n)


def _align(base: pl.Series, rec: pl.Series, values: pl.Series) -> pl.Series:
    """``values`` (one per ``rec``; ``rec`` sorted and unique) placed on the records ``base``
    (sorted): a binary search per record, null where a record has no value."""
    if rec.is_empty():
        return _nulls(values.name, base.len(), values.dtype)
    if rec.len() == base.len() and rec.equals(base, check_names=False):
        return values  # every record has a value (the common case): nothing to place
    pos = rec.search_sorted(base, side="left").clip(upper_bound=rec.len() - 1)
    hit = rec.gather(pos) == base
    return values.gather(pl.select(pl.when(hit).then(pos)).to_series())


def canonical_frame(
    fields: pl.DataFrame,
    starts: pl.DataFrame,
    fmt: str,
    fmap: FieldMap | None = None,
    *,
    stripped: bool = False,
) -> pl.DataFrame:
    """One row per record (``rec``, ``line``) with the canonical columns, from long fields.

    The rules are data (:data:`FIELD_MAPS`): for each canonical field, the best-ranked tag that
    has a usable value in a record wins (scalars take its first value, lists all its values);
    value patterns (:data:`EXTRACT`) run before a tag can win; ISSN/ISBN take every identifier
    of every listed tag. Work is done per tag: the long fields are partitioned by tag once and
    each field only touches the rows of its own tags; results are placed on the records by
    binary search (records and each tag's rows are both in record order), never pivoted.
    ``stripped``: the reader's values have no surrounding white space (saves stripping them).
    """
    fmap = fmap if fmap is not None else FIELD_MAPS[fmt]
    splits = SPLITS.get(fmt, {})
    value = pl.col("value")
    # ``fields`` arrive in fid order (sorted here if a reader did not): every later step keeps
    # that order within a record, so list values stay in export order
    ordered = fields if _increasing(fields["fid"]) else fields.sort("fid")
    ordered = ordered.with_columns(pl.col("rec").cast(pl.Int64))
    if not ordered["rec"].is_sorted():  # records interleaved: group each record's fields
        ordered = ordered.sort("rec", maintain_order=True)
    starts = starts.select(pl.col("rec").cast(pl.Int64), "line").sort("rec")
    base = starts["rec"]
    wanted = sorted({tag for tags in fmap.values() for tag in tags})
    parts = {
        key[0]: part
        for key, part in ordered.filter(pl.col("tag").is_in(wanted) & (value != ""))
        .partition_by("tag", maintain_order=True, include_key=False, as_dict=True)
        .items()
    }

    def cleaned(name: str, tag: str) -> pl.DataFrame:
        """The rows of ``tag`` with their value as field ``name`` reads it (non-empty)."""
        part = parts[tag]
        expr: pl.Expr = value
        if name in EXTRACT:
            expr = value.str.extract(EXTRACT_BY_FORMAT.get((fmt, name), EXTRACT[name]), 1)
        elif name == "pmid":
            expr = value.str.replace_all(r"\D", "")
        elif name == "native_id":
            expr = value.str.replace_all(r"\s+", "")
        if expr is value and stripped:
            return part  # the reader stripped its values and dropped empty ones
        done: pl.DataFrame | None = None
        shape = _CLEAN_SHAPES.get(name) if (fmt, name) not in EXTRACT_BY_FORMAT else None
        if shape is not None:  # values already in their clean shape skip the (slower) cleaner
            clean = part["value"].str.contains(shape)
            if clean.all():
                return part
            done, part = part.filter(clean), part.filter(~clean)
        part = part.with_columns(value=expr.str.strip_chars())
        part = part.filter(value.is_not_null() & (value != ""))
        if done is not None:  # back in record and export order
            part = pl.concat([done, part]).sort("rec", "fid")
        return part

    columns: dict[str, pl.Series] = {}
    for name, tags in fmap.items():
        present = [tag for tag in tags if tag in parts]
        if name in ("issn", "isbn"):
            columns[name] = _identifiers(name, [parts[t] for t in present], base)
            continue
        found: pl.Series | None = None
        for tag in present:
            if found is not None and not found.has_nulls():
                break  # every record has its value from a better-ranked tag
            part = cleaned(name, tag)
            if name in LIST_FIELDS:
                grouped = part.group_by(pl.col("rec").set_sorted(), maintain_order=True).agg(value)
            else:
                grouped = part if _increasing(part["rec"]) else part.filter(_first_of_record)
            aligned = _align(base, grouped["rec"], grouped["value"])
            found = aligned if found is None else found.fill_null(aligned)
        if found is not None and name in LIST_FIELDS and name in splits:
            found = _split_lists(found, splits[name])
        if found is not None:
            columns[name] = found.alias(name)
    raw = ordered.group_by(pl.col("rec").set_sorted(), maintain_order=True).agg(
        pl.col("tag").alias("raw_tags"), pl.col("value").alias("raw_values")
    )
    out = starts.with_columns(
        _align(base, raw["rec"], raw["raw_tags"]),
        _align(base, raw["rec"], raw["raw_values"]),
        *columns.values(),
    )
    missing = [
        pl.lit(None, dtype=pl.List(pl.String) if name in LIST_FIELDS else pl.String).alias(name)
        for name in dict.fromkeys((*GENERIC_ALIASES, *LIST_FIELDS))
        if name not in columns
    ]
    if missing:
        out = out.with_columns(missing)
    start, end = pl.col("start_page"), pl.col("end_page")
    pages = (
        pl.when(start.is_not_null() & end.is_not_null() & (start != end))
        .then(pl.concat_str(start, pl.lit("-"), end))
        .when(start.is_not_null())
        .then(start)
        .otherwise(pl.col("pages"))
    )
    # the cleaned values are computed once (an eager select does not share an expression
    # used twice, as in ``when(doi...).then(doi)``)
    out = out.with_columns(
        pl.col("language", "type").str.to_lowercase().str.strip_chars(),
        pl.col("doi")
        .str.strip_chars_end(".,;)")
        .str.to_lowercase()
        .str.replace_all("\\", "", literal=True)
        .str.replace_all("%2f", "/", literal=True),
    )
    lang, ptype, doi = pl.col("language"), pl.col("type"), pl.col("doi")
    return out.select(
        "rec",
        "line",
        "title",
        "abstract",
        pl.col("authors").fill_null([]),
        pl.col("year").cast(pl.Int64, strict=False),
        "journal",
        "volume",
        "issue",
        pages.str.replace_all(r"\s*(?:--|[\u2010-\u2015])\s*", "-").alias("pages"),
        pl.when(doi.str.contains(r"^10\.\d{4,9}/\S+$")).then(doi).alias("doi"),
        pl.col("pmid"),
        "accession",
        lang.replace_strict(LANGUAGES, default=lang).alias("language"),
        ptype.replace_strict(PUBLICATION_TYPES, default=pl.lit("other")).alias("publication_type"),
        pl.col("keywords").fill_null([]),
        "url",
        pl.col("issn").fill_null([]),
        pl.col("isbn").fill_null([]),
        "native_id",
        pl.col("raw_tags").fill_null([]),
        pl.col("raw_values").fill_null([]),
    )


def _split_lists(lists: pl.Series, seps: tuple[str, ...]) -> pl.Series:
    """Each list's values split on the first of ``seps`` each contains (see :func:`_split`),
    stripped, empty pieces dropped; a list left empty becomes null."""
    value = pl.col("value")
    frame = pl.DataFrame({"value": lists}).with_row_index("i").explode("value")
    frame = (
        frame.filter(value.is_not_null())
        .with_columns(value=_split(value, seps))
        .explode("value")
        .with_columns(value.str.strip_chars())
        .filter(value != "")
        .group_by(pl.col("i").set_sorted(), maintain_order=True)
        .agg(value)
    )
    index = pl.Series("i", range(lists.len()), dtype=pl.UInt32)
    return _align(index, frame["i"], frame["value"]).alias(lists.name)


def _identifiers(name: str, parts: list[pl.DataFrame], base: pl.Series) -> pl.Series:
    """ISSNs or ISBNs per record: every identifier in every value of the field's tags, in
    export order, each once (ISBNs with their hyphens and spaces removed)."""
    if not parts:
        return _nulls(name, base.len(), pl.List(pl.String))
    value = pl.col("value")
    rows = pl.concat(parts).sort("rec", "fid") if len(parts) > 1 else parts[0]
    rows = rows.with_columns(value=value.str.strip_chars()).filter(value != "")
    # the common cell holds one bare ISSN: it is its own ISSN and holds no ISBN (8 digits);
    # only the other cells go through the search patterns
    simple = value.str.contains(r"^\d{4}-?\d{3}[\dXx]$")
    rows = rows.select("rec", "fid", "value", simple=simple)
    plain, other = rows.filter(pl.col("simple")), rows.filter(~pl.col("simple"))
    if name == "issn":
        found = [
            plain.select("rec", "fid", value=pl.concat_list(value)),
            other.select("rec", "fid", value=value.str.extract_all(_ISSN)),
        ]
    else:
        bare = value.str.replace_all(r"[- ]", "")
        found = [
            other.select(
                "rec",
                "fid",
                value=pl.when(bare.str.contains(r"^\d{9}[\dXx]$|^\d{13}$"))
                .then(pl.concat_list(bare))
                .otherwise(
                    value.str.extract_all(_ISBN).list.eval(
                        pl.element().str.replace_all(r"[- ]", "")
                    )
                ),
            )
        ]
    found = [f for f in found if f.height]
    if not found:
        return _nulls(name, base.len(), pl.List(pl.String))
    rows = found[0] if len(found) == 1 else pl.concat(found).sort("rec", "fid")
    rows = rows.explode("value").filter(value.is_not_null())
    if name == "issn":
        rows = rows.with_columns(value.str.to_uppercase())
    else:
        rows = rows.filter(value.str.contains(r"^(?:\d{9}[\dXx]|\d{13})$"))
    if _increasing(rows["rec"]):  # one identifier per record (the common case)
        grouped = rows.select("rec", pl.concat_list(value))
    else:
        grouped = (
            rows.unique(["rec", "value"], keep="first", maintain_order=True)
            .group_by(pl.col("rec").set_sorted(), maintain_order=True)
            .agg(value)
        )
    return _align(base, grouped["rec"], grouped["value"]).alias(name)


def _fallback_ids(frame: pl.DataFrame) -> pl.Series:
    """``h`` + 12 hex digits of SHA-1 over a record's raw tags and values (stable across runs),
    for the records whose export gave no native ID."""
    missing = frame.with_row_index("__i").filter(pl.col("native_id").is_null())
    if not missing.height:
        return frame["native_id"]
    hashed: list[str] = []
    for tags, values in missing.select("raw_tags", "raw_values").iter_rows():
        text = "\n".join(f"{t}\t{v}" for t, v in zip(tags, values, strict=True))
        hashed.append("h" + hashlib.sha1(text.encode()).hexdigest()[:12])
    return frame["native_id"].scatter(missing["__i"], hashed)


def detect_format(data: bytes, text: str) -> str | None:
    """The export format from content (tagged, BibTeX, XML, spreadsheet or delimited).

    ``text``: the decoded text, or its first ``_MAX_HEADER + 1`` characters (all it reads)."""
    if data[:4] == b"PK\x03\x04":
        return "xlsx"
    found = tagged.detect(text)
    if found is not None:
        return found
    # a header line is short: never hand a 200 MB line to the csv module (field size limit)
    head = text[:_MAX_HEADER].lstrip("\ufeff")
    if "\n" not in head and len(text) > _MAX_HEADER:
        return None
    header = head.split("\n", 1)[0].rstrip("\r")
    sep = tables.sniff_separator(header)
    cells = tables.header_of(header, sep)
    if len(cells) < 2 or any(len(c) > 80 for c in cells) or header.startswith(("{", "[")):
        return None
    # a delimited file is an export only if its header names bibliographic columns: a known
    # preset, or a generic table whose header maps to a title or to at least two canonical
    # fields (prose with a comma in its first line is not a CSV export)
    mapped = generic_map(cells)
    if detect_table_preset(cells) != "csv" or "title" in mapped or len(mapped) >= 2:
        return "csv"
    return None


_MAX_HEADER = 1 << 16  # characters a table's header line may have
# C0 control characters that never occur in a text export (tab, LF, VT, FF, CR and ESC-free)
_CONTROL = re.compile("[\x00-\x08\x0e-\x1a\x1c-\x1f]")


def binary_reason(text: str) -> str | None:
    """Why decoded text is binary content rather than a text export (None: it is text).

    Rule: a NUL character, or more than 1 % of the first 64 KiB being C0 control characters
    other than tab, line and page breaks. Text exports never carry these; a PNG, PDF, ZIP or
    random bytes read as cp1252 always do.
    """
    sample = text[:_MAX_HEADER]
    if not sample:
        return None
    n = len(_CONTROL.findall(sample))
    if "\x00" in sample or n * 100 > len(sample):
        return f"binary content ({n} control character(s) in the first {len(sample)})"
    return None


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
    if fmt in ("endnote_xml", "pubmed_xml"):
        try:
            return xmlrefs.parse(text, fmt), fmt, None
        except xmlrefs.XMLExportError as err:
            raise ImportError_(str(err)) from err
    if fmt in ("csv", "xlsx", *TABLE_PRESETS):
        try:
            if fmt == "xlsx" or data[:4] == b"PK\x03\x04":
                try:
                    frame = pl.read_excel(
                        io.BytesIO(data), engine="calamine", infer_schema_length=0
                    )
                except pl.exceptions.PolarsError:
                    raise
                except Exception as err:  # calamine's own errors: not a workbook
                    raise tables.TableError(f"not a readable spreadsheet: {err}") from err
                parsed = tables.parse_sheet(frame)
                header = frame.columns
            else:
                parsed = tables.parse_delimited(text)
                header = tables.header_of(text)
        except (pl.exceptions.PolarsError, tables.TableError) as err:
            raise ImportError_(f"cannot read as a table: {err}") from err
        preset = fmt if fmt in TABLE_PRESETS else detect_table_preset(header)
        if columns:
            preset = "csv" if fmt in ("csv", "xlsx") else preset
        if preset in ("csv", "xlsx"):
            return parsed, "xlsx" if fmt == "xlsx" else "csv", generic_map(header, columns)
        return parsed, preset, None
    raise ImportError_(f"format {fmt!r} is not supported (supported: {', '.join(FORMATS)})")


_SHA_POOL = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sha256")


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
        raise ImportError_(f"{meta.path}: cannot decode as {encoding!r}: {err}") from err
    if not is_xlsx:
        binary = binary_reason(decoded.head(_MAX_HEADER))
        if binary is not None:
            raise ImportError_(
                f"{meta.path}: {binary}: not a text export in any supported format "
                f"({', '.join(FORMATS)})"
            )
    chosen = (
        fmt if fmt not in ("auto", None, "") else detect_format(data, decoded.head(_MAX_HEADER + 1))
    )
    if chosen is None:
        raise ImportError_(
            f"{meta.path}: cannot tell the export format from its content; "
            f"set `format:` for search {meta.source_id!r} in config ({', '.join(FORMATS)})"
        )
    try:
        parsed, map_name, fmap = parse_text(decoded, chosen, data=data, columns=columns)
    except ImportError_ as err:
        raise ImportError_(f"{meta.path}: {err}") from err
    n_parsed, n_rejected = parsed.n_records, len(parsed.rejects)
    if parsed.n_raw != n_parsed + n_rejected:
        raise ImportError_(
            f"{meta.path}: {parsed.n_raw} record starts in the raw text but {n_parsed} parsed "
            f"+ {n_rejected} rejected; refusing to lose records silently "
            f"(parsed records start at lines {parsed.starts['line'].head(3).to_list()}...)"
        )
    canon = canonical_frame(parsed.fields, parsed.starts, map_name, fmap, stripped=parsed.stripped)
    canon = canon.with_columns(_fallback_ids(canon))
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
    if repeated:
        notes.append(f"native IDs repeated in the file: {repeated[:5]}")
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


def reconciliation(result: Imported) -> str:
    """A human-readable account of one file: starts counted, parsed, rejected, notes."""
    row = result.file_row
    lines = [
        f"{row['path']}: format {row['format']}, encoding {row['encoding']} "
        f"({row['encoding_note']})",
        f"  record starts in the raw text: {row['n_raw']}",
        f"  parsed: {row['n_parsed']}",
        f"  rejected: {row['n_rejected']}",
        f"  parsed + rejected = {int(row['n_parsed']) + int(row['n_rejected'])}"  # type: ignore[call-overload]
        f" {'==' if row['n_raw'] == int(row['n_parsed']) + int(row['n_rejected']) else '!='}"  # type: ignore[call-overload]
        f" record starts",
    ]
    lines += [
        f"  reject at line {line}: {reason}"
        for line, reason in result.rejects.select("line", "reason").rows()
    ]
    lines += [f"  note: {note}" for note in result.notes]
    return "\n".join(lines)


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
            # a database searched twice (a re-run in a later round) is one database
            list(dict.fromkeys(s["database"] for s in searches)),
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
                label=f"Records identified from {search['database']} (search {sid})",
                id_kind="record_id",
            )
        )
    return counts
