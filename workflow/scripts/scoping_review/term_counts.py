"""Term counts of study texts, kept between runs so that an update tokenises only new texts.

The ranking's TF-IDF (:func:`.ranking.features`) is assembled here from term counts: the
tokens of scikit-learn's analyzer (the one ``TfidfVectorizer`` would use: word uni- to
n-grams, lower case, accents stripped) counted per text, then the vocabulary's document
frequencies, its ``min_df``/``max_df`` pruning, columns in term order, the entries of each row
in column order and scikit-learn's ``TfidfTransformer`` (sublinear tf, smoothed idf, l2 rows):
the matrix ``TfidfVectorizer`` computes, built the same way whether a text's counts were
computed now or read from a :class:`TermCache`, so a run with a cache equals a run without.

:class:`TermCache` (grain: one row of ``docs`` per distinct text, keyed by its 64-bit BLAKE2b
hash; one row of ``vocab`` per term, its row number the term's id) is what a run leaves for the
next: :func:`features_with_cache` returns the counts of the texts it had to tokenise as
:class:`CacheParts` for the caller to append. The cache is used only when written with the same
settings and scikit-learn (:func:`cache_meta`).

Pure functions: texts, frames and arrays in; matrices and frames out.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import polars as pl

from . import forked
from .study_texts import CHUNK as CHUNK  # texts tokenised per batch (tests may set it here)
from .study_texts import TEXT_COLUMNS as TEXT_COLUMNS
from .study_texts import StudyTexts as StudyTexts
from .study_texts import TextSequence as TextSequence
from .study_texts import _Rows
from .study_texts import record_text as record_text

if TYPE_CHECKING:
    from scipy import sparse

    from .ranking import RankingSettings

CACHE_VERSION = "1"
VOCAB_SCHEMA = pl.Schema({"term": pl.String()})
DOCS_SCHEMA = pl.Schema(
    {"text_hash": pl.UInt64(), "ids": pl.List(pl.UInt32()), "counts": pl.List(pl.UInt32())}
)


@dataclass(frozen=True)
class TermCache:
    """``vocab``: term per id (row number); ``docs``: per text hash, its term ids and counts."""

    meta: dict[str, str]
    vocab: pl.DataFrame
    docs: pl.DataFrame

    @classmethod
    def empty(cls, meta: dict[str, str]) -> TermCache:
        return cls(meta, pl.DataFrame(schema=VOCAB_SCHEMA), pl.DataFrame(schema=DOCS_SCHEMA))


@dataclass(frozen=True)
class CacheParts:
    """What a run adds to the cache: terms first seen (ids continue the cache's) and the
    counts of the texts it tokenised; ``current``: the hashes of every text of the run (what a
    compacted cache keeps)."""

    vocab: pl.DataFrame
    docs: pl.DataFrame
    current: npt.NDArray[np.uint64] | None = None

    @property
    def empty(self) -> bool:
        return self.docs.height == 0


def cache_meta(settings: RankingSettings) -> dict[str, str]:
    """What a cache's counts depend on: a cache with other meta is not used."""
    import platform
    import unicodedata

    import sklearn

    # the tokens also follow Python's Unicode tables (lower case, accents, \w)
    return {
        "version": CACHE_VERSION,
        "sklearn": sklearn.__version__,
        "python": platform.python_version(),
        "unicode": unicodedata.unidata_version,
        "ngram_max": str(settings.ngram_max),
        # TOKEN_PATTERN finds the default pattern's words (a test checks it on any text): the
        # counts, and so the caches written before it, are the same
        "analyzer": "word, lowercase, strip_accents=unicode, token_pattern default",
    }


# the words of scikit-learn's default token pattern ``(?u)\b\w\w+\b``: a maximal run of word
# characters can only be matched from its start (a match attempt inside a run follows a failed
# one at the run's start, which happens only for a run of one character), so the word
# boundaries add nothing but their cost (finding the words of 8,000 study texts: 0.17 s
# without them, 0.24 s with)
TOKEN_PATTERN = r"(?u)\w\w+"


def _tokenizer() -> tuple[Callable[[str], str], Callable[[str], list[str]]]:
    """The preprocessor (lower case, accents stripped) and word tokenizer of the analyzer
    ``TfidfVectorizer(strip_accents="unicode")`` builds, with :data:`TOKEN_PATTERN`."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(strip_accents="unicode", token_pattern=TOKEN_PATTERN)
    return vectorizer.build_preprocessor(), vectorizer.build_tokenizer()


def text_hashes(texts: Sequence[str]) -> npt.NDArray[np.uint64]:
    """A stable 64-bit hash of each text (BLAKE2b of its UTF-8; the same on every machine and
    version). :class:`StudyTexts` give their UTF-8 bytes made by polars, a chunk at a time."""
    encoded: Iterable[bytes] = (
        chain.from_iterable(texts.utf8_chunks())
        if isinstance(texts, StudyTexts)
        else (t.encode("utf-8") for t in texts)
    )
    return np.fromiter(
        (int.from_bytes(hashlib.blake2b(b, digest_size=8).digest(), "little") for b in encoded),
        dtype=np.uint64,
        count=len(texts),
    )


def count_texts(
    texts: Sequence[str],
    hashes: npt.NDArray[np.uint64],
    vocab: pl.DataFrame,
    settings: RankingSettings,
    workers: int = 1,
) -> CacheParts:
    """Term ids and counts of ``texts`` (one row per distinct hash, its ids ascending); terms
    not in ``vocab`` get new ids after its last, in term order within each batch.

    Each batch of :data:`CHUNK` texts is tokenised and counted against its own terms
    (:func:`_count_batch`), then its terms are given their ids in batch order, here: what the
    ids are does not depend on where a batch was counted. With ``workers`` > 1 (on Linux) the
    batches are counted in that many forked processes, at most two batches each ahead of the
    ids; the result is the same. Counting is one sort of (text, term) integers per batch: no
    string column is grouped or joined (at 70k texts this took 9.4 s with the tokens grouped
    and joined as strings in polars, of which the analyzer 2.7 s)."""
    import pyarrow as pa

    index: dict[str, int] = {term: i for i, term in enumerate(vocab["term"].to_list())}
    new_terms: list[str] = []
    docs: list[pl.DataFrame] = []
    first: dict[int, int] = {}
    for i, h in enumerate(hashes.tolist()):
        first.setdefault(h, i)
    order = sorted(first.values())  # each distinct text once
    batches = [order[start : start + CHUNK] for start in range(0, len(order), CHUNK)]
    tasks = ((settings, [texts[i] for i in batch]) for batch in batches)
    for batch, (local, doc, local_id, counts) in zip(
        batches, forked.ordered_map(_count_batch, tasks, min(workers, len(batches))), strict=True
    ):
        unseen = sorted(set(local).difference(index))
        index.update(zip(unseen, range(len(index), len(index) + len(unseen)), strict=True))
        new_terms.extend(unseen)
        to_id = np.fromiter(map(index.__getitem__, local), dtype=np.int64, count=len(local))
        if len(index) > np.iinfo(np.uint32).max:
            raise ValueError(f"{len(index)} terms: more than a uint32 term id can number")
        ids = to_id[local_id]
        # by text, then id: one argsort of the (text, id) pairs as single integers (the pairs
        # are distinct); np.lexsort of the two columns took 4x as long (0.10 against 0.025 s
        # for a batch's million pairs), on the main process while the workers count
        by = np.argsort(doc * len(index) + ids)
        doc, ids, counts = doc[by], ids[by].astype(np.uint32), counts[by].astype(np.uint32)
        offsets = pa.array(np.searchsorted(doc, np.arange(len(batch) + 1)).astype(np.int32))
        docs.append(
            pl.DataFrame(
                {
                    "text_hash": pl.Series(hashes[batch], dtype=pl.UInt64),
                    "ids": pl.Series(pa.ListArray.from_arrays(offsets, pa.array(ids))),
                    "counts": pl.Series(pa.ListArray.from_arrays(offsets, pa.array(counts))),
                },
                schema=DOCS_SCHEMA,
            )
        )
    return CacheParts(
        vocab=pl.DataFrame({"term": new_terms}, schema=VOCAB_SCHEMA),
        docs=pl.concat(docs) if docs else pl.DataFrame(schema=DOCS_SCHEMA),
    )


Counted = tuple[list[str], npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]


_cached_tokenizer = functools.cache(_tokenizer)


def _count_batch(task: tuple[RankingSettings, list[str]]) -> Counted:
    """A batch's terms (unigrams in order of first appearance, then each length's n-grams)
    and its (text, term, count) triples, the terms numbered by that order. Runs in a forked
    worker: it touches no polars.

    The terms and counts of scikit-learn's word analyzer (uni- to ``ngram_max``-grams, each
    n-gram its words joined by a space), but an n-gram is counted as the pair (its first n - 1
    words' term, its last word) of integers, and its text is built once per distinct n-gram
    (scikit-learn joins the words of every occurrence: a third of the counting time). 8,000
    study texts, with :data:`TOKEN_PATTERN`: 0.40 s against 0.62-0.68 s."""
    settings, texts = task
    preprocess, tokenize = _cached_tokenizer()
    tokens = [tokenize(preprocess(t)) for t in texts]
    # the loops over every token run in C (dict.fromkeys, map), not in Python bytecode
    terms = list(dict.fromkeys(chain.from_iterable(tokens)))
    local = dict(zip(terms, range(len(terms)), strict=True))
    lengths = np.fromiter(map(len, tokens), dtype=np.int64, count=len(texts))
    flat = np.fromiter(
        map(local.__getitem__, chain.from_iterable(tokens)),
        dtype=np.int64,
        count=int(lengths.sum()),
    )
    del tokens, local
    doc = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)
    docs, ids = [doc], [flat]
    # words left in its text from each position on (the position's own included)
    left = np.repeat(lengths, lengths) - (
        np.arange(flat.shape[0]) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    )
    n_words = max(len(terms), 1)
    # the term of the (n - 1)-gram starting at each position (valid where left >= n - 1)
    gram = flat
    for n in range(2, settings.ngram_max + 1):
        at = np.flatnonzero(left >= n)
        pairs = gram[at] * n_words + flat[at + n - 1]
        distinct, inverse = np.unique(pairs, return_inverse=True)
        first, last = (distinct // n_words).tolist(), (distinct % n_words).tolist()
        start = len(terms)
        terms.extend([f"{terms[a]} {terms[b]}" for a, b in zip(first, last, strict=True)])
        gram = np.full(flat.shape[0], -1, dtype=np.int64)
        gram[at] = start + inverse.reshape(-1)
        docs.append(doc[at])
        ids.append(gram[at])
    width = max(len(terms), 1)
    keys, counts = np.unique(np.concatenate(docs) * width + np.concatenate(ids), return_counts=True)
    return terms, keys // width, keys % width, counts.astype(np.int64)


def assemble(
    hashes: npt.NDArray[np.uint64],
    vocab: pl.DataFrame,
    docs: pl.DataFrame,
    settings: RankingSettings,
) -> Features:
    """The TF-IDF matrix of the texts with ``hashes`` (rows in that order) from their counts in
    ``docs`` (every hash must be there), as ``TfidfVectorizer.fit_transform`` computes it."""
    from scipy import sparse
    from sklearn.feature_extraction.text import TfidfTransformer

    n = hashes.shape[0]
    # each text's row of ``docs`` (the first, were a text there twice), found by the hashes
    # alone; the list columns are then gathered once, in the texts' order (joining and sorting
    # them whole took 3 s of the 7.8 s this took at 700k texts)
    first = docs.select("text_hash").with_row_index("at").unique("text_hash", keep="first")
    at = (
        pl.DataFrame({"text_hash": hashes}, schema={"text_hash": pl.UInt64})
        .join(first, on="text_hash", how="left", maintain_order="left")
        .get_column("at")
    )
    if at.null_count():
        raise ValueError("term counts missing for some texts")
    rows = docs.select(pl.col("ids", "counts").gather(at))
    lengths = rows["ids"].list.len().to_numpy().astype(np.int64)
    ids = rows["ids"].explode().drop_nulls().to_numpy()
    counts = rows["counts"].explode().drop_nulls().to_numpy().astype(np.float32)
    del rows
    # the texts each term is in (a text's ids are distinct): np.add.at counts in place, where
    # np.bincount first copies the 10^8 ids of 1M texts to int64 (1.4-2.2 s, this 0.2 s)
    df = np.zeros(vocab.height, dtype=np.int64)
    np.add.at(df, ids, 1)
    # TfidfVectorizer's pruning (ranking.features: min_df and max_df=0.95 above 20 texts)
    high = settings_max_df(n) * n
    low = settings.min_df if n > 20 else 1
    keep = (df > 0) & (df >= low) & (df <= high)
    if not keep.any():
        raise ValueError("empty vocabulary; perhaps the documents only contain stop words")
    kept = vocab.with_row_index("id").filter(pl.Series(keep[: vocab.height]))
    if settings.max_features is not None and kept.height > settings.max_features:
        # max_features: the most frequent terms over all texts, as TfidfVectorizer keeps them,
        # except that equal frequencies are broken by term (scikit-learn's unstable argsort
        # keeps an arbitrary subset of tied terms; the config never sets max_features)
        tf = np.bincount(ids, weights=counts, minlength=vocab.height)
        kept = (
            kept.with_columns(pl.Series("tf", tf[kept["id"].to_numpy()]))
            .sort(["tf", "term"], descending=[True, False])
            .head(settings.max_features)
            .drop("tf")
        )
    kept = kept.sort("term")
    column = np.full(vocab.height, -1, dtype=np.int32)
    column[kept["id"].to_numpy()] = np.arange(kept.height, dtype=np.int32)
    cols = column[ids]
    del ids
    mask = cols >= 0
    ends = np.concatenate([[0], np.cumsum(lengths)])
    if mask.all():  # no term pruned: every count is an entry
        indptr, data, indices = ends, counts, cols
    else:  # rows are in order: each row's kept entries end where its counts end
        indptr = true_before(mask)[ends]
        data, indices = counts[mask], cols[mask]
    del mask
    counts_matrix = sparse.csr_matrix(
        (data, indices, indptr), shape=(n, kept.height), dtype=np.float32
    )
    counts_matrix.sort_indices()
    transformer = TfidfTransformer(sublinear_tf=True)
    # the idf TfidfTransformer.fit would learn, from the frequencies counted above (its fit
    # counts them again over every entry: 1.5 s at 1M texts); equal to the fitted one (tests)
    transformer.idf_ = smooth_idf(df[kept["id"].to_numpy()], n, counts_matrix.dtype)
    matrix = transformer.transform(counts_matrix, copy=False)
    terms = np.asarray(kept["term"].to_list(), dtype=object)
    return Features(sparse.csr_matrix(matrix), terms)


def smooth_idf(df: npt.NDArray[np.int64], n: int, dtype: npt.DTypeLike) -> npt.NDArray[np.floating]:
    """``TfidfTransformer(smooth_idf=True).fit``'s ``idf_`` for terms in ``df`` of ``n`` texts:
    ln((1 + n) / (1 + df)) + 1, computed in ``dtype`` in its order of operations (the same
    bits; a test compares them with the fitted transformer's)."""
    out = np.full(df.shape[0], fill_value=n + 1, dtype=dtype)
    out /= df.astype(dtype) + 1.0
    np.log(out, out=out)
    out += 1.0
    return out


def true_before(mask: npt.NDArray[np.bool_]) -> npt.NDArray[np.int64]:
    """For each position 0..len(mask), how many of ``mask``'s entries before it are true
    (``concatenate([[0], cumsum(mask)])``): a cast, then a cumulative sum in place, which for
    10^7 entries takes 0.04 s where ``np.cumsum`` of the booleans to int64 takes 0.2-0.4 s."""
    out = np.zeros(mask.shape[0] + 1, dtype=np.int64)
    out[1:] = mask
    np.cumsum(out, out=out)
    return out


def settings_max_df(n: int) -> float:
    """The share of texts above which a term is dropped (0.95 above 20 texts, else none)."""
    return 0.95 if n > 20 else 1.0


def check_cache(cache: TermCache) -> str | None:
    """Why a cache read back cannot be used (term ids beyond its vocabulary, a term twice, a
    text twice), or None."""
    # each text's largest id, then theirs: no list of every id (about 10^8 at 1M studies)
    top_of = cache.docs["ids"].list.max().max()
    top = -1 if top_of is None else int(top_of)  # type: ignore[arg-type]
    if top >= cache.vocab.height:
        return f"term id {top} beyond a vocabulary of {cache.vocab.height}"
    if cache.vocab["term"].n_unique() != cache.vocab.height:
        return "a term appears twice in the vocabulary"
    if cache.docs["text_hash"].n_unique() != cache.docs.height:
        return "a text appears twice"
    return None


@dataclass(frozen=True)
class Features:
    matrix: sparse.csr_matrix
    terms: npt.NDArray[np.str_]


def features(texts: Sequence[str], settings: RankingSettings | None = None) -> Features:
    """TF-IDF matrix (rows in the order of ``texts``) and the term of each column: what
    scikit-learn's ``TfidfVectorizer`` computes (word 1- to ``ngram_max``-grams, sublinear tf,
    accents stripped; ``min_df`` and ``max_df`` 0.95 above 20 texts), assembled from term
    counts (:func:`assemble`; an update reuses them through its cache). ``settings``: the
    ranking's (default: ``ranking.DEFAULT``)."""
    if settings is None:
        from .ranking import DEFAULT

        settings = DEFAULT
    return features_with_cache(texts, settings, None)[0]


def features_with_cache(
    texts: Sequence[str], settings: RankingSettings, cache: TermCache | None, workers: int = 1
) -> tuple[Features, CacheParts]:
    """TF-IDF features of ``texts`` and the counts this call added (texts not in ``cache``;
    counted in ``workers`` processes, :func:`count_texts`)."""
    hashes = text_hashes(texts)
    if cache is None or cache.meta != cache_meta(settings):
        cache = TermCache.empty(cache_meta(settings))
    cached = cache.docs.select("text_hash").unique()
    todo = pl.DataFrame({"text_hash": hashes}, schema={"text_hash": pl.UInt64}).with_row_index()
    missing = np.sort(todo.join(cached, on="text_hash", how="anti")["index"].to_numpy())
    parts = count_texts(_Rows(texts, missing), hashes[missing], cache.vocab, settings, workers)
    vocab = pl.concat([cache.vocab, parts.vocab]) if parts.vocab.height else cache.vocab
    docs = pl.concat([cache.docs, parts.docs]) if parts.docs.height else cache.docs
    return assemble(hashes, vocab, docs, settings), CacheParts(parts.vocab, parts.docs, hashes)


def compacted(cache: TermCache, parts: CacheParts) -> TermCache:
    """One cache of ``cache`` and ``parts`` that keeps only the counts of the run's texts (the
    vocabulary whole: the ids of the counts stay valid)."""
    vocab = pl.concat([cache.vocab, parts.vocab]) if parts.vocab.height else cache.vocab
    docs = pl.concat([cache.docs, parts.docs]) if parts.docs.height else cache.docs
    if parts.current is not None:
        wanted = pl.DataFrame({"text_hash": parts.current}, schema={"text_hash": pl.UInt64})
        docs = docs.unique("text_hash", keep="first", maintain_order=True).join(
            wanted.unique(), on="text_hash", how="semi"
        )
    return TermCache(cache.meta, vocab, docs)


class SharedFeatures:
    """The TF-IDF features of one study text frame, computed on first use and then shared by
    every model trained over that frame (the ranking of pending studies and each living
    round's evaluation fit their models on the same features: computing them once gives the
    same matrices as computing them per model). With a ``cache`` (the term counts a previous
    run left, :mod:`.term_counts`) only texts it lacks are tokenised (in ``workers``
    processes, :func:`count_texts`). With ``keep``, the counts are handed to it (the cache
    read and those added) as soon as the features are computed, and then let go: the models
    are fitted without them in memory.

    Once the features exist the texts are let go too: what is kept of them is their studies'
    order and one hash per text, by which :meth:`serves` knows them again. A caller that
    drops its own texts then asks for rankings with a frame of ``study_id`` alone."""

    def __init__(
        self,
        studies: pl.DataFrame,
        settings: RankingSettings,
        cache: TermCache | None = None,
        keep: Callable[[TermCache | None, CacheParts], None] | None = None,
        workers: int = 1,
    ) -> None:
        self.settings = settings
        self.workers = workers
        self.cache = cache
        self.keep = keep
        self.added: CacheParts | None = None
        self._texts: pl.DataFrame | None = studies
        self._hashes = _row_hashes(studies)
        self.ids: pl.Series = self._hashes["study_id"]
        self._features: Features | None = None
        # :func:`text_hashes` of each study's text, in ``ids`` order (set by :meth:`get`)
        self.text_hashes: npt.NDArray[np.uint64] | None = None

    @classmethod
    def of(cls, ids: pl.Series, features: Features, settings: RankingSettings) -> SharedFeatures:
        """Features already computed for the studies ``ids`` (sorted, rows in that order): a
        frame of ``study_id`` alone is ranked with them."""
        shared = cls(ids.to_frame("study_id"), settings)
        shared._texts = None
        shared._features = features
        return shared

    def serves(self, studies: pl.DataFrame, settings: RankingSettings) -> bool:
        """Whether these features are those of ``studies`` and ``settings``: the same studies
        with the same texts, or (a frame of ``study_id`` alone) the same studies."""
        if self._key(settings) != self._key(self.settings):
            return False
        if studies.columns == ["study_id"]:
            return self.ids.equals(studies["study_id"].sort())
        return self._hashes.equals(_row_hashes(studies))

    @staticmethod
    def _key(settings: RankingSettings) -> tuple[object, ...]:
        # the settings :func:`features` reads (the model's own settings do not change them)
        return (settings.ngram_max, settings.min_df, settings.max_features)

    def get(self) -> Features:
        if self._features is None:
            assert self._texts is not None
            texts = StudyTexts(self._texts.sort("study_id"))
            self._texts = None
            self._features, self.added = features_with_cache(
                texts, self.settings, self.cache, self.workers
            )
            self.text_hashes = self.added.current
            if self.keep is not None:
                self.keep(self.cache, self.added)
                self.cache, self.added = None, None
        return self._features


def _row_hashes(studies: pl.DataFrame) -> pl.DataFrame:
    """study_id and polars' hash of each study's row (texts included), by study: an identity
    within this process, not :func:`text_hashes`' stable key of the cache."""
    return studies.select("study_id", studies.hash_rows(seed=0).alias("hash")).sort("study_id")
