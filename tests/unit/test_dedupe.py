from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from helpers import records
from scoping_review import dedupe, storage
from support.dedupe_layout import records_from_layout

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


# --- the full matcher: guard, decisions, relations, review queue, stable IDs ----------------------

T2 = "Resolving therapeutic alliance ruptures: diversity and integration"
T3 = "Tendon healing after surgical repair in adult rats"


def test_chaining_guard_keeps_an_unrelated_record_out() -> None:
    # A-B: same long title and year; B-C: same PMID, first author and year (a translated title).
    # A and C share nothing: they must not end up in one study through B.
    recs = records(
        [
            {"record_id": "a:1", "title": T2, "year": 2020, "authors": ["Safran, J."]},
            {"record_id": "b:1", "title": T2, "year": 2020, "authors": ["Safran, J."],
             "pmid": "31234567"},
            {"record_id": "c:1", "title": T3, "year": 2020, "authors": ["Safran, J."],
             "pmid": "31234567"},
        ]
    )  # fmt: skip
    result = dedupe.run(recs)
    study = _study_of(result.clusters)
    assert study["b:1"] == study["c:1"]  # the stronger (PMID) link wins
    assert study["a:1"] != study["b:1"]
    refused = result.review_queue.filter(pl.col("reason").str.contains("chaining guard"))
    assert refused.select("record_id_a", "record_id_b").rows() == [("a:1", "b:1")]


def test_without_a_conflict_three_records_chain_into_one_study() -> None:
    recs = records(
        [
            {"record_id": "a:1", "title": T2, "year": 2020, "authors": ["Safran, J."]},
            {"record_id": "b:1", "title": T2 + ".", "year": 2020, "authors": ["Safran J"],
             "doi": "10.1000/x"},
            {"record_id": "c:1", "title": T2.upper(), "year": 2020, "doi": "10.1000/x"},
        ]
    )  # fmt: skip
    _, studies = dedupe.deduplicate(recs)
    assert studies["n_records"].to_list() == [3]


def _decisions(rows: list[tuple[str, str, str]]) -> pl.DataFrame:
    frame = pl.DataFrame(
        rows, schema=["record_id_a", "record_id_b", "decision"], orient="row"
    ).with_columns(pl.lit("n").alias("note"))
    return dedupe.decisions_from_sheet(frame, "decisions.csv")


def test_decision_same_merges_and_different_splits() -> None:
    recs = records(
        [
            {"record_id": "a:1", "title": T1, "year": 2021},
            {"record_id": "b:1", "title": T1, "year": 2021},
            {"record_id": "c:1", "title": T3, "year": 2019},
        ]
    )
    clusters, _ = dedupe.deduplicate(recs)
    before = _study_of(clusters)
    assert before["a:1"] == before["b:1"] != before["c:1"]
    decided = _decisions([("b:1", "a:1", "different"), ("a:1", "c:1", "Same")])
    clusters, _ = dedupe.deduplicate(recs, decisions=decided)
    after = _study_of(clusters)
    assert after["a:1"] == after["c:1"] != after["b:1"]
    assert clusters.filter(pl.col("record_id") == "c:1")["link_rule"].item() == "override"


def test_decision_different_holds_through_a_third_record() -> None:
    recs = records(
        [
            {"record_id": "a:1", "title": T1, "year": 2021},
            {"record_id": "b:1", "title": T1, "year": 2021},
            {"record_id": "c:1", "title": T1, "year": 2021},
        ]
    )
    clusters, _ = dedupe.deduplicate(recs, decisions=_decisions([("a:1", "c:1", "different")]))
    study = _study_of(clusters)
    assert study["a:1"] != study["c:1"]
    assert len({study["a:1"], study["b:1"], study["c:1"]}) == 2


