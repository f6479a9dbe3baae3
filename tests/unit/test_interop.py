"""Round trips with Rayyan and ASReview LAB, on the tools' own exports in
../shared/fixtures/screening-tools/ (used from there: their licences vary)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from scoping_review import importing, schemas, screen
from scoping_review.interop import InteropError, asreview, export, rayyan, to_sheet

CRITERIA = [
    {"code": "wrong_population", "label": "Wrong population"},
    {"code": "wrong_intervention", "label": "Wrong intervention"},
    {"code": "off_topic", "label": "Off topic"},
    {"code": "no_full_text", "label": "Full text not obtained", "stages": ["full_text"]},
]


@pytest.fixture
def tools(fixtures_dir: Path) -> Path:
    return fixtures_dir / "screening-tools"


def _studies(path: Path) -> pl.DataFrame:
    """One study per record of an export, parsed by the project's importer (as a review
    that searched the same records would have them)."""
    meta = importing.SourceMeta("s", "db", "2025-01-01", str(path))
    recs = importing.import_export(path.read_bytes(), meta).records
    return recs.select(
        (pl.lit("S-") + pl.col("record_id").str.replace_all(r"[^0-9A-Za-z]", "")).alias("study_id"),
        "title",
        "year",
        "doi",
        "pmid",
        pl.concat_list(pl.col("doi")).list.drop_nulls().alias("dois"),
        pl.concat_list(pl.col("pmid")).list.drop_nulls().alias("pmids"),
    )


def test_rayyan_notes_segments() -> None:
    notes = rayyan.parse_notes(
        'RAYYAN-INCLUSION: {"Zbys"=>"Excluded", "m.el-gohary"=>"Included"} | '
        "RAYYAN-LABELS: M.el-G please review | RAYYAN-EXCLUSION-REASONS: wrong drug,wrong "
        "intervention | USER-NOTES: a | b"
    )
    assert notes.votes == {"Zbys": "Excluded", "m.el-gohary": "Included"}
    assert notes.labels == ["M.el-G please review"]
    assert notes.reasons == ["wrong drug", "wrong intervention"]
    assert notes.user_notes == "a | b"
    assert rayyan.parse_notes("").votes == {}


def test_rayyan_csv_and_ris_give_the_same_decisions(tools: Path) -> None:
    csv_rows = rayyan.read_csv((tools / "rayyan/cff_baseline_rayyan.csv").read_bytes(), "x.csv")
    ris_rows = rayyan.read_ris((tools / "rayyan/cff_baseline_rayyan.ris").read_bytes(), "x.ris")
    # 10 records: Emily included 2, excluded 2, maybe 2; 4 nobody touched
    for rows in (csv_rows, ris_rows):
        assert rows.height == 10
        got = rows.group_by("decision").len().sort("decision", nulls_last=True).rows()
        assert got == [("exclude", 2), ("include", 2), ("maybe", 2), (None, 4)]
        assert set(rows["reviewer"].drop_nulls()) == {"Emily"}

    def by_key(f: pl.DataFrame) -> list[tuple[str, str | None]]:
        return sorted(f.select("key", "decision").rows(), key=str)

    assert by_key(csv_rows) == by_key(ris_rows)
    assert csv_rows.filter(pl.col("key") == "rayyan-42924191")["decision"].to_list() == ["maybe"]


def test_rayyan_round_trip_to_a_sheet_the_screen_rule_reads(tools: Path) -> None:
    studies = _studies(tools / "rayyan/cff_baseline_rayyan.ris")
    path = tools / "rayyan/cff_baseline_rayyan.csv"
    rows = rayyan.read_csv(path.read_bytes(), str(path))
    # Rayyan's exclusions here carry no reason: an error naming the file and row ...
    with pytest.raises(InteropError, match=r"cff_baseline_rayyan\.csv, row 6: excluded without"):
        to_sheet(rows, studies, CRITERIA, name=str(path), stage="title_abstract")
    # ... unless a default reason is given
    sheet = to_sheet(
        rows, studies, CRITERIA, name=str(path), stage="title_abstract", exclude_reason="off_topic"
    )
    assert sheet.height == 6
    assert sorted(sheet["decision"].to_list()) == ["exclude"] * 2 + ["include"] * 2 + ["maybe"] * 2
    # resolved by DOI to the studies the RIS import made of the same records
    assert set(sheet["study_id"]) <= set(studies["study_id"])
    clusters = studies.select(
        pl.col("study_id").alias("record_id"), "study_id"
    )  # record IDs == study IDs here
    decisions = screen.read_decisions(
        [screen.Sheet(str(path), "title_abstract", sheet)], clusters, CRITERIA
    )
    assert decisions.height == 6
    schemas.validate(decisions, schemas.DECISIONS)


def test_rayyan_unknown_reason_names_file_and_line_and_alias_maps_it(tools: Path) -> None:
    path = tools / "rayyan/rayyanR_tinea_update.ris"
    studies = _studies(path)
    rows = rayyan.read_ris(path.read_bytes(), str(path))
    assert set(rows["reviewer"].drop_nulls()) == {"Zbys", "m.el-gohary"}
    with pytest.raises(InteropError) as err:
        to_sheet(rows, studies, CRITERIA, name=str(path), stage="title_abstract")
    message = str(err.value)
    assert "rayyanR_tinea_update.ris, row " in message
    assert "exclusion reason 'wrong drug' is not a title_abstract criterion" in message
    aliases = {"wrong drug": "wrong_intervention", "wrong population": "wrong_population"}
    reasons = sorted({r for rs in rows["reasons"].to_list() for r in rs})
    aliases |= {r: "off_topic" for r in reasons if r not in aliases and r != "wrong intervention"}
    sheet = to_sheet(
        rows,
        studies,
        CRITERIA,
        name=str(path),
        stage="title_abstract",
        aliases=aliases,
        exclude_reason="off_topic",
    )
    two = sheet.filter(pl.col("reason").str.contains("wrong_intervention"))
    assert two.height >= 1
    assert set(sheet["reviewer"]) == {"Zbys", "m.el-gohary"}
    clusters = studies.select(pl.col("study_id").alias("record_id"), "study_id")
    decisions = screen.read_decisions(
        [screen.Sheet(str(path), "title_abstract", sheet)], clusters, CRITERIA
    )
    assert decisions.height == sheet.height


def test_rayyan_maybe_is_not_a_full_text_decision(tools: Path) -> None:
    path = tools / "rayyan/cff_baseline_rayyan.csv"
    rows = rayyan.read_csv(path.read_bytes(), str(path))
    studies = _studies(tools / "rayyan/cff_baseline_rayyan.ris")
    with pytest.raises(InteropError, match=r"row 4: decision 'maybe' is not one of"):
        to_sheet(
            rows, studies, CRITERIA, name=str(path), stage="full_text", exclude_reason="off_topic"
        )


def _asreview_all(tools: Path) -> dict[str, pl.DataFrame]:
    base = tools / "asreview"
    stem = "generated_asreview_relevant_not_seen_irrelevant_demo"
    return {
        "csv": asreview.read_csv((base / f"{stem}.csv").read_bytes(), "a.csv", "me"),
        "xlsx": asreview.read_xlsx((base / f"{stem}.xlsx").read_bytes(), "a.xlsx", "me"),
        "ris": asreview.read_ris((base / f"{stem}.ris").read_bytes(), "a.ris", "me"),
        "v2": asreview.read_project(
            (base / "asreview-demo-project-v2.asreview").read_bytes(), "p2", "me"
        ),
        "v3": asreview.read_project(
            (base / "asreview-demo-project-v3format.asreview").read_bytes(), "p3", "me"
        ),
    }


def test_asreview_exports_and_projects_agree(tools: Path) -> None:
    got = _asreview_all(tools)
    for kind, rows in got.items():
        decided = rows.filter(pl.col("decision").is_not_null())
        assert decided.group_by("decision").len().sort("decision").rows() == [
            ("exclude", 14),
            ("include", 9),
        ], kind
    # the dataset exports list all 100 records, the projects the 24 results rows (1 unlabelled)
    assert got["csv"].height == got["xlsx"].height == got["ris"].height == 100
    assert got["v3"].height == got["v2"].height == 24

    def decided_titles(f: pl.DataFrame) -> set[tuple[str, str]]:
        d = f.filter(pl.col("decision").is_not_null())
        return set(d.select("title", "decision").rows())

    assert decided_titles(got["csv"]) == decided_titles(got["v3"]) == decided_titles(got["ris"])
    assert decided_titles(got["v2"]) == decided_titles(got["xlsx"]) == decided_titles(got["csv"])


def test_asreview_round_trip_to_sheet(tools: Path) -> None:
    stem = "generated_asreview_relevant_not_seen_irrelevant_demo"
    studies = _studies(tools / "asreview" / f"{stem}.csv")
    project = tools / "asreview/asreview-demo-project-v3format.asreview"
    rows = asreview.read_project(project.read_bytes(), str(project), "Ann")
    with pytest.raises(InteropError, match=r"record_id|row \d+: excluded without a reason"):
        to_sheet(rows, studies, CRITERIA, name=str(project), stage="title_abstract")
    sheet = to_sheet(
        rows,
        studies,
        CRITERIA,
        name=str(project),
        stage="title_abstract",
        exclude_reason="off_topic",
    )
    assert sheet.height == 23
    assert sheet.filter(pl.col("decision") == "exclude")["reason"].unique().to_list() == [
        "off_topic"
    ]
    assert set(sheet["reviewer"]) == {"Ann"}


def test_asreview_unknown_study_names_file_and_row(tools: Path) -> None:
    path = tools / "asreview/generated_asreview_relevant_not_seen_irrelevant_demo.csv"
    rows = asreview.read_csv(path.read_bytes(), str(path), "Ann")
    studies = _studies(path).head(50)  # half the records are not in this review
    with pytest.raises(InteropError, match=r"demo\.csv, row \d+: no study matches"):
        to_sheet(
            rows,
            studies,
            CRITERIA,
            name=str(path),
            stage="title_abstract",
            exclude_reason="off_topic",
        )


def test_export_carries_study_ids_back(tools: Path) -> None:
    """Our RIS and CSV exports read back by the tool readers name our studies."""
    studies = _studies(tools / "rayyan/cff_baseline_rayyan.ris").with_columns(
        pl.lit(["A, B", "<script>x</script>"]).alias("authors"),
        pl.lit(None, dtype=pl.String).alias("abstract"),
        pl.lit("=J").alias("journal"),
        pl.lit("1").alias("volume"),
        pl.lit(None, dtype=pl.String).alias("issue"),
        pl.lit("1-2").alias("pages"),
    )
    text = export.ris(studies)
    assert text.count("U1  - scoping-review study S-") == studies.height
    back = rayyan.read_ris(text.encode(), "ours.ris")
    assert sorted(back["study_id"].to_list()) == sorted(studies["study_id"].to_list())
    back2 = asreview.read_ris(text.encode(), "ours.ris", "me")
    assert back2["study_id"].to_list() == back["study_id"].to_list()
    csv = export.asreview_csv(studies)
    assert csv["journal"].to_list()[0] == "'=J"
    labelled = csv.with_columns(pl.lit("1").alias("asreview_label"))
    rows = asreview.read_table(labelled, "ours.csv", "me")
    sheet = to_sheet(rows, studies, CRITERIA, name="ours.csv", stage="title_abstract")
    assert sorted(sheet["study_id"].to_list()) == sorted(studies["study_id"].to_list())


def test_asreview_tags_are_reasons_and_our_ids_come_back_from_a_project(
    tmp_path: Path, tools: Path
) -> None:
    """A project whose dataset is our own export: the record's study_id is used; an
    irrelevant record's tags are its reasons (mapped by label or alias)."""
    import io
    import sqlite3
    import zipfile

    studies = _studies(tools / "rayyan/cff_baseline_rayyan.ris")
    ours = studies.select("study_id", "title")
    db_path = tmp_path / "results.db"
    conn = sqlite3.connect(db_path)
    conn.execute("create table record (record_id, dataset_row, title, doi, year)")
    conn.execute("create table results (record_id, label, time, note, tags)")
    for i in range(ours.height):
        conn.execute("insert into record values (?, ?, ?, NULL, NULL)", (i, i, f"retitled {i}"))
        tags = '[{"id": 0, "values": [{"id": 1, "checked": true}]}]' if i == 1 else "[]"
        conn.execute(
            "insert into results values (?, ?, 1745432659.8, NULL, ?)", (i, 1 - i % 2, tags)
        )
    conn.commit()
    conn.close()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr(
            "project.json",
            '{"tags": [{"id": 0, "export": "why", "values": [{"id": 1, "export": "population"}]}]}',
        )
        z.writestr("data/ours.csv", ours.write_csv())
        z.write(db_path, "results.db")
    rows = asreview.read_project(buffer.getvalue(), "ours.asreview", "Ann")
    assert rows["study_id"].to_list() == ours["study_id"].to_list()
    assert rows.row(1, named=True)["reasons"] == ["why_population"]
    assert rows.row(1, named=True)["date"] == "2025-04-23"
    sheet = to_sheet(
        rows,
        studies,
        CRITERIA,
        name="ours.asreview",
        stage="title_abstract",
        aliases={"why_population": "wrong_population"},
        exclude_reason="off_topic",
    )
    by_study = dict(zip(sheet["study_id"], sheet["reason"], strict=True))
    assert by_study[ours["study_id"][1]] == "wrong_population"
    assert by_study[ours["study_id"][3]] == "off_topic"  # no tags: the default reason
    # a tag with no mapping is an error naming the file and the record
    with pytest.raises(
        InteropError, match=r"ours\.asreview, row 1: exclusion reason 'why_population'"
    ):
        to_sheet(rows, studies, CRITERIA, name="ours.asreview", stage="title_abstract")
