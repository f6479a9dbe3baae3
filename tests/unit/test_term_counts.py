"""The ranking's TF-IDF assembled from term counts equals scikit-learn's TfidfVectorizer, and a
run that reuses the term counts of earlier runs gives the matrix a run from scratch gives."""

from __future__ import annotations

import random

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.feature_extraction.text import TfidfVectorizer

from helpers import require_shared
from scoping_review import ranking, term_counts
from scoping_review.term_counts import TermCache, cache_meta, compacted, features_with_cache

WORDS = [
    *("alliance", "rupture", "repair", "therapy", "therapist", "session", "café", "naïve"),
    *("soil", "maize", "crop", "yield", "nitrogen", "carbon", "wheat", "water"),
    *("metacommunication", "withdrawal", "confrontation"),
]


def _texts(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(rng.choice(WORDS) for _ in range(rng.randint(0, 30))) for _ in range(n)]


def _sklearn(texts: list[str], settings: ranking.RankingSettings) -> tuple[object, list[str]]:
    vectorizer = TfidfVectorizer(
        ngram_range=(1, settings.ngram_max),
        sublinear_tf=True,
        strip_accents="unicode",
        min_df=settings.min_df if len(texts) > 20 else 1,
        max_df=0.95 if len(texts) > 20 else 1.0,
        max_features=settings.max_features,
        dtype=np.float32,
    )
    return vectorizer.fit_transform(texts), list(vectorizer.get_feature_names_out())


def _same(a: ranking.Features, b: ranking.Features) -> bool:
    """Bit for bit: the same terms, the same stored entries in the same order."""
    return (
        list(a.terms) == list(b.terms)
        and a.matrix.shape == b.matrix.shape
        and np.array_equal(a.matrix.indptr, b.matrix.indptr)
        and np.array_equal(a.matrix.indices, b.matrix.indices)
        and np.array_equal(a.matrix.data, b.matrix.data)
    )


@pytest.mark.parametrize("n", [5, 21, 300])
@pytest.mark.parametrize("ngram_max", [1, 2])
def test_features_equal_tfidf_vectorizer(n: int, ngram_max: int) -> None:
    settings = ranking.RankingSettings(ngram_max=ngram_max)
    texts = [*_texts(n, seed=n), "rupture " * 40]  # one term in (nearly) every text: max_df
    want, terms = _sklearn(texts, settings)
    got = ranking.features(texts, settings)
    assert list(got.terms) == terms
    assert abs(got.matrix - want).max() < 1e-6


def test_features_equal_tfidf_vectorizer_with_max_features() -> None:
    settings = ranking.RankingSettings(max_features=12)
    texts = _texts(200, seed=3)
    want, terms = _sklearn(texts, settings)
    got = ranking.features(texts, settings)
    assert sorted(got.terms) == sorted(terms)
    assert abs(got.matrix - want).max() < 1e-6


def test_features_equal_tfidf_vectorizer_on_a_labelled_set() -> None:
    folder = require_shared("fixtures", "screening", "labelled")
    frame = pl.read_csv(folder / "Cohen_2006_Estrogens.csv", infer_schema_length=0)
    texts = ranking.record_text(frame)
    want, terms = _sklearn(texts, ranking.DEFAULT)
    got = ranking.features(texts)
    assert list(got.terms) == terms
    assert abs(got.matrix - want).max() == 0.0


def _rounds(cache: TermCache | None, rounds: list[list[str]]) -> list[ranking.Features]:
    """Features of each round's texts, every round reusing (and extending) the cache."""
    out = []
    for texts in rounds:
        try:
            feats, added = features_with_cache(texts, ranking.DEFAULT, cache)
        except ValueError:  # no term in this round's texts: nothing kept
            continue
        base = cache or TermCache.empty(cache_meta(ranking.DEFAULT))
        cache = TermCache(
            base.meta,
            pl.concat([base.vocab, added.vocab]),
            pl.concat([base.docs, added.docs]),
        )
        out.append(feats)
    return out


