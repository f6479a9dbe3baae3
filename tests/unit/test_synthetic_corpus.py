"""The synthetic review generator: seeded, consistent inputs for the whole workflow."""

from __future__ import annotations

import polars as pl
import pytest

from scoping_review import importing
from support import synthetic_corpus
from support.synthetic_corpus import Corpus


@pytest.fixture(scope="module")
def small() -> Corpus:
    return synthetic_corpus.corpus(300, seed=3)


def _import_all(corpus: Corpus) -> pl.DataFrame:
    parts = []
    for entry in corpus.config["searches"]:
        path = entry["files"][0]
        meta = importing.SourceMeta(entry["id"], entry["database"], entry["date"], path)
        parts.append(
            importing.import_export(corpus.exports[path].encode(), meta, fmt=entry["format"])
        )
    records, rejects, _files = importing.combine(parts)
    assert rejects.height == 0
    return records


def test_same_seed_same_corpus(small: Corpus) -> None:
    again = synthetic_corpus.corpus(300, seed=3)
    assert again.exports == small.exports
    assert again.title_abstract.equals(small.title_abstract)
    assert again.highlights.equals(small.highlights)
    assert synthetic_corpus.corpus(300, seed=4).exports != small.exports


def test_record_counts_and_duplicate_rate(small: Corpus) -> None:
    records = _import_all(small)
    assert records.height == small.n_records == 300
    assert small.n_studies == 210  # 30 % of the records are duplicates
    assert records["record_id"].n_unique() == records.height
    formats = {e["format"] for e in small.config["searches"]}
    assert formats == {"ris", "medline", "wos", "bibtex"}
    # perturbations: some duplicate copies lose their DOI, some titles are lower-cased
    assert 0 < records["doi"].null_count() < records.height
    assert records["title"].str.contains(r"^[a-z]").any()


def test_sheets_reference_imported_records(small: Corpus) -> None:
    ids = set(_import_all(small)["record_id"].to_list())
    ta, ft = small.title_abstract, small.full_text
    assert ta.height == small.n_studies  # every study screened once, by its primary record
    assert set(ta["record_id"]) <= ids
    included_ta = set(ta.filter(pl.col("decision") == "include")["record_id"])
    assert set(ft["record_id"]) == included_ta
    included = set(ft.filter(pl.col("decision") == "include")["record_id"])
    assert set(small.charting["record_id"]) == included
    assert set(small.documents["record_id"]) == included
    assert set(small.highlights["document"]) == set(small.documents["document"])
    assert set(small.highlights["tag"]) <= set(small.codebook["code"])
    codes = {c["code"] for c in small.config["criteria"]}
    assert set(ta["reason"].drop_nulls()) | set(ft["reason"].drop_nulls()) <= codes
    excluded = ta.filter(pl.col("decision") == "exclude")
    assert excluded["reason"].null_count() == 0


def test_update_round_adds_one_percent(small: Corpus) -> None:
    big = synthetic_corpus.corpus(10_000, seed=1)
    upd = synthetic_corpus.update_round(big, fraction=0.01, seed=1)
    assert upd.n_records == 10_100
    assert upd.n_studies == big.n_studies + 80  # 80 % new studies, 20 % duplicates
    new_search = upd.config["searches"][-1]
    assert new_search["round"] == 2 and len(upd.config["searches"]) == 5
    # round 1 unchanged: its files and decisions are carried over as they were
    for path, text in big.exports.items():
        assert upd.exports[path] == text
    assert upd.title_abstract.head(big.title_abstract.height).equals(big.title_abstract)
    assert upd.title_abstract.height == big.title_abstract.height + 80
    assert upd.highlights["id"].n_unique() == upd.highlights.height


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="duplicate_rate"):
        synthetic_corpus.corpus(100, duplicate_rate=0.7)
