"""Round trips through the workflow and the command line on the tools' real exports.

A review whose search is Rayyan's own RIS export of a 10-record review
(../shared/fixtures/screening-tools/rayyan/cff_baseline_rayyan.ris): `export-pending` writes the
pending studies for Rayyan and ASReview with our IDs; `import-decisions` reads Rayyan's CSV
export of the same review back as a decision sheet; the next run counts those decisions.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from scoping_review.interop import asreview, rayyan

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
CLI = Path(sys.executable).parent / "scoping-review"

CONFIG = """\
review: {title: "Rayyan round trip", short_title: "Rayyan", authors: ["Test"], question: "?"}
searches:
  - {id: embase, database: Embase, date: "2024-08-25", files: [inputs/cff_baseline_rayyan.ris]}
  - {id: demo, database: PubMed, date: "2025-04-23", files: [inputs/asreview_demo.csv]}
criteria:
  - {code: off_topic, label: Not about dinosaur skin or feathers}
  - {code: erratum, label: Erratum or correction notice}
  - {code: no_full_text, label: Full text not obtained, stages: [full_text]}
screening:
  reason_aliases: {"background article": off_topic}
  sheets: [SHEETS]
charting:
  sheet: inputs/charting.csv
  fields: [{name: country, label: Country, type: category}]
coding:
  highlights: [inputs/highlights.csv]
  documents: inputs/documents.csv
  codebook: inputs/codebook.csv
"""


def snakemake(workdir: Path) -> None:
    cmd = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"),
           "--directory", str(workdir), "--cores", "2"]  # fmt: skip
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=900, check=False)
    assert result.returncode == 0, result.stderr[-3000:]


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CLI), *args], capture_output=True, text=True, timeout=120, check=False
    )


def counts(workdir: Path) -> dict[str, int]:
    ledger = pl.read_parquet(workdir / "results/ledger/counts.parquet")
    return dict(zip(ledger["count_id"], ledger["value"], strict=True))


def test_rayyan_export_and_decisions_round_trip(tmp_path: Path, fixtures_dir: Path) -> None:
    tools = fixtures_dir / "screening-tools"
    work = tmp_path / "review"
    (work / "config").mkdir(parents=True)
    (work / "inputs").mkdir()
    shutil.copy(tools / "rayyan/cff_baseline_rayyan.ris", work / "inputs")
    # ASReview's export of its demo project, used here as a search (the records it screened)
    shutil.copy(
        tools / "asreview/generated_asreview_relevant_not_seen_irrelevant_demo.csv",
        work / "inputs/asreview_demo.csv",
    )
    for name in ("highlights.csv", "documents.csv", "codebook.csv"):
        shutil.copy(REPO / "tests/data/tiny_review/inputs" / name, work / "inputs")
    (work / "inputs/charting.csv").write_text("record_id,study_label,country\n")
    (work / "config/config.yaml").write_text(CONFIG.replace("SHEETS", ""))
    snakemake(work)
    before = counts(work)
    assert before["records_pending"] == 110

    # our exports carry our study IDs and read back through the tools' readers
    out = cli(
        "export-pending",
        "--directory",
        str(work),
        "--tool",
        "rayyan",
        "--out",
        str(tmp_path / "p.ris"),
    )
    assert out.returncode == 0, out.stderr
    assert "110 pending title_abstract studies" in out.stdout
    studies = pl.read_parquet(work / "results/02_dedupe/studies.parquet")
    back = rayyan.read_ris((tmp_path / "p.ris").read_bytes(), "p.ris")
    assert sorted(back["study_id"].to_list()) == sorted(studies["study_id"].to_list())
    out = cli(
        "export-pending",
        "--directory",
        str(work),
        "--tool",
        "asreview",
        "--out",
        str(tmp_path / "p.csv"),
    )
    assert out.returncode == 0, out.stderr
    exported = pl.read_csv(tmp_path / "p.csv", infer_schema=False)
    assert sorted(exported["study_id"].to_list()) == sorted(studies["study_id"].to_list())
    # ASReview returns the imported columns plus its label: a labelled copy maps by study_id
    labelled = exported.with_columns(pl.Series("asreview_label", ["1", "0"] * 55))
    rows = asreview.read_table(labelled, "labelled.csv", "Ann")
    assert (
        rows.filter(pl.col("decision").is_not_null())["study_id"].to_list()
        == exported["study_id"].to_list()
    )

    # Rayyan's CSV export of the same review comes back as a decision sheet
    sheet = work / "inputs/rayyan_ta.csv"
    csv = str(tools / "rayyan/cff_baseline_rayyan.csv")
    refused = cli(
        "import-decisions", csv, "--directory", str(work), "--tool", "rayyan", "--out", str(sheet)
    )
    assert refused.returncode == 1
    assert "cff_baseline_rayyan.csv, row 6: excluded without a reason" in refused.stderr
    assert not sheet.exists()
    done = cli("import-decisions", csv, "--directory", str(work), "--tool", "rayyan",
               "--exclude-reason", "off_topic", "--out", str(sheet))  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "6 decisions written" in done.stdout

    # ASReview LAB's project file of the demo review: 9 relevant, 14 irrelevant, 1 unlabelled
    project = str(tools / "asreview/asreview-demo-project-v3format.asreview")
    sheet2 = work / "inputs/asreview_ta.csv"
    done = cli("import-decisions", project, "--directory", str(work), "--tool", "asreview",
               "--reviewer", "Ann", "--exclude-reason", "off_topic", "--out", str(sheet2))  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "23 decisions written" in done.stdout

    (work / "config/config.yaml").write_text(
        CONFIG.replace(
            "SHEETS",
            "{path: inputs/rayyan_ta.csv, stage: title_abstract}, "
            "{path: inputs/asreview_ta.csv, stage: title_abstract}",
        )
    )
    snakemake(work)
    got = counts(work)
    # Rayyan (Emily): 2 included, 2 excluded, 2 maybe (still pending), 4 untouched (pending);
    # ASReview (Ann): 9 included, 14 excluded, the other 77 not seen (pending)
    assert got["records_excluded"] == 2 + 14
    assert got["records_excluded.off_topic"] == 2 + 14
    assert got["records_pending"] == 6 + 77
    assert got["pending.title_abstract.maybe"] == 2
    assert got["dbr_pending"] == 2 + 9