def test_cached_counts_give_the_features_of_a_run_from_scratch() -> None:
    first = _texts(120, seed=1)
    second = [*first[:100], *_texts(30, seed=2), first[0] + " withdrawal"]  # some left, changed
    third = [*second, *_texts(10, seed=4), "entirely novel vocabulary appears here"]
    for got, texts in zip(
        _rounds(None, [first, second, third]), [first, second, third], strict=True
    ):
        assert _same(got, ranking.features(texts))


def test_a_cache_of_other_settings_is_not_used() -> None:
    texts = _texts(50, seed=5)
    _, added = features_with_cache(texts, ranking.RankingSettings(ngram_max=1), None)
    stale = TermCache(cache_meta(ranking.RankingSettings(ngram_max=1)), added.vocab, added.docs)
    got, again = features_with_cache(texts, ranking.DEFAULT, stale)
    assert _same(got, ranking.features(texts))
    assert again.docs.height == len(set(texts))  # tokenised anew


def test_compaction_keeps_the_current_texts_only_and_the_same_features() -> None:
    old, new = _texts(80, seed=6), _texts(40, seed=7)
    _, added = features_with_cache(old, ranking.DEFAULT, None)
    cache = TermCache(cache_meta(ranking.DEFAULT), added.vocab, added.docs)
    _, more = features_with_cache(new, ranking.DEFAULT, cache)
    small = compacted(cache, more)
    assert set(small.docs["text_hash"].to_list()) == set(term_counts.text_hashes(new).tolist())
    got, nothing = features_with_cache(new, ranking.DEFAULT, small)
    assert nothing.docs.height == 0
    assert _same(got, ranking.features(new))


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.text(alphabet="abcé ÉΣσ-_1.", max_size=40), min_size=1, max_size=30),
    st.integers(min_value=0, max_value=29),
)
def test_any_split_into_two_runs_gives_the_features_of_one(texts: list[str], cut: int) -> None:
    texts = [*texts, "common words here"]
    try:
        want = ranking.features(texts)
    except ValueError:  # no term at all (as TfidfVectorizer: an empty vocabulary)
        return
    got = _rounds(None, [texts[: min(cut, len(texts))], texts])[-1]
    assert _same(got, want)


def test_a_cache_that_does_not_hold_together_is_named() -> None:
    texts = _texts(30, seed=8)
    _, added = features_with_cache(texts, ranking.DEFAULT, None)
    meta = cache_meta(ranking.DEFAULT)
    good = TermCache(meta, added.vocab, added.docs)
    assert term_counts.check_cache(good) is None
    short = TermCache(meta, added.vocab.head(3), added.docs)
    assert "beyond a vocabulary of 3" in (term_counts.check_cache(short) or "")
    twice = TermCache(meta, pl.concat([added.vocab, added.vocab.head(1)]), added.docs)
    assert "a term appears twice" in (term_counts.check_cache(twice) or "")
    again = TermCache(meta, added.vocab, pl.concat([added.docs, added.docs.head(1)]))
    assert "a text appears twice" in (term_counts.check_cache(again) or "")