def test_decision_naming_an_unknown_record_is_an_error_with_sheet_and_row() -> None:
    recs = records([{"record_id": "a:1", "title": T1, "year": 2021}])
    bad = _decisions([("a:1", "a:1x", "same")])
    with pytest.raises(dedupe.DecisionError, match=r"decisions.csv: row 2: record_id_b 'a:1x'"):
        dedupe.deduplicate(recs, decisions=bad)
    study = _decisions([("a:1", "S-1eee865204", "same")])
    with pytest.raises(
        dedupe.DecisionError, match=r"'S-1eee865204' is not a known record: it is a study ID"
    ):
        dedupe.deduplicate(recs, decisions=study)
    with pytest.raises(dedupe.DecisionError, match=r"row 2: decision 'maybe'"):
        recs2 = records([{"record_id": "a:1"}, {"record_id": "b:1"}])
        dedupe.deduplicate(recs2, decisions=_decisions([("a:1", "b:1", "maybe")]))


def test_decisions_sheet_needs_its_columns_and_skips_blank_rows() -> None:
    with pytest.raises(dedupe.DecisionError, match=r"sheet\.csv: missing columns"):
        dedupe.decisions_from_sheet(pl.DataFrame({"record_id_a": ["a"]}), "sheet.csv")
    frame = pl.DataFrame(
        {"record_id_a": ["a:1", None], "record_id_b": ["b:1", ""], "decision": ["same", None]}
    )
    parsed = dedupe.decisions_from_sheet(frame, "s.csv")
    assert parsed.select("sheet", "row").rows() == [("s.csv", 2)]


@pytest.mark.parametrize(
    ("other", "relation"),
    [
        ({"title": "Erratum to: " + T2, "journal": "Psychotherapy", "pages": "120"}, "erratum"),
        ({"title": "Retraction note: " + T2, "journal": "Psychotherapy"}, "retraction"),
        ({"title": T2, "journal": "medRxiv", "doi": "10.1101/2020.01.01.1"}, "preprint"),
        ({"title": T2, "journal": "Abstracts of the 50th Annual Meeting", "year": 2019},
         "conference_abstract"),
    ],
)  # fmt: skip
def test_related_records_are_flagged_not_merged(other: dict[str, object], relation: str) -> None:
    article = {"record_id": "a:1", "title": T2, "year": 2020, "journal": "Psychotherapy",
               "authors": ["Safran, J. D.", "Muran, J. C."], "volume": "57", "pages": "1-15",
               "doi": "10.1037/pst0000001"}  # fmt: skip
    related = {"record_id": "b:1", "year": 2020, "authors": ["Safran JD", "Muran JC"], **other}
    result = dedupe.run(records([article, related]))
    assert result.studies.height == 2
    rel = result.relations.row(0, named=True)
    assert (rel["record_id_a"], rel["record_id_b"], rel["relation"]) == ("b:1", "a:1", relation)
    assert rel["study_id_a"] != rel["study_id_b"]


def test_maybe_pairs_go_to_the_review_queue_side_by_side() -> None:
    recs = records(
        [
            {"record_id": "a:1", "title": "Alliance rupture markers in brief relational therapy",
             "year": 2020, "authors": ["Eubanks, C."]},
            {"record_id": "b:1", "title": "Alliance rupture markers in brief relational psychotherapy",
             "year": 2020, "authors": ["Eubanks, C."]},
        ]
    )  # fmt: skip
    result = dedupe.run(recs)
    assert result.studies.height == 2
    row = result.review_queue.row(0, named=True)
    assert (row["record_id_a"], row["record_id_b"], row["reason"]) == ("a:1", "b:1", "maybe")
    assert row["title_a"].endswith("relational therapy") and row["decision"] is None
    assert "title" in row["evidence"] and "authors 100" in row["evidence"]
    sheet = dedupe.review_worksheet(result.review_queue)
    assert sheet.dropdowns == {"decision": ["same", "different"]}


def test_every_link_carries_its_rule_score_and_evidence() -> None:
    recs = records(
        [
            {"record_id": "a:1", "title": T1, "year": 2021, "doi": "10.1002/jclp.23116",
             "journal": "J Clin Psychol", "volume": "77", "pages": "384-97"},
            {"record_id": "b:1", "title": T1.lower(), "year": 2021,
             "doi": "https://doi.org/10.1002/JCLP.23116",
             "journal": "Journal of Clinical Psychology", "volume": "77", "pages": "384-397"},
        ]
    )  # fmt: skip
    clusters, _ = dedupe.deduplicate(recs)
    dup = clusters.filter(~pl.col("is_representative")).row(0, named=True)
    assert dup["rule"] == "doi" and dup["score"] == 100.0
    assert dup["evidence"] == (
        "title 100 · journal 100 · year same · DOI same · volume same · pages same"
    )


