"""Normalisers for matching and for stable, readable identifiers.

Each has a scalar form (for tests and small data) and, where it runs on record tables,
a polars expression form that does the same thing column-wise.

Python's ``unicodedata`` (Unicode 14 in Python 3.11) and polars' Rust tables (newer) fold
characters assigned since Unicode 14 differently (U+1CCD6, an outlined capital A: polars
decomposes it to "A", Python leaves it and drops it as a non-alphanumeric), so no stage compares
a value one engine normalised with a value the other did: titles are matched scalar against
scalar (:func:`normalize_title` on both sides) or expression against expression (dedupe keys).
"""

from __future__ import annotations

import re
import unicodedata

import polars as pl

_DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*|doi\s+)", re.IGNORECASE)
_DOI_SHAPE = re.compile(r"^10\.\d{4,9}/\S+$")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_YEAR = re.compile(r"(?<!\d)(1[5-9]\d\d|20\d\d)(?!\d)")


def strip_diacritics(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def normalize_title(title: str | None) -> str | None:
    """Lowercase, drop diacritics, turn every run of non-alphanumerics into one space."""
    if title is None:
        return None
    text = _NON_ALNUM.sub(" ", strip_diacritics(title).lower()).strip()
    return text or None


def normalize_doi(doi: str | None) -> str | None:
    """Lowercase a DOI and strip URL/`doi:` prefixes and trailing punctuation.

    Returns None when what is left does not look like a DOI (``10.<registrant>/<suffix>``).
    """
    if doi is None:
        return None
    text = doi.strip()
    text = _DOI_PREFIX.sub("", text).strip().rstrip(".,;").lower()
    text = text.replace("\\", "")
    return text if _DOI_SHAPE.match(text) else None


def slug(text: str, empty: str = "") -> str:
    """Identifier-safe slug: the one rule for names inside count ids (codes, themes, charted
    values, reviewers) and issue ids. ``empty`` is returned when nothing is left.

    ``"(Perceived) disinterest therapist"`` → ``perceived_disinterest_therapist``.
    """
    return _NON_ALNUM.sub("_", strip_diacritics(text).lower()).strip("_") or empty


def reviewer_key(name: str) -> str:
    """A reviewer's name inside count IDs: its :func:`slug`, or for a name with no letter of
    a-z or digit (王伟, Иван) ``r-`` and 8 hex digits of its SHA-1, so that such names stay
    apart. Two names with one key ("AB" and "ab", "José" and "Jose") are one reviewer's, or a
    clash the screen rule refuses."""
    import hashlib

    return slug(name) or "r-" + hashlib.sha1(name.encode()).hexdigest()[:8]


def reviewer_match_key(name: str) -> str:
    """What two spellings of one reviewer's name share ("AB", "ab", "A.B.", "A B", "José" and
    "Jose" all give ``ab``/``jose``): the letters a-z and digits of its :func:`slug`, else its
    :func:`reviewer_key` (a name in another script). Names with one match key are one
    reviewer's, written two ways: the screen rule refuses them."""
    return _NON_ALNUM.sub("", slug(name)) or reviewer_key(name)


def file_stem(reviewer: str) -> str:
    """A reviewer's name as a file name (letters, digits, ``.``, ``_`` and ``-`` kept): the
    worklists and the app's decision sheets use it. It lives here, not in :mod:`.worklists`, so
    that reading a sheet (dedupe does) does not pull the screening modules into a rule's code
    fingerprint."""
    stem = "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in reviewer).strip("._")
    return stem or "reviewer"


def find_year(text: str | None) -> int | None:
    """The first plausible four-digit publication year in ``text``."""
    if not text:
        return None
    match = _YEAR.search(text)
    return int(match.group(1)) if match else None


def doi_expr(col: str) -> pl.Expr:
    """Column-wise :func:`normalize_doi`."""
    cleaned = (
        pl.col(col)
        .str.strip_chars()
        .str.replace(r"(?i)^(?:https?://(?:dx\.)?doi\.org/|doi:\s*|doi\s+)", "")
        .str.strip_chars()
        .str.strip_chars_end(".,;")
        .str.to_lowercase()
        .str.replace_all(r"\\", "")
    )
    return pl.when(cleaned.str.contains(r"^10\.\d{4,9}/\S+$")).then(cleaned).otherwise(None)


# --- matching normalisers (dedupe) -------------------------------------------------------------
# Expression forms work on any string expression; the scalar forms apply the same expression to
# one value, so tests and small callers see exactly what the matcher sees.

_ENTITIES = {"&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"', "&apos;": "'", "&nbsp;": " "}
_NOTICE = (
    r"^(?:(?:notice of |partial )?retraction(?: note| notice| statement)?"
    r"|retracted(?: article)?|withdrawn|erratum|errata|corrigendum|correction"
    r"|expression of concern)(?: (?:to|for|of|on|regarding))?\b[: .-]*"
)
NOTICE_KINDS = {
    "retraction": r"^(?:notice of |partial )?retraction\b",
    "erratum": r"^(?:erratum|errata|corrigendum|correction)\b",
    "expression_of_concern": r"^expression of concern\b",
}


def _expr(col: str | pl.Expr) -> pl.Expr:
    return pl.col(col) if isinstance(col, str) else col


def markup_expr(col: str | pl.Expr) -> pl.Expr:
    """HTML tags and entities and LaTeX commands/braces removed, spaces collapsed.

    ``"<i>In vivo</i> effects &amp; {\\"u}ber \\textit{x}"`` → ``"In vivo effects & uber x"``
    (the accent command goes; the letter stays, diacritics are folded later).
    """
    out = _expr(col).str.replace_all(r"<[^<>]{1,40}>", " ")
    for entity, char in _ENTITIES.items():
        out = out.str.replace_all(entity, char, literal=True)
    return (
        out.str.replace_all(r"&#?[a-zA-Z0-9]{1,8};", " ")
        .str.replace_all(r"\\(?:textit|textbf|textsc|textrm|texttt|emph|mathrm|mathit|url)\b", "")
        .str.replace_all(r"\\[\"'^`~=.](?:\{(\w)\}|(\w))", "$1$2")
        .str.replace_all(r"\\[uvHckbdrt]\{(\w)\}", "$1")
        .str.replace_all(r"\\([a-zA-Z]+)", "$1")
        .str.replace_all(r"[{}$]", "")
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
    )


def fold_expr(col: str | pl.Expr) -> pl.Expr:
    """Markup removed, diacritics folded, lowercase, ``&`` → ``and``, every run of
    non-alphanumerics one space; empty → null."""
    return (
        markup_expr(col)
        .str.normalize("NFKD")
        .str.replace_all(r"\p{Mn}", "")
        .str.to_lowercase()
        .str.replace_all("&", " and ", literal=True)
        .str.replace_all(r"[^a-z0-9]+", " ")
        .str.strip_chars()
        .replace("", None)
    )


# Values that exports write where a field has no value: missing data, never evidence that two
# records differ (PsycINFO's "No-Specified" pages, "n/a", "In press", "[Epub ahead of print]").
PLACEHOLDER = (
    r"(?i)^[\s\[\](){}.,;:*?-]*(?:no[ -]?t?[ -]?specified|not[ -]specified|unspecified"
    r"|n\s*/\s*a|n\.?\s*a\.?|na|none|null|nil|unknown|not available|not applicable|tba|tbd"
    r"|(?:article )?in[ -]press|(?:\w+ )?ahead of print|e-?pub(?:lished)? ahead of print"
    r"|e-?pub(?:lished)?|online first|early view|forthcoming|accepted(?: manuscript)?"
    r"|no title(?: available)?|untitled|anonymous|anon)[\s\[\](){}.,;:*?-]*$"
    r"|^[\s\[\](){}.,;:*?-]*$"
)


def placeholder_expr(col: str | pl.Expr) -> pl.Expr:
    """The value, or null where it is a placeholder for a missing value (``"No-Specified"``,
    ``"n/a"``, ``"In press"``, ``"Article in Press"``, ``"[Epub ahead of print]"``, ``"-"``)."""
    value = _expr(col)
    return pl.when(value.str.contains(PLACEHOLDER)).then(None).otherwise(value)


# Titles that many different items carry (a journal's recurring column, a notice, a book
# review): the same such title, author, journal, year and volume do not make two records one.
GENERIC_TITLE = (
    r"^(?:(?:guest |invited )?editorials?(?: comments?| note)?|editor s (?:comments?|notes?|note"
    r"|introduction|letter|choice|corner|page|preface|remarks|summary)"
    r"|(?:remarks|notes?|comments?|a (?:note|letter|message|word)) from the (?:editors?|chair"
    r"|president)|from the (?:editors?|editor s desk|chair|president)|message from the \w+"
    r"|letter from the \w+|introduction|preface|foreword|prologue|epilogue|overview|summary"
    r"|erratum|errata|corrigendum|corrigenda|correction|corrections|addendum|retraction"
    r"|(?:author s |authors )?(?:reply|response)(?: to (?:the )?(?:letter|comments?|editor))?"
    r"|in reply|rebuttal|letters?(?: to the editor)?|correspondence|comments?|commentary"
    r"|discussion|book reviews?|reviews?|books? received|news|news in brief|abstracts?"
    r"|meeting abstracts?|poster(?: session)?s?|oral presentations?|index|(?:table of )?contents"
    r"|in this issue|this issue|announcements?|obituary|in memoriam|acknowledge?ments?"
    r"|reviewers?(?: list)?|thank you to (?:our )?reviewers|editorial board|masthead|highlights?"
    r"|call for papers|calendar|conclusions?|case reports?|images? in \w+|quiz|what s new)"
    r"(?: \d+| [ivx]+| part \w+)?$"
)


def generic_title_expr(title: str | pl.Expr) -> pl.Expr:
    """True where a folded title (:func:`fold_expr`) is one that recurs across different items:
    a column, notice, reply or review title (``"editor s comments"``, ``"book review"``); a
    ``"book review ..."`` with the book's name is still one of many reviews of that book."""
    t = _expr(title)
    return (t.str.contains(GENERIC_TITLE) | t.str.contains(r"^book reviews?\b")).fill_null(False)


def match_title_expr(col: str | pl.Expr) -> pl.Expr:
    """A title for matching: a MEDLINE translated title's brackets, a trailing bracketed tag
    (``[Chinese]``, ``[Review]``) and a trailing bracketed part of any length (the original
    title, ``"Title [Originaltitel]"``) removed, then :func:`fold_expr`."""
    unwrapped = (
        _expr(col)
        .str.strip_chars()
        .str.replace(r"^\[(.+)\]\.?$", "$1")
        .str.replace(r"(.{12,}?)\s*[\[(][^\[\]()]{1,40}[\])]\.?$", "$1")
        .str.replace(r"(.{12,}?)\s*\[[^\[\]]{1,400}\]\.?$", "$1")
    )
    return fold_expr(unwrapped)


def notice_kind_expr(title: str | pl.Expr) -> pl.Expr:
    """``retraction``, ``erratum``, ``expression_of_concern`` when the folded title is such a
    notice (``"Erratum to: ..."``, ``"Retraction note: ..."``), else null. Takes a folded title."""
    t = _expr(title)
    out: pl.Expr = pl.lit(None, dtype=pl.String)
    for kind, pattern in reversed(NOTICE_KINDS.items()):
        out = pl.when(t.str.contains(pattern)).then(pl.lit(kind)).otherwise(out)
    return out


def strip_notice_expr(title: str | pl.Expr) -> pl.Expr:
    """A folded title without its notice prefix (``"erratum to x"`` → ``"x"``)."""
    return _expr(title).str.replace(_NOTICE, "").str.strip_chars().replace("", None)


# A SICI DOI ("10.1002/(sici)1097-4679(200002)56:2<175::aid-jclp4>3.0.co;2-5") cut at its "<",
# as PsycINFO and others export it, names a journal issue, not an article: every article of that
# issue shares it. For matching it proves neither identity nor difference.
_TRUNCATED_SICI = r"\(sici\)[^<>]*$"
# A Cochrane CENTRAL record's DOI ("10.1002/central/CN-01783882/full", in CENTRAL exports' DO
# field) names the CENTRAL record, not the article: the same article from another database
# has its own DOI. For matching it proves neither identity nor difference either.
_DATABASE_RECORD_DOI = r"^10\.1002/central/cn-\d+"


def match_doi_expr(col: str | pl.Expr) -> pl.Expr:
    """:func:`doi_expr` for matching: a DOI that names no article (a truncated SICI DOI, a
    Cochrane CENTRAL record's DOI) counts as no DOI."""
    doi = doi_expr(col) if isinstance(col, str) else col
    no_article = doi.str.contains(_TRUNCATED_SICI) | doi.str.contains(_DATABASE_RECORD_DOI)
    return pl.when(no_article).then(None).otherwise(doi)


def pages_expr(col: str | pl.Expr) -> pl.Expr:
    """Page range with the end page written out: ``"123-9"`` → ``"123-129"``,
    ``"pp. 548–555"`` → ``"548-555"``, ``"e1234"`` → ``"e1234"``; lowercase, no spaces.
    A list of ranges (``"532,534-536"``) keeps its first range; Scopus's ``":2380"`` is
    ``"2380"``."""
    text = (
        _expr(col)
        .str.to_lowercase()
        .str.replace(r"^\s*pp?\.?\s*", "")
        .str.replace_all(r"[\u2010-\u2015\u2212]|--+", "-")
        .str.replace_all(r"\s+", "")
        .str.strip_chars("-.,;:")
        .replace("", None)
    )
    start = text.str.extract(r"^([^-,]+)")
    end = text.str.extract(r"^[^-,]+-([^-,]+)").replace("", None)
    digits = start.str.extract(r"(\d+)$")
    short_end = end.str.contains(r"^\d+$") & (digits.str.len_chars() > end.str.len_chars())
    full_end = (
        pl.when(short_end)
        .then(digits.str.slice(0, digits.str.len_chars() - end.str.len_chars()) + end)
        .otherwise(end)
    )
    return pl.when(full_end.is_null()).then(start).otherwise(start + "-" + full_end)


def start_page_expr(col: str | pl.Expr) -> pl.Expr:
    """First page without leading zeros (``"0123-9"`` → ``"123"``); takes a raw page field."""
    return pages_expr(col).str.extract(r"^([^-,]+)").str.replace(r"^([a-z]*)0+(\d)", "$1$2")


def surnames_expr(col: str | pl.Expr) -> pl.Expr:
    """Authors (a list column) to a list of folded surnames.

    ``"Zuber, J."``, ``"Zuber J"``, ``"J. Zuber"`` → ``"zuber"``; ``"Le Quintrec, M"`` →
    ``"le quintrec"``; ``"O'Donnell, C. P."`` → ``"odonnell"``; initials (one to three capitals,
    with or without dots) are dropped when there is no comma.
    """
    return (
        _expr(col)
        .list.eval(_surname(pl.element()))
        .list.eval(pl.element().filter(pl.element().str.len_chars() > 0))
    )


def _surname(elem: pl.Expr) -> pl.Expr:
    elem = elem.str.replace_all(r"[{}\\]", "")
    no_comma = (
        elem.str.replace_all(r"\.", ". ")
        .str.replace_all(r"(?:^|\s)(?:[A-Z]\.?-?){1,3}(?:\s|$)", " ")
        .str.replace_all(r"(?:^|\s)(?:[A-Z]\.?-?){1,3}(?:\s|$)", " ")
    )
    surname = (
        pl.when(elem.str.contains(",", literal=True))
        .then(elem.str.split(",").list.first())
        .otherwise(no_comma)
    )
    return (
        surname.str.normalize("NFKD")
        .str.replace_all(r"\p{Mn}", "")
        .str.to_lowercase()
        .str.replace_all(r"['’`]", "")
        .str.replace_all(r"[^a-z]+", " ")
        .str.strip_chars()
    )


RUN_TOGETHER = r"(\b\p{Lu}\.) ?(\p{Lu}[\p{Ll}'’])"


def split_run_together_expr(author: str | pl.Expr) -> pl.Expr:
    """One author string to a list of authors, split where an initial's dot runs into the next
    name: ``"Kohashi K.Hiromura M."`` → ``["Kohashi K.", "Hiromura M."]``, ``"Tan A.O'Donnell
    C. P."`` → ``["Tan A.", "O'Donnell C. P."]`` (exports that lost the separator)."""
    return _expr(author).str.replace_all(RUN_TOGETHER, "$1\x1f$2").str.split("\x1f")


def surnames_frame(frame: pl.DataFrame, col: str, max_authors: int) -> pl.Series:
    """:func:`surnames_expr` of the first ``max_authors`` entries, computed on the exploded
    column (faster than per-list evaluation on large tables)."""
    flat = frame.select(pl.col(col).list.head(max_authors)).with_row_index("_r").explode(col)
    if flat[col].str.contains(RUN_TOGETHER).any():  # split only when some string needs it
        flat = flat.with_columns(split_run_together_expr(pl.col(col))).explode(col)
    flat = flat.with_columns(_surname(pl.col(col)).alias("_s"))
    grouped = (
        flat.filter(pl.col("_s").str.len_chars() > 0)
        .group_by("_r", maintain_order=True)
        .agg(pl.col("_s"))
    )
    full = pl.DataFrame({"_r": pl.arange(0, frame.height, dtype=pl.UInt32, eager=True)})
    return (
        full.join(grouped, on="_r", how="left")
        .sort("_r")["_s"]
        .fill_null(pl.lit([], dtype=pl.List(pl.String)))
        .alias(col)
    )


JOURNAL_STOPWORDS = ("the", "of", "and", "in", "for", "on", "de", "la", "der", "und", "et")


def journal_expr(col: str | pl.Expr) -> pl.Expr:
    """A journal name for matching: folded, without a parenthesised place (``(London)``), a
    ``: official journal of ...`` tail, or stop words."""
    base = _expr(col).str.replace(r"\s*[:=].*$", "").str.replace_all(r"\([^)]*\)", " ")
    words = fold_expr(base).str.split(" ")
    kept = words.list.eval(pl.element().filter(~pl.element().is_in(JOURNAL_STOPWORDS)))
    return kept.list.join(" ").replace("", None)


def initials_expr(col: str | pl.Expr) -> pl.Expr:
    """First letters of the words of a :func:`journal_expr` name (``"nat rev nephrol"`` →
    ``"nrn"``), the key that matches an abbreviation to its full title."""
    return _expr(col).str.replace_all(r"([a-z0-9])[a-z0-9]*\s*", "$1")


PREPRINT_JOURNALS = (
    r"\b(?:biorxiv|medrxiv|arxiv|chemrxiv|psyarxiv|socarxiv|ssrn|research square|preprints?"
    r"|authorea|osf preprints|eartharxiv|techrxiv|scielo preprints)\b"
)
PREPRINT_DOI_PREFIXES = (
    r"^10\.1101/|^10\.21203/|^10\.2139/|^10\.48550/|^10\.31234/|^10\.20944/|^10\.22541/"
    r"|^10\.26434/|^10\.31219/|^10\.31235/|^10\.36227/"
)


def apply_scalar(expr: pl.Expr, value: object, dtype: pl.DataType | None = None) -> object:
    """Run a one-column expression on one value (for tests and small callers)."""
    frame = pl.DataFrame({"v": [value]}, schema={"v": dtype} if dtype is not None else None)
    return frame.select(expr.alias("out"))["out"][0]