def test_the_cache_depends_on_pythons_unicode_tables() -> None:
    import unicodedata

    assert cache_meta(ranking.DEFAULT)["unicode"] == unicodedata.unidata_version


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("chunk", [3, 4000])
def test_counts_are_per_distinct_text_with_new_ids_in_term_order_per_batch(
    chunk: int, workers: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The layout the cache stores: one row per distinct text, first-seen order; ids ascending
    within a text with their counts; terms first seen get ids after the vocabulary's, in term
    order within each batch of CHUNK texts; an empty text has empty lists. The same whether
    the batches are counted here or in worker processes."""
    monkeypatch.setattr(term_counts, "CHUNK", chunk)
    one = ranking.RankingSettings(ngram_max=1)
    vocab = pl.DataFrame({"term": ["zeta", "alpha"]}, schema=term_counts.VOCAB_SCHEMA)
    texts = ["zeta beta beta", "", "zeta beta beta", "gamma Alpha delta", "beta", "éclair"]
    parts = term_counts.count_texts(texts, term_counts.text_hashes(texts), vocab, one, workers)
    expected_terms = (
        ["beta", "delta", "gamma", "eclair"]  # batches of 3 distinct texts, then 2
        if chunk == 3
        else ["beta", "delta", "eclair", "gamma"]
    )
    assert parts.vocab["term"].to_list() == expected_terms
    ids = {term: i for i, term in enumerate(["zeta", "alpha", *expected_terms])}
    assert (
        parts.docs["text_hash"].to_list()
        == term_counts.text_hashes(
            ["zeta beta beta", "", "gamma Alpha delta", "beta", "éclair"]
        ).tolist()
    )
    rows = list(zip(parts.docs["ids"].to_list(), parts.docs["counts"].to_list(), strict=True))
    assert rows[0] == (sorted([ids["zeta"], ids["beta"]]), [1, 2])
    assert rows[1] == ([], [])
    gamma_alpha_delta = sorted([ids["gamma"], ids["alpha"], ids["delta"]])
    assert rows[2] == (gamma_alpha_delta, [1, 1, 1])
    assert rows[3] == ([ids["beta"]], [1])
    assert rows[4] == ([ids["eclair"]], [1])
    assert parts.docs.schema == term_counts.DOCS_SCHEMA


@settings(max_examples=15, deadline=None)
@given(n=st.integers(0, 60), chunk=st.integers(1, 9), seed=st.integers(0, 50))
def test_counts_in_worker_processes_are_the_counts_of_one_process(
    n: int, chunk: int, seed: int
) -> None:
    """Batches counted in two forked workers, whichever finishes first, give the same term ids
    and counts as counting them in order here (the ids are given in batch order either way)."""
    texts = _texts(n, seed)
    hashes = term_counts.text_hashes(texts)
    vocab = pl.DataFrame({"term": ["rupture", "soil maize"]}, schema=term_counts.VOCAB_SCHEMA)
    original = term_counts.CHUNK
    term_counts.CHUNK = chunk  # no monkeypatch fixture in a hypothesis test
    try:
        one = term_counts.count_texts(texts, hashes, vocab, ranking.DEFAULT, workers=1)
        two = term_counts.count_texts(texts, hashes, vocab, ranking.DEFAULT, workers=2)
    finally:
        term_counts.CHUNK = original
    assert one.vocab.equals(two.vocab)
    assert one.docs.equals(two.docs)


def test_features_counted_in_worker_processes_equal_tfidf_vectorizer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(term_counts, "CHUNK", 7)
    texts = _texts(120, 3)
    settings = ranking.RankingSettings()
    got, _ = features_with_cache(texts, settings, None, workers=2)
    want, terms = _sklearn(texts, settings)
    assert list(got.terms) == terms
    assert abs(got.matrix - want).max() < 1e-6
    alone, _ = features_with_cache(texts, settings, None, workers=1)
    assert _same(got, alone)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(0, 40), chunk=st.integers(1, 9), seed=st.integers(0, 5))
def test_study_texts_made_a_chunk_at_a_time_are_the_texts(n: int, chunk: int, seed: int) -> None:
    """The chunked sequence the features read equals the list of texts (in order, by index,
    backwards, by slice), and features from it and from a cache are the list's."""
    rng = random.Random(seed)
    frame = pl.DataFrame(
        {
            "title": [rng.choice([None, *WORDS]) for _ in range(n)],
            "abstract": _texts(n, seed),
            "keywords": [rng.sample(WORDS, rng.randint(0, 3)) for _ in range(n)],
        },
        schema={"title": pl.String, "abstract": pl.String, "keywords": pl.List(pl.String)},
    )
    want = ranking.record_text(frame)
    lazy = ranking.StudyTexts(frame, chunk=chunk)
    assert len(lazy) == n and list(lazy) == want
    assert [lazy[i] for i in reversed(range(n))] == want[::-1]
    assert lazy[1:7:2] == want[1:7:2]
    if n:
        assert lazy[-1] == want[-1]
    with pytest.raises(IndexError):
        lazy[n]
    # the hashes from the UTF-8 bytes polars makes are those of the texts encoded by Python
    assert [b for c in lazy.utf8_chunks() for b in c] == [t.encode("utf-8") for t in want]
    assert term_counts.text_hashes(lazy).tolist() == term_counts.text_hashes(want).tolist()
    if n > 20:
        half = TermCache(cache_meta(ranking.DEFAULT), *_cache_parts(want[: n // 2]))
        got, _ = features_with_cache(ranking.StudyTexts(frame, chunk=chunk), ranking.DEFAULT, half)
        assert _same(got, ranking.features(want))


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.none() | st.text(), st.none() | st.text(), st.lists(st.text(), max_size=3)),
        max_size=12,
    ),
    chunk=st.integers(1, 5),
)
def test_study_text_hashes_from_polars_bytes_are_the_texts_hashes(
    rows: list[tuple[str | None, str | None, list[str]]], chunk: int
) -> None:
    """Any Unicode (surrogates aside, which polars cannot hold), missing parts, empty rows:
    the hash of a study's text is the same whether the text is encoded by Python or by
    polars, so caches written by either stay valid."""
    frame = pl.DataFrame(
        rows,
        schema={"title": pl.String, "abstract": pl.String, "keywords": pl.List(pl.String)},
        orient="row",
    )
    want = ranking.record_text(frame)
    lazy = ranking.StudyTexts(frame, chunk=chunk)
    assert term_counts.text_hashes(lazy).tolist() == term_counts.text_hashes(want).tolist()
    frame_no_text = pl.DataFrame({"study_id": ["a", "b"]})
    assert list(ranking.StudyTexts(frame_no_text).utf8_chunks()) == [[b"", b""]]


def _cache_parts(texts: list[str]) -> tuple[pl.DataFrame, pl.DataFrame]:
    _, added = features_with_cache(texts, ranking.DEFAULT, None)
    return added.vocab, added.docs


# any text: letters with and without accents, combining marks, digits of other scripts, CJK,
# the underscore (a word character), punctuation and white space of several kinds
_ANY_TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from(list("ab cé_\u0301\u0663\u4e2d.-'\n\tİß\u00a0x1")),
        st.characters(codec="utf-8"),
    ),
    max_size=60,
)


