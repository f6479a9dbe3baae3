from __future__ import annotations

import polars as pl

from helpers import records
from scoping_review import dedupe

T1 = "Alliance ruptures in cognitive-behavioral psychotherapy: a cognitive conceptualization"


def _study_of(clusters: pl.DataFrame) -> dict[str, str]:
    return dict(zip(clusters["record_id"], clusters["study_id"], strict=True))


def test_doi_pmid_and_title_year_links() -> None:
    recs = records(
        [
            {"record_id": "pubmed:1", "title": T1, "year": 2021, "doi": "10.1002/jclp.23116",
             "pmid": "1", "abstract": "A", "journal": "J Clin Psychol"},
            {"record_id": "psycinfo:a", "title": T1.upper(), "year": 2021,
             "doi": "https://doi.org/10.1002/JCLP.23116"},
            {"record_id": "wos:x", "title": T1 + ".", "year": 2021},
            {"record_id": "wos:y", "title": "Something else entirely about tendons", "year": 2021},
        ]
    )  # fmt: skip
    clusters, studies = dedupe.deduplicate(recs)
    study = _study_of(clusters)
    assert study["pubmed:1"] == study["psycinfo:a"] == study["wos:x"] != study["wos:y"]
    assert studies.height == 2
    merged = studies.filter(pl.col("n_records") == 3).row(0, named=True)
    assert merged["representative_record_id"] == "pubmed:1"  # the most complete record
    assert sorted(merged["record_ids"]) == ["psycinfo:a", "pubmed:1", "wos:x"]
    rules = dict(zip(clusters["record_id"], clusters["rule"], strict=True))
    assert rules["pubmed:1"] == "representative"
    assert rules["psycinfo:a"] == "doi"
    assert rules["wos:x"] == "title_year"
    assert rules["wos:y"] == "unique"


def test_shared_supplement_doi_with_different_titles_is_not_merged() -> None:
    recs = records(
        [
            {"record_id": "a:1", "title": "Abstract one on cardiac outcomes in adults", "year": 2020,
             "doi": "10.1111/supplement.2020"},
            {"record_id": "a:2", "title": "Abstract two on renal function in children", "year": 2020,
             "doi": "10.1111/supplement.2020"},
        ]
    )  # fmt: skip
    _, studies = dedupe.deduplicate(recs)
    assert studies.height == 2


def test_generic_short_titles_are_not_merged_on_title_and_year() -> None:
    recs = records(
        [
            {"record_id": "a:1", "title": "Editorial", "year": 2020},
            {"record_id": "b:1", "title": "Editorial", "year": 2020},
        ]
    )
    _, studies = dedupe.deduplicate(recs)
    assert studies.height == 2


def test_study_ids_are_stable_when_later_records_arrive() -> None:
    first = records(
        [{"record_id": "pubmed:1", "title": T1, "year": 2021, "search_date": "2024-09-18"}]
    )
    later = records(
        [
            {"record_id": "pubmed:1", "title": T1, "year": 2021, "search_date": "2024-09-18"},
            {"record_id": "aaa:0", "title": T1, "year": 2021, "search_date": "2025-01-01",
             "abstract": "more complete", "doi": "10.1002/jclp.23116"},
        ]
    )  # fmt: skip
    before, _ = dedupe.deduplicate(first)
    after, studies = dedupe.deduplicate(later)
    assert (
        _study_of(before)["pubmed:1"] == _study_of(after)["pubmed:1"] == _study_of(after)["aaa:0"]
    )
    # the newer, more complete record represents the study, but the ID does not move
    assert studies["representative_record_id"].to_list() == ["aaa:0"]


def test_no_member_value_is_lost_when_representative_lacks_it() -> None:
    recs = records(
        [
            {"record_id": "a:1", "title": T1, "year": 2021, "abstract": "x", "journal": "J",
             "volume": "77", "issue": "2", "pages": "384-397"},
            {"record_id": "b:1", "title": T1, "year": 2021, "pmid": "99000001"},
        ]
    )  # fmt: skip
    _, studies = dedupe.deduplicate(recs)
    row = studies.row(0, named=True)
    assert row["representative_record_id"] == "a:1"
    assert row["pmid"] == "99000001"


def test_dedupe_counts_add_up() -> None:
    recs = records(
        [
            {"record_id": "a:1", "title": T1, "year": 2021},
            {"record_id": "b:1", "title": T1, "year": 2021},
            {"record_id": "c:1", "title": T1, "year": 2021},
        ]
    )
    clusters, _ = dedupe.deduplicate(recs)
    counts = {c.count_id: c for c in dedupe.dedupe_counts(clusters)}
    assert counts["duplicates"].value == 2
    assert counts["duplicates.title_year"].value == 2
    assert counts["dedupe.studies"].value == 1


def test_short_title_matches_when_first_author_agrees() -> None:
    recs = records(
        [
            {
                "record_id": "a:1",
                "title": "Rupture Repair",
                "year": 2022,
                "authors": ["Eubanks, C. F."],
            },
            {
                "record_id": "b:1",
                "title": "Rupture repair.",
                "year": 2022,
                "authors": ["Eubanks CF"],
            },
            {"record_id": "c:1", "title": "Editorial", "year": 2022, "authors": ["Smith, A"]},
            {"record_id": "d:1", "title": "Editorial", "year": 2022, "authors": ["Jones, B"]},
        ]
    )
    _, studies = dedupe.deduplicate(recs)
    assert sorted(studies["n_records"].to_list()) == [1, 1, 2]


def test_translated_title_with_same_doi_author_and_year_is_merged() -> None:
    recs = records(
        [
            {"record_id": "a:1", "title": "Metakommunikation bei Allianzbrüchen", "year": 1999,
             "doi": "10.5555/x.1", "authors": ["Müller, K."]},
            {"record_id": "b:1", "title": "Metacommunication in alliance ruptures", "year": 1999,
             "doi": "10.5555/x.1", "authors": ["Muller, K"]},
        ]
    )  # fmt: skip
    clusters, studies = dedupe.deduplicate(recs)
    assert studies.height == 1
    assert clusters.filter(pl.col("record_id") == "b:1")["rule"].item() == "doi"
