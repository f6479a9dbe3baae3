"""Long reader fields (one row per record, tag and value) to canonical records (one row per record)
through the field maps.
"""

from __future__ import annotations

import hashlib

import polars as pl

from .fieldmaps import (
    _CLEAN_SHAPES,
    _ISBN,
    _ISSN,
    EXTRACT,
    EXTRACT_BY_FORMAT,
    FIELD_MAPS,
    GENERIC_ALIASES,
    LANGUAGES,
    PUBLICATION_TYPES,
    SPLITS,
)
from .model import LIST_FIELDS, FieldMap


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
    for the records whose export gave no native ID.

    The hashed text is each ``tag<TAB>value`` pair on its own line (a null written ``None``);
    polars builds the texts, Python only hashes them."""
    missing = frame.select(
        pl.int_range(pl.len(), dtype=pl.UInt32).alias("__i"), "native_id", "raw_tags", "raw_values"
    ).filter(pl.col("native_id").is_null())
    if not missing.height:
        return frame["native_id"]
    pairs = missing.select("__i", "raw_tags", "raw_values").explode("raw_tags", "raw_values")
    line = pl.concat_str(
        pl.col("raw_tags").fill_null("None"), pl.lit("\t"), pl.col("raw_values").fill_null("None")
    )
    joined = pairs.group_by(pl.col("__i").set_sorted(), maintain_order=True).agg(
        text=line.str.join("\n")
    )
    texts = missing.select("__i", size=pl.col("raw_tags").list.len()).join(
        joined, on="__i", how="left", maintain_order="left"
    )
    # a record with no fields at all hashes the empty text
    texts = texts.select("__i", text=pl.when(pl.col("size") > 0).then("text").otherwise(pl.lit("")))
    hashed = [
        "h" + hashlib.sha1(text).hexdigest()[:12]
        for text in texts["text"].cast(pl.Binary).to_list()
    ]
    return frame["native_id"].scatter(texts["__i"], hashed)