@settings(max_examples=200, deadline=None)
@given(text=_ANY_TEXT)
def test_the_token_pattern_finds_the_default_patterns_words(text: str) -> None:
    """Without its word boundaries, the pattern finds the same words in any text."""
    import re

    default = re.compile(TfidfVectorizer().token_pattern)
    assert re.findall(term_counts.TOKEN_PATTERN, text) == default.findall(text)


@settings(max_examples=150, deadline=None)
@given(texts=st.lists(_ANY_TEXT | st.sampled_from(_texts(8, 4)), max_size=6),
       ngram_max=st.integers(1, 4))  # fmt: skip
def test_a_batchs_counts_are_scikit_learns_analyzer_counts(
    texts: list[str], ngram_max: int
) -> None:
    """Each text's terms and counts, n-grams counted as integer pairs, are those of the
    analyzer ``TfidfVectorizer`` uses (every occurrence's words joined), for any text and
    n-gram length."""
    from collections import Counter

    analyze = TfidfVectorizer(ngram_range=(1, ngram_max), strip_accents="unicode").build_analyzer()
    settings_n = ranking.RankingSettings(ngram_max=ngram_max)
    terms, doc, term, counts = term_counts._count_batch((settings_n, texts))
    got: list[Counter[str]] = [Counter() for _ in texts]
    for d, t, c in zip(doc.tolist(), term.tolist(), counts.tolist(), strict=True):
        assert terms[t] not in got[d]  # one triple per (text, term)
        got[d][terms[t]] = c
    assert got == [Counter(analyze(t)) for t in texts]
    assert len(set(terms)) == len(terms)  # a term's text is numbered once


