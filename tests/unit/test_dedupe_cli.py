"""`scoping-review dedupe` and the matcher's accuracy on the labelled sets (no timing here)."""

from __future__ import annotations

import itertools
from pathlib import Path

import polars as pl
import pytest

from scoping_review import cli, dedupe, storage
from support.dedupe_layout import records_from_layout

LAYOUT_CSV = """\
ID,title,year,author,pages,volume,number,ENTRYTYPE,journal,doi
r1,Alliance ruptures in cognitive-behavioral psychotherapy,2021,"Muran, J. C. and Eubanks, C. F.",384-397,77,2,article,Journal of Clinical Psychology,10.1002/jclp.23116
r2,ALLIANCE RUPTURES IN COGNITIVE-BEHAVIORAL PSYCHOTHERAPY.,2021,Muran JC and Eubanks CF,384-97,77,2,article,J Clin Psychol,
r3,Tendon healing after surgical repair in adult rats,2019,"Smith, A.",1-9,3,1,article,Tendon Research,
"""


def test_dedupe_command_writes_one_row_per_input_record(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "records.csv"
    src.write_text(LAYOUT_CSV)
    out = tmp_path / "clusters.csv"
    queue = tmp_path / "queue.xlsx"
    assert cli.main(["dedupe", str(src), "--out", str(out), "--review-queue", str(queue)]) == 0
    result = pl.read_csv(out)
    assert sorted(result["record_id"]) == ["r1", "r2", "r3"]  # the input's own IDs
    study = dict(zip(result["record_id"], result["study_id"], strict=True))
    assert study["r1"] == study["r2"] != study["r3"]
    assert "3 records -> 2 studies" in capsys.readouterr().out
    assert queue.exists()


def test_dedupe_command_applies_decisions_by_input_ids(tmp_path: Path) -> None:
    src = tmp_path / "records.csv"
    src.write_text(LAYOUT_CSV)
    sheet = tmp_path / "decisions.csv"
    sheet.write_text("record_id_a,record_id_b,decision,note\nr1,r2,different,checked PDFs\n")
    out = tmp_path / "clusters.csv"
    assert cli.main(["dedupe", str(src), "--out", str(out), "--decisions", str(sheet)]) == 0
    assert pl.read_csv(out)["study_id"].n_unique() == 3


def test_dedupe_command_reports_a_bad_decision_row(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "records.csv"
    src.write_text(LAYOUT_CSV)
    sheet = tmp_path / "decisions.csv"
    sheet.write_text("record_id_a,record_id_b,decision\nr1,r9,same\n")
    code = cli.main(
        ["dedupe", str(src), "--out", str(tmp_path / "o.csv"), "--decisions", str(sheet)]
    )
    assert code == 2
    assert f"{sheet}: row 2: record_id_b 'in:r9' is not a known record" in capsys.readouterr().err


def _pairs(groups: list[list[str]]) -> set[tuple[str, str]]:
    return {p for g in groups for p in itertools.combinations(sorted(g), 2)}


@pytest.mark.parametrize(
    ("name", "max_fp", "min_recall"),
    [("haematology", 0, 0.80), ("stroke", 0, 0.99), ("special_cases", 0, 1.0)],
)
def test_no_false_merges_on_the_labelled_sets(
    fixtures_dir: Path, name: str, max_fp: int, min_recall: float
) -> None:
    folder = fixtures_dir / "dedup/bib-dedupe_colrev" / name
    recs = records_from_layout(storage.read_sheet(folder / "records_pre_merged.csv"), "x", name)
    clusters = dedupe.run(recs).clusters
    found = (
        clusters.with_columns(pl.col("record_id").str.strip_prefix("x:"))
        .group_by("study_id")
        .agg("record_id")["record_id"]
        .to_list()
    )
    gold = [
        m.split(";")
        for m in pl.read_csv(folder / "merged_record_ids.csv", infer_schema=False)["merged_ids"]
    ]
    predicted, truth = _pairs(found), _pairs(gold)
    assert len(predicted - truth) <= max_fp
    assert len(predicted & truth) / len(truth) >= min_recall