def test_study_ids_survive_a_second_run_with_added_records(fixtures_dir: Path) -> None:
    csv = fixtures_dir / "dedup/bib-dedupe_colrev/stroke/records_pre_merged.csv"
    frame = storage.read_sheet(csv)
    every = records_from_layout(frame, "s", "stroke.csv")
    # the first search found every other record; the update brings the rest, dated later
    first = every.filter(pl.int_range(pl.len()) % 2 == 0).with_columns(
        pl.lit("2024-01-01").alias("search_date")
    )
    later = every.filter(pl.int_range(pl.len()) % 2 == 1).with_columns(
        pl.lit("2025-01-01").alias("search_date")
    )
    before = dedupe.run(first).clusters
    after = dedupe.run(pl.concat([first, later])).clusters
    old_ids = set(before["study_id"])
    assert old_ids <= set(after["study_id"])  # no existing study is renamed or lost
    moved = before.join(after, on="record_id", suffix="_after").filter(
        pl.col("study_id") != pl.col("study_id_after")
    )
    assert moved.is_empty()
    assert after.height == every.height


def test_dedupe_is_deterministic() -> None:
    recs = records(
        [
            {"record_id": f"x:{i}", "title": f"{T2} {i % 3}", "year": 2020,
             "authors": ["Safran, J."]}
            for i in range(9)
        ]
    )  # fmt: skip
    one, two = dedupe.run(recs), dedupe.run(recs.reverse())
    assert one.clusters.equals(two.clusters)
    assert one.review_queue.equals(two.review_queue)


def test_study_ids_of_a_column_are_study_id_for_each_anchor() -> None:
    from scoping_review.dedupe.assemble import _study_ids

    anchors = pl.Series(["db:2", "db:1", "db:2", "pubmed:99", "é:1"])
    assert _study_ids(anchors).to_list() == [dedupe.study_id_for(a) for a in anchors]


# two record IDs whose SHA-1s share their first 10 hex digits (found by a birthday search:
# 40 bits are shared by two of a million studies about one time in three)
SAME_40_BITS = ("pubmed:454450", "pubmed:885006")


def test_anchors_sharing_40_bits_get_distinct_ids_the_earliest_search_keeping_the_short() -> None:
    from scoping_review.dedupe.assemble import LONG_DIGITS, _study_ids

    a, b = SAME_40_BITS
    assert dedupe.study_id_for(a) == dedupe.study_id_for(b)
    dates = pl.Series(["2025-06-01", "2024-01-01", "2025-06-01"])
    ids = _study_ids(pl.Series([a, b, a]), dates).to_list()
    long_a = dedupe.study_id_for(a, LONG_DIGITS)
    assert ids == [long_a, dedupe.study_id_for(b), long_a]
    # the same search: the smaller record ID keeps the short one; no dates: the same
    same = _study_ids(pl.Series([b, a]), pl.Series(["2024-01-01", "2024-01-01"])).to_list()
    assert same == [dedupe.study_id_for(b, LONG_DIGITS), dedupe.study_id_for(a)]
    assert _study_ids(pl.Series([b, a])).to_list() == same


def test_a_new_study_sharing_40_bits_with_an_earlier_one_never_renames_it() -> None:
    a, b = SAME_40_BITS
    first = records([{"record_id": b, "title": T1, "year": 2021, "search_date": "2024-09-18"}])
    later = records(
        [
            {"record_id": b, "title": T1, "year": 2021, "search_date": "2024-09-18"},
            {"record_id": a, "title": "Soil nitrogen under maize rotations", "year": 2019,
             "search_date": "2025-03-01"},
        ]
    )  # fmt: skip
    before, _ = dedupe.deduplicate(first)
    after, studies = dedupe.deduplicate(later)
    assert _study_of(before)[b] == _study_of(after)[b] == dedupe.study_id_for(b)
    assert _study_of(after)[a] != _study_of(after)[b]
    assert studies["study_id"].n_unique() == studies.height == 2
    # incremental and from scratch agree: the same ids whichever order the records come in
    again, _ = dedupe.deduplicate(later.reverse())
    assert _study_of(again) == _study_of(after)