@settings(max_examples=60, deadline=None)
@given(texts=st.lists(_ANY_TEXT | st.sampled_from(_texts(8, 5)), max_size=8),
       known=st.lists(st.sampled_from(WORDS), unique=True, max_size=6),
       chunk=st.integers(1, 4), ngram_max=st.integers(1, 3))  # fmt: skip
def test_a_texts_stored_ids_ascend_and_carry_the_analyzers_counts(
    texts: list[str], known: list[str], chunk: int, ngram_max: int
) -> None:
    """What the cache stores for any texts, batch size and vocabulary already known (in no
    particular order): each distinct text's term ids strictly ascending, each with its count
    from scikit-learn's analyzer (fails if a batch's (text, id) pairs are put in another order
    than by text, then id)."""
    from collections import Counter

    analyze = TfidfVectorizer(ngram_range=(1, ngram_max), strip_accents="unicode").build_analyzer()
    vocab = pl.DataFrame({"term": [w.lower() for w in reversed(known)]})
    vocab = vocab.unique(maintain_order=True).cast(term_counts.VOCAB_SCHEMA)
    original = term_counts.CHUNK
    term_counts.CHUNK = chunk  # no monkeypatch fixture in a hypothesis test
    try:
        parts = term_counts.count_texts(
            texts, term_counts.text_hashes(texts), vocab,
            ranking.RankingSettings(ngram_max=ngram_max),
        )  # fmt: skip
    finally:
        term_counts.CHUNK = original
    terms = [*vocab["term"].to_list(), *parts.vocab["term"].to_list()]
    distinct = list(dict.fromkeys(texts))
    assert parts.docs.height == len(distinct)
    for text, ids, counts in zip(
        distinct, parts.docs["ids"].to_list(), parts.docs["counts"].to_list(), strict=True
    ):
        assert ids == sorted(set(ids))
        assert Counter({terms[i]: c for i, c in zip(ids, counts, strict=True)}) == Counter(
            analyze(text)
        )


@given(st.lists(st.booleans(), max_size=200))
def test_true_before_counts_the_true_entries_before_each_position(flags: list[bool]) -> None:
    mask = np.array(flags, dtype=np.bool_)
    got = term_counts.true_before(mask)
    assert got.dtype == np.int64
    assert got.tolist() == [sum(flags[:i]) for i in range(len(flags) + 1)]


@settings(max_examples=50, deadline=None)
@given(
    rows=st.integers(1, 30),
    cols=st.integers(1, 12),
    density=st.floats(0.05, 1.0),
    seed=st.integers(0, 2**16),
    dtype=st.sampled_from([np.float32, np.float64]),
)
def test_smooth_idf_is_the_fitted_transformers_idf_bit_for_bit(
    rows: int, cols: int, density: float, seed: int, dtype: type
) -> None:
    """The idf the assembly sets is TfidfTransformer.fit's, in both float widths, to the bit
    (the features then equal TfidfVectorizer's: the tests above)."""
    from scipy import sparse
    from sklearn.feature_extraction.text import TfidfTransformer

    rng = np.random.default_rng(seed)
    x = sparse.random(rows, cols, density=density, format="csr", random_state=rng, dtype=dtype)
    x.data = np.ceil(x.data * 5).astype(dtype)  # counts
    fitted = TfidfTransformer(sublinear_tf=True).fit(x).idf_
    df = np.bincount(x.indices, minlength=cols).astype(np.int64)
    ours = term_counts.smooth_idf(df, rows, x.dtype)
    assert ours.dtype == fitted.dtype
    assert ours.tobytes() == fitted.tobytes()
