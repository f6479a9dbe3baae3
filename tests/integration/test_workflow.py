"""The whole workflow, run by Snakemake in a temporary directory, on two reviews."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from scoping_review import ledger as ledger_mod
from scoping_review.report.checklist import SECTIONS

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.integration

# Studies the thesis's Results text cites for each of the 33 codes of its Table 3.
THESIS_CODE_STUDIES = {
    "Difference in expectations": 2, "Misunderstanding": 3, "Clashing personal qualities": 5,
    "Unfavourable power dynamic": 5, "Unalignment therapist-client": 13,
    "Disagreement therapist-client": 8, "Client angst": 3,
    "Client's own defenses/patterns getting in the way": 8, "Client's difficulty turning inwards": 6,
    "Shared hopelessness": 5,
    "Relationship unconsciously linked to client's other relationships": 5,
    "Childhood attachment": 4, "(Perceived) disinterest therapist": 11,
    "Misapplication therapy techniques": 9, "Overeagerness therapist": 4,
    "(Perceived) incompetence therapist": 5, "General steps for rupture resolution": 7,
    "General skills all therapists should have": 4,
    "Based on type of rupture – withdrawal/confrontation": 3,
    "Exploring and confronting client's defenses": 8, "Exploring avoidance": 6,
    "Linking rupture to patient's other relationships": 6, "Rupture analysis": 5,
    "Rupture meaning": 7, "Affirming relationship": 8, "Empathy": 15, "Mindfulness/compassion": 4,
    "Validating a client's experience/feelings": 11,
    "Attending to rupture – metacommunication": 22, "Re-explaining treatment rationale": 7,
    "Renegotiating tasks and goals": 11, "Shifting perspectives": 7,
    "Therapist taking responsibility": 14,
}  # fmt: skip


def snakemake(workdir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"),
           "--directory", str(workdir), "--cores", "2", *args]  # fmt: skip
    return subprocess.run(cmd, capture_output=True, text=True, timeout=900, check=False)


def run_review(workdir: Path) -> Path:
    result = snakemake(workdir)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-6000:]
    return workdir


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    workdir = tmp_path_factory.mktemp("tiny")
    shutil.copytree(REPO / "tests/data/tiny_review", workdir, dirs_exist_ok=True)
    return run_review(workdir)


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    workdir = tmp_path_factory.mktemp("example")
    shutil.copytree(REPO / "config", workdir / "config")
    shutil.copytree(REPO / "resources/example", workdir / "resources/example")
    return run_review(workdir)


def values(workdir: Path) -> dict[str, int]:
    frame = pl.read_parquet(workdir / "results/ledger/counts.parquet")
    return dict(zip(frame["count_id"], frame["value"], strict=True))


def test_tiny_review_flow(tiny: Path) -> None:
    v = values(tiny)
    expected = {
        "database_results": 8, "database_results.scopus": 4, "database_results.bib": 4,
        "duplicates": 1, "excluded_other": 0, "records_screened": 7, "records_excluded": 3,
        "dbr_sought_reports": 4, "dbr_notretrieved_reports": 1, "dbr_assessed": 3,
        "dbr_excluded": 1, "new_reports": 2, "new_studies": 2, "codes_kept": 1,
        "segments.unknown_document": 1,
    }  # fmt: skip
    assert {k: v[k] for k in expected} == expected
    assert ledger_mod.check_identities(v) == []


def test_every_record_is_accounted_for(tiny: Path) -> None:
    records = pl.read_parquet(tiny / "results/01_import/records.parquet")
    files = pl.read_parquet(tiny / "results/01_import/files.parquet")
    clusters = pl.read_parquet(tiny / "results/02_dedupe/clusters.parquet")
    status = pl.read_parquet(tiny / "results/03_screen/status.parquet")
    assert (files["n_raw"] == files["n_parsed"] + files["n_rejected"]).all()
    assert records.height == files["n_parsed"].sum()
    assert sorted(clusters["record_id"]) == sorted(records["record_id"])
    assert sorted(status["study_id"]) == sorted(clusters["study_id"].unique())
    assert status["final"].is_not_null().all()
    issues = pl.read_parquet(tiny / "results/quality/issues.parquet")
    note = issues.filter(pl.col("check") == "import_note")["message"].to_list()
    assert note == ["inputs/scopus.ris: record starting at line 33 has no ER before line 39; kept"]


def test_ledger_ids_match_values_and_carry_input_hashes(tiny: Path) -> None:
    frame = pl.read_parquet(tiny / "results/ledger/counts.parquet")
    things = frame.filter(pl.col("id_kind") != "none")
    assert (things["ids"].list.len() == things["value"]).all()
    screened = frame.filter(pl.col("count_id") == "records_screened").row(0, named=True)
    assert screened["stage"] == "03_screen" and screened["rule"] == "screen"
    assert {i["name"] for i in screened["inputs"]} >= {"inputs/title_abstract.csv"}


TINY_DIGEST = REPO / "tests/data/tiny_review.digest.json"


def without_stage_table_hashes(inputs: pl.Expr) -> pl.Expr:
    """A ledger's ``inputs`` (list of name, sha256) with the hash of each ``results/`` Parquet
    table replaced by a marker (another file under results/ keeps its hash: it has no digest of
    its own)."""
    name = pl.element().struct.field("name")
    stage = name.str.starts_with("results/") & name.str.ends_with(".parquet")
    return inputs.list.eval(
        pl.element().struct.with_fields(
            pl.when(stage)
            .then(pl.lit("(stage table: bytes vary with the writer)"))
            .otherwise(pl.element().struct.field("sha256"))
            .alias("sha256")
        )
    )


def table_digests(results: Path) -> dict[str, str]:
    """sha256 of every stage table's contents (schema and rows), by path under results/.

    A ledger row's input hashes are of the input files' bytes. A stage table's bytes carry
    the Parquet writer's version ('Polars (python) version 2.2.0'), so an upgrade of polars
    within pyproject's pins changes them while no table's contents change: those hashes are
    left out here (the tables they hash have their own digests); an export's or config's
    hash is kept."""
    digests = {}
    for path in sorted(results.rglob("*.parquet")):
        if path.parent.name.endswith(".parquet"):
            continue  # a part of a table kept as a directory of files: digested as that table
        frame = pl.read_parquet(path)
        if "inputs" in frame.columns:
            frame = frame.with_columns(without_stage_table_hashes(pl.col("inputs")))
        content = {"schema": {k: str(v) for k, v in frame.schema.items()}, "rows": frame.rows()}
        payload = json.dumps(content, default=str, ensure_ascii=False).encode()
        digests[path.relative_to(results).as_posix()] = hashlib.sha256(payload).hexdigest()
    return digests


def test_tiny_review_tables_match_the_committed_digest(tiny: Path) -> None:
    """Guards refactors: the tiny review's tables are those of the committed run. A change
    that means to alter outputs rewrites the digest with SCOPING_REVIEW_UPDATE_DIGEST=1."""
    got = table_digests(tiny / "results")
    if os.environ.get("SCOPING_REVIEW_UPDATE_DIGEST") == "1":
        TINY_DIGEST.write_text(json.dumps(got, indent=1, sort_keys=True) + "\n")
    want = json.loads(TINY_DIGEST.read_text())
    assert len(want) >= 30
    changed = sorted(k for k in want.keys() | got.keys() if want.get(k) != got.get(k))
    assert changed == [], f"tables differ from {TINY_DIGEST.name}: {changed}"


def test_a_stage_folder_deleted_by_hand_is_made_again(tiny: Path) -> None:
    """A reviewer deletes results/02_dedupe of a finished run: the next run makes it again
    (Snakemake would leave an intermediate output missing while the report is current, and
    commands that read the stage would fail). Dry runs only: the folder is put back after."""
    dedupe = re.compile(r"^dedupe\s+1$", re.MULTILINE)
    before = snakemake(tiny, "-n", "--quiet", "rules")
    assert not dedupe.search(before.stdout + before.stderr)
    stage = tiny / "results/02_dedupe"
    aside = tiny / "02_dedupe.aside"
    stage.rename(aside)
    try:
        planned = snakemake(tiny, "-n", "--quiet", "rules")
    finally:
        aside.rename(stage)
    assert planned.returncode == 0, planned.stderr[-3000:]
    jobs = planned.stdout + planned.stderr
    assert dedupe.search(jobs), jobs[-2000:]


def test_run_dry_run_runs_nothing_and_points_at_no_report(tiny: Path) -> None:
    """`scoping-review run -n` (or `--dry-run`) is Snakemake's dry run; it does not end with
    `report: ...` as if one had been written (`run -- -n` neither)."""
    for args in (["-n"], ["--dry-run"], ["--", "-n"]):
        cmd = [sys.executable, "-m", "scoping_review.cli", "run", "--directory", str(tiny), *args]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)
        assert done.returncode == 0, done.stderr[-3000:]
        said = done.stdout + done.stderr
        assert not re.search(r"^report: ", said, re.MULTILINE)  # (Snakemake's "rule report:")
        assert "dry-run" in said or "Nothing to be done" in said


def test_tiny_report_is_written(tiny: Path) -> None:
    html = (tiny / "results/07_report/index.html").read_text()
    assert 'data-count-id="new_studies"' in html
    assert (tiny / "results/07_report/prisma_flow.svg").read_text().lstrip().startswith("<svg")
    assert (tiny / "results/07_report/prisma_flow.png").read_bytes()[:4] == b"\x89PNG"


def test_each_rules_log_ends_with_its_exact_peak_memory(tiny: Path) -> None:
    """Every rule's log ends with its process's peak memory (getrusage), not the terminal."""
    logs = sorted((tiny / "results/logs").rglob("*.log"))
    assert {p.stem for p in logs} >= {"dedupe", "rank", "report", "ledger"}
    for log in logs:
        last = log.read_text(encoding="utf-8").splitlines()[-1]
        found = re.fullmatch(
            r"INFO peak RSS: this process (\d+) MiB; its largest child (\d+) MiB",
            last,
        )
        assert found, (log, last)
        assert 20 < int(found[1]) < 4096, (log, last)  # a Python process with polars loaded


PHASES = {
    "report": [
        "inputs read",
        "flow and figure specs",
        "figures drawn",
        "page rendered",
        "guard checked",
        "outputs written",
        "listings awaited",
    ],
    "screen": [
        "inputs read",
        "decisions read",
        "statuses",
        "stopping rule",  # the tiny review tests one (a review without one has no such phase)
        "dual review and carry-over",
        "counts",
        "outputs written",
    ],
}


@pytest.mark.parametrize("rule", sorted(PHASES))
def test_rules_log_their_phases_in_order_with_their_wall_seconds(tiny: Path, rule: str) -> None:
    """The rules `make bench` quotes where a target is missed log where their time went."""
    lines = (tiny / f"results/logs/{rule}.log").read_text(encoding="utf-8").splitlines()
    found = [ln for ln in lines if ln.startswith(f"INFO {rule} phases, wall s: ")]
    assert len(found) == 1, lines
    parts = found[0].removeprefix(f"INFO {rule} phases, wall s: ").split(", ")
    assert [p.rsplit(" ", 1)[0] for p in parts] == PHASES[rule]
    assert all(re.fullmatch(r"\d+\.\d\d", p.rsplit(" ", 1)[1]) for p in parts), parts


def test_snakemake_report_packs_the_outputs_with_captions(tiny: Path) -> None:
    """``snakemake --report`` (real) on the finished tiny run: a zip with the captioned outputs."""
    import zipfile

    packed = tiny / "snakemake_report.zip"
    result = snakemake(tiny, "--report", str(packed))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    with zipfile.ZipFile(packed) as archive:
        names = archive.namelist()
        for output in ("index.html", "prisma_flow.svg", "prisma_scr_checklist.md"):
            assert any(n.startswith("snakemake_report/data/raw/") and n.endswith(f"/{output}")
                       for n in names), output  # fmt: skip
        report_html = next(n for n in names if n.endswith("/report.html"))
        text = archive.read(report_html).decode("utf-8", "replace")
    assert "Living scoping review, run as code" in text  # workflow/report/workflow.rst


def test_the_tiny_review_is_the_workflows_test_config() -> None:
    """Snakemake catalog convention: ``.test/`` holds a small config that runs the workflow."""
    test_dir = REPO / ".test"
    assert test_dir.resolve() == (REPO / "tests/data/tiny_review").resolve()
    config = test_dir / "config/config.yaml"
    result = subprocess.run(
        [sys.executable, "-m", "scoping_review.cli", "check-config", str(config)],
        capture_output=True, text=True, timeout=120, check=False, cwd=test_dir,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def jobs_after(workdir: Path, rule: str) -> set[str]:
    """The rules a run would re-run after ``rule`` re-runs (Snakemake's dry-run job table)."""
    result = snakemake(workdir, "--forcerun", rule, "--dry-run", "--quiet", "rules")
    assert result.returncode == 0, result.stderr[-3000:]
    table = re.findall(r"^(\w+)\s+(\d+)$", result.stdout + result.stderr, flags=re.MULTILINE)
    return {name for name, _ in table} - {"total"}


def test_ranking_runs_beside_the_stages_that_need_statuses_only(tiny: Path) -> None:
    # rule rank (models, living rounds, worklists) is the screening stage's heavy part: what
    # needs only the statuses neither waits for it nor re-runs after it
    assert jobs_after(tiny, "rank") == {"rank", "quality", "changes", "ledger", "report", "all"}
    after_screen = jobs_after(tiny, "screen")
    assert {"rank", "extract", "codes", "themes", "sources"} <= after_screen


def test_bad_sheet_stops_the_run_naming_file_and_row(tmp_path: Path) -> None:
    shutil.copytree(REPO / "tests/data/tiny_review", tmp_path, dirs_exist_ok=True)
    sheet = tmp_path / "inputs/title_abstract.csv"
    sheet.write_text(sheet.read_text().replace("not_rupture_repair", "off_topic_typo"))
    result = snakemake(tmp_path, "results/03_screen/status.parquet")
    assert result.returncode != 0
    log = (tmp_path / "results/logs/screen.log").read_text() + result.stderr
    assert "inputs/title_abstract.csv, row 4: reason 'off_topic_typo'" in log


def test_example_reproduces_the_thesis(example: Path) -> None:
    v = values(example)
    assert v["new_studies"] == 36 and v["total_studies"] == 36
    assert ledger_mod.check_identities(v) == []
    prevalence = pl.read_parquet(example / "results/05_codes/prevalence.parquet")
    assert prevalence.height == 33
    assert (
        dict(zip(prevalence["code"], prevalence["n_studies"], strict=True)) == THESIS_CODE_STUDIES
    )
    assert v["code.empathy.n_studies"] == 15
    assert v["code.attending_to_rupture_metacommunication.n_studies"] == 22
    assert v["code.perceived_disinterest_therapist.n_studies"] == 11
    assert v["chart.country.united_states_of_america"] == 19
    assert v["themes"] == 7 and v["overarching_themes"] == 2
    deductive = prevalence.filter(pl.col("origin") == "deductive")["code"].to_list()
    assert sorted(deductive) == [
        "Based on type of rupture – withdrawal/confrontation",
        "General steps for rupture resolution",
    ]


def test_example_surfaces_the_thesis_contradictions(example: Path) -> None:
    issues = pl.read_parquet(example / "results/quality/issues.parquet")
    text = "\n".join(issues.filter(pl.col("severity") != "info")["message"].to_list())
    assert "(n=18, 50%)': the manuscript states 18, but the ledger" in text
    assert "counts 19" in text
    assert "only in the manuscript: Scopus; only in the data: Web of Science" in text
    assert "coded document 'Muran (2021)' maps to no study" in text
    assert (
        "'Bartholomew, Gundel, & Scheel (2016)' gives 2016; the bibliographic record says 2017"
        in text
    )
    assert "'Chang, Dunn, & Omid (2021)' gives 2021; the bibliographic record says 2020" in text
    assert "Rapture and repair in the EMDR" in text
    # the thesis keeps a code its own rule ("prevalence of two or less") would drop
    prevalence = pl.read_parquet(example / "results/05_codes/prevalence.parquet")
    dropped = prevalence.filter(~pl.col("kept"))["code"].to_list()
    assert dropped == ["Difference in expectations"]
    assert "the codebook lists 'Difference in expectations'" in text
    assert "33 unique codes remained" in text


def test_example_report_sections(example: Path) -> None:
    html = (example / "results/07_report/index.html").read_text()
    for anchor in SECTIONS:
        assert f'id="{anchor}"' in html
    assert "http://" not in html.replace("http://www.w3.org", "")
    assert "<script src=" not in html


def test_same_inputs_give_identical_outputs(tiny: Path, tmp_path: Path) -> None:
    """Determinism: a second run elsewhere writes byte-identical tables and report."""
    shutil.copytree(REPO / "tests/data/tiny_review", tmp_path, dirs_exist_ok=True)
    again = run_review(tmp_path)
    outputs = sorted(p.relative_to(tiny) for p in (tiny / "results").rglob("*") if p.is_file())
    outputs = [p for p in outputs if "logs" not in p.parts]
    assert len(outputs) > 20
    differing = [str(p) for p in outputs if (tiny / p).read_bytes() != (again / p).read_bytes()]
    assert differing == []


# -- screening: the example's numbers, a dual-reviewer review ---------------------------------


@pytest.fixture(scope="module")
def dual(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """tiny_review's inputs with tests/data/dual_review on top (two reviewers, consensus,
    automation rules and a later search)."""
    workdir = tmp_path_factory.mktemp("dual")
    shutil.copytree(REPO / "tests/data/tiny_review", workdir, dirs_exist_ok=True)
    shutil.copytree(REPO / "tests/data/dual_review", workdir, dirs_exist_ok=True)
    return run_review(workdir)


def test_example_screening_numbers(example: Path) -> None:
    v = values(example)
    expected = {
        "records_screened": 188, "records_excluded": 140, "dbr_sought_reports": 48,
        "dbr_notretrieved_reports": 3, "dbr_assessed": 45, "dbr_excluded": 9, "new_studies": 36,
        "records_pending": 0, "dbr_pending": 0, "excluded_automatic": 0,
        "records_excluded.not_rupture_repair": 70, "agreement.title_abstract.compared": 0,
        "worklist.title_abstract.saj": 0, "worklist.full_text.saj": 0,
    }  # fmt: skip
    assert {k: v[k] for k in expected} == expected
    assert "agreement.title_abstract.kappa" not in v
    html = (example / "results/07_report/index.html").read_text()
    assert '<section id="screening"' in html and "agreement is not computed" in html


def test_dual_review_flow_and_agreement(dual: Path) -> None:
    v = values(dual)
    expected = {
        "database_results": 13, "duplicates": 2, "excluded_automatic": 3,
        "excluded_automatic.too_old": 1, "excluded_automatic.not_english": 1,
        "excluded_automatic.errata": 1, "automation.not_english.hits": 2,
        "records_screened": 7, "records_excluded": 3, "records_excluded.group_or_couples": 2,
        "records_excluded.not_rupture_repair": 1, "records_pending": 1,
        "pending.title_abstract.not_screened": 1, "dbr_sought_reports": 4,
        "dbr_notretrieved_reports": 1, "dbr_assessed": 2, "dbr_excluded": 1,
        # both reviewers excluded b4, for different reasons: the higher priority is reported
        "dbr_excluded.group_or_couples": 1, "dbr_pending": 1, "pending.full_text.conflict": 1,
        "new_reports": 1, "new_studies": 1,
        "agreement.title_abstract.compared": 7, "agreement.title_abstract.agreed": 5,
        "agreement.title_abstract.kappa": 417, "agreement.title_abstract.ac1": 440,
        "agreement.full_text.compared": 4, "agreement.full_text.agreed": 3,
        "agreement.full_text.kappa": 636, "agreement.full_text.ac1": 628,
        "conflicts.title_abstract": 2, "conflicts.title_abstract.unresolved": 0,
        "conflicts.full_text": 1, "conflicts.full_text.unresolved": 1,
        "screen.carried_over": 1, "screen.recheck_abstract": 1,
        "worklist.title_abstract.ab": 1, "worklist.title_abstract.cd": 1,
        "worklist.full_text.ab": 0,
    }  # fmt: skip
    assert {k: v[k] for k in expected} == expected
    assert ledger_mod.check_identities(v) == []
    agreement = pl.read_parquet(dual / "results/03_screen/agreement.parquet")
    ta, ft = agreement.sort("stage", descending=True).iter_rows(named=True)
    assert ta["kappa"] == pytest.approx(5 / 12) and ta["ac1"] == pytest.approx(11 / 25)
    assert ft["kappa"] == pytest.approx(7 / 11) and ft["ac1"] == pytest.approx(27 / 43)
    carried = pl.read_parquet(dual / "results/03_screen/carryover.parquet")
    assert set(carried["record_id"]) == {"update:u1"} and carried["adds_abstract"].all()


def test_dual_review_sheets_and_report(dual: Path) -> None:
    screen_dir = dual / "results/03_screen"
    for stage in ("title_abstract", "full_text"):
        for reviewer in ("AB", "CD"):
            assert (screen_dir / "worklists" / stage / f"{reviewer}.xlsx").exists()
            assert (screen_dir / "worklists" / stage / f"{reviewer}.csv").exists()
    ab = pl.read_csv(screen_dir / "worklists/title_abstract/AB.csv")
    assert ab["title"].to_list() == ["Rupture resolution in brief relational therapy"]
    conflicts = pl.read_excel(screen_dir / "conflicts.xlsx", sheet_name="full_text")
    assert conflicts.select("reviewer_a", "decision_a", "reviewer_b", "decision_b").rows() == [
        ("AB", "include", "CD", "exclude")
    ]
    html = (dual / "results/07_report/index.html").read_text()
    assert 'data-count-id="agreement.title_abstract.kappa"' in html
    # statistics stored in thousandths are shown as decimals (0.417, not 417)
    for cid, shown in (("agreement.title_abstract.kappa", "0.417"),
                       ("agreement.title_abstract.ac1", "0.440"),
                       ("agreement.full_text.kappa", "0.636")):  # fmt: skip
        assert re.search(rf'data-count-id="{re.escape(cid)}"[^>]*>{re.escape(shown)}<', html), cid
    agreement = html.split('id="screening-agreement"', 1)[1].split("</table>")[0]
    assert "shown in thousandths" not in agreement and "(thousandths)" not in agreement
    assert 'data-denominator-id="agreement.title_abstract.compared"' in html
    assert "conflict (AB: include, CD: exclude); awaiting consensus" in html
    assert 'data-count-id="excluded_automatic.too_old"' in html
    assert 'data-count-id="screen.recheck_abstract"' in html


# Table 2 of the thesis, study design with the normalised vocabulary (Results: systematic review
# n=6, case report n=5, mixed methods n=5).
THESIS_DESIGNS = {
    "Systematic review": 6, "Case report": 5, "Mixed methods": 5, "Case series": 4,
    "Text and opinion": 3, "Qualitative research": 3, "Non-randomised experimental study": 2,
    "Review and synthesis": 2, "Process-outcome research": 2, "Referential Process research": 1,
    "Intensive longitudinal idiographic modelling": 1, "Exploratory single session-study": 1,
    "Secondary qualitative analysis": 1,
}  # fmt: skip

# Table 3 of the thesis: overarching theme → theme → number of codes (before the threshold).
THESIS_THEMES = {
    ("Reasons for ruptures", "Incompatibility therapist-client"): 6,
    ("Reasons for ruptures", "Client challenges"): 6,
    ("Reasons for ruptures", "Therapist's contributions"): 4,
    ("Ways to repair ruptures", "Therapist's guideline"): 3,
    ("Ways to repair ruptures", "Insight into client"): 5,
    ("Ways to repair ruptures", "Personal relationship repair"): 4,
    ("Ways to repair ruptures", "Therapist actions"): 5,
}


def test_example_characteristics_reproduce_table_2(example: Path) -> None:
    chars = pl.read_parquet(example / "results/04_extract/characteristics.parquet")
    design = chars.filter(pl.col("field") == "study_design")
    assert dict(zip(design["value"], design["n_studies"], strict=True)) == THESIS_DESIGNS
    row = chars.filter(pl.col("value") == "Systematic review").row(0, named=True)
    assert row["pct"] == 16.7 and row["n_included"] == 36
    theory = chars.filter(pl.col("field") == "theoretical_background")
    t = dict(zip(theory["value"], theory["n_studies"], strict=True))
    assert t["Transtheoretical"] + t["Not stated"] == 15 and t["Psychoanalysis"] == 8
    # every field accounts for every included study
    for field in chars["field"].unique():
        assert chars.filter(pl.col("field") == field)["n_studies"].sum() == 36
    v = values(example)
    assert v["chart.study_design.mixed_methods"] == 5


def test_example_themes_reproduce_table_3(example: Path) -> None:
    prevalence = pl.read_parquet(example / "results/05_codes/prevalence.parquet")
    got = prevalence.group_by("overarching_theme", "theme").len()
    assert {(o, t): n for o, t, n in got.rows()} == THESIS_THEMES
    over = pl.read_parquet(example / "results/06_themes/overarching.parquet")
    assert over["overarching_theme"].to_list() == [
        "Reasons for ruptures",
        "Ways to repair ruptures",
    ]
    cooc = pl.read_parquet(example / "results/06_themes/cooccurrence.parquet")
    assert (cooc["n_studies"] == cooc["study_ids"].list.len()).all() and cooc.height > 0
    evidence = pl.read_parquet(example / "results/06_themes/evidence_map.parquet")
    assert set(evidence["field"]) == {"theoretical_background"}
    assert set(evidence["theme"]) == {t for _, t in THESIS_THEMES}
    v = values(example)
    assert v["codes_deductive"] == 2 and v["codes_codebook"] == 33


def test_example_report_states_the_prevalence_rule_and_synthesis(example: Path) -> None:
    html = (example / "results/07_report/index.html").read_text()
    rule = html.split('id="prevalence-rule"', 1)[1].split("</p>", 1)[0]
    assert "n_studies" in rule and 'data-count-id="prevalence.threshold"' in rule
    for anchor in (
        "overarching-themes",
        "cooccurrence",
        "evidence-map-1",
        "figure-cooccurrence",
        "figure-characteristics-study-design",
        "figure-evidence-theoretical-background",
    ):
        assert f'id="{anchor}"' in html, anchor  # fmt: skip


def test_example_consistency_audit(example: Path) -> None:
    issues = pl.read_parquet(example / "results/quality/issues.parquet")
    text = "\n".join(issues["message"].to_list())
    assert "writes the author 'Mcleod', the bibliographic record 'McLeod'" in text
    assert "writes the author 'Roten', the bibliographic record 'de Roten'" in text
    assert "charting gives repair_findings '-' for Von Below (2020)" in text
    assert "charting gives reasons_findings '-' for Safran & Muran (2000)" in text
    assert "'33 unique codes remained, of which two were deductive': stated 2" in text
    # the thesis's 39 found / 6 dropped / 33 kept against the codebook's 33 codes
    assert "'a total of 39 individual codes were found in the literature'" in text
    assert "six codes had a prevalence of two or less': the manuscript states 6" in text
    assert "(note: not a contradiction in the thesis (39 - 6 = 33)" in text