def test_dedupe_reads_no_provenance_column(fixtures_dir: Path) -> None:
    """The rule reads the records without their raw tags and values (at 1M records about a
    gigabyte): the same clusters, studies, queue and relations as from every column."""
    csv = fixtures_dir / "dedup/bib-dedupe_colrev/stroke/records_pre_merged.csv"
    every = records_from_layout(storage.read_sheet(csv), "s", "stroke.csv")
    assert {"raw_values", "raw_tags", "source_sha256"} <= set(every.columns)
    assert not {"raw_values", "raw_tags", "source_sha256"} & set(dedupe.RECORD_COLUMNS)
    whole, narrow = dedupe.run(every), dedupe.run(every.select(dedupe.RECORD_COLUMNS))
    for name in ("clusters", "studies", "review_queue", "relations"):
        assert getattr(whole, name).equals(getattr(narrow, name)), name


def test_people_s_decisions_that_contradict_through_a_third_record_are_refused() -> None:
    """a:1 same b:1, b:1 same c:1 (people), and a:1 different c:1 (people): one of them was
    silently overruled (the review queue then emptied with the pair still split). Refused,
    naming every row; a direct clash names both rows too."""
    recs = records(
        [
            {"record_id": r, "title": t, "year": 2021}
            for r, t in (("a:1", T1), ("b:1", T1), ("c:1", T1))
        ]
    )
    rows = [("a:1", "b:1", "same"), ("b:1", "c:1", "same"), ("a:1", "c:1", "different")]
    with pytest.raises(dedupe.DecisionError) as err:
        dedupe.deduplicate(recs, decisions=_decisions(rows))
    message = str(err.value)
    assert message.startswith("decisions.csv: row 4: different for a:1 and c:1")
    assert "a:1 same as b:1 at decisions.csv: row 2" in message
    assert "b:1 same as c:1 at decisions.csv: row 3" in message
    direct = [("a:1", "b:1", "same"), ("b:1", "a:1", "different")]
    with pytest.raises(
        dedupe.DecisionError,
        match=r"same at decisions.csv: row 2; different at decisions.csv: row 3",
    ):
        dedupe.deduplicate(recs, decisions=_decisions(direct))


def test_a_cochrane_central_record_doi_does_not_keep_an_article_apart() -> None:
    """CENTRAL exports put the CENTRAL record's DOI (10.1002/central/CN-.../full) in DO: it
    read as "DOI differ" against the article's own DOI, so the same paper from Embase stayed
    apart, and a later round's copy of it was split off by the chaining guard."""
    title = "Tafenoquine for the radical cure of Plasmodium vivax malaria in adults"
    base = {"title": title, "year": 2007, "authors": ["Walsh, D. S."], "journal": "Am J Trop Med Hyg",
            "volume": "76", "issue": "3", "pages": "494-499"}  # fmt: skip
    recs = records(
        [
            {**base, "record_id": "embase:127", "doi": "10.4269/ajtmh.2007.76.494"},
            {**base, "record_id": "central:CN-01783882", "doi": "10.1002/central/CN-01783882/full"},
            {**base, "record_id": "scopus:9", "doi": "10.4269/ajtmh.2007.76.494"},
        ]
    )
    clusters, _ = dedupe.deduplicate(recs)
    assert len(set(_study_of(clusters).values())) == 1


def test_the_review_queue_workbook_is_a_decisions_sheet_as_it_is(tmp_path: Path) -> None:
    """README: rows of review_queue.xlsx "can be copied in as they are"; the workbook itself,
    with its instruction line above the header, was refused for missing columns."""
    from scoping_review import storage

    queue = pl.DataFrame({"record_id_a": ["a:1", "a:2"], "record_id_b": ["b:1", "b:2"],
                          "decision": ["same", None], "title_a": ["T", "U"]})  # fmt: skip
    path = tmp_path / "review_queue.xlsx"
    storage.write_xlsx([dedupe.review_worksheet(queue)], path)
    parsed = dedupe.decisions_from_sheet(storage.read_sheet(path), "review_queue.xlsx")
    assert parsed.select("record_id_a", "decision", "row").rows() == [("a:1", "same", 3)]
