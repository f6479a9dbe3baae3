"""The workflow updated in place equals the workflow run from scratch on the same inputs.

The tiny review is run, a second search round is added (a duplicate of a known study, one
without its DOI, a new study and a record bridging two known studies) and the workflow run
again: dedupe reuses the first run's state. A third round adds a study and decisions: the
ranking reuses the second run's term counts, and round 2 is evaluated on the studies known by
round 2, its order kept for the next run. Every Parquet
table under results/ must equal that of a run from scratch on the final inputs. A third round
(another duplicate, a new study, a changed and a new title/abstract decision) is checked the
same way. A damaged dedupe state or term cache is then named in the log and not reused.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.integration

ROUND2 = """TY  - JOUR
AU  - Rivera, Ana
AU  - Okafor, Ben
TI  - Alliance ruptures in online therapy: a pilot study
PY  - 2021
JO  - J Example Psychother
VL  - 12
SP  - 101
DO  - 10.5555/tiny.1
AN  - n1
ER  -

TY  - JOUR
AU  - Chen, L.
TI  - Repairing alliance ruptures with metacommunication.
PY  - 2020
JO  - Example Counselling Review
AN  - n2
ER  -

TY  - JOUR
AU  - Novak, Petra
TI  - Rupture resolution training for novice therapists: a scoping study
PY  - 2024
JO  - Journal of Example Psychotherapy
DO  - 10.5555/tiny.new
AN  - n3
ER  -

TY  - JOUR
AU  - Rivera, Ana
TI  - Alliance ruptures in online therapy: a pilot study
PY  - 2021
DO  - 10.5555/tiny.2
AN  - n4
ER  -
"""


def snakemake(workdir: Path, *args: str) -> str:
    cmd = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"),
           "--directory", str(workdir), "--cores", "2", *args]  # fmt: skip
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=900, check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-6000:]
    return result.stdout + result.stderr


def add_search(
    workdir: Path, search_id: str, database: str, date: str, text: str, round_: int
) -> None:
    """A new search of round ``round_`` in config with its export ``inputs/<search_id>.ris``."""
    rel = f"inputs/{search_id}.ris"
    (workdir / rel).write_text(text)
    path = workdir / "config/config.yaml"
    config = yaml.safe_load(path.read_text())
    config["searches"].append(
        {"id": search_id, "database": database, "date": date, "round": round_, "files": [rel]}
    )
    path.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True))


def add_round(workdir: Path) -> None:
    add_search(
        workdir, "scopus_r2", "Scopus", "2025-06-01", ROUND2.replace("ER  -\n", "ER  - \n"), 2
    )


ROUND3 = """TY  - JOUR
AU  - Novak, Petra
TI  - Rupture resolution training for novice therapists: a scoping study
PY  - 2024
JO  - J Example Psychother
AN  - m1
ER  -

TY  - JOUR
AU  - Ito, Kenji
TI  - Therapist responsiveness after alliance ruptures: a qualitative study
PY  - 2025
JO  - Journal of Example Psychotherapy
AB  - Ruptures were repaired through metacommunication in most sessions.
AN  - m2
ER  -
"""


def add_round3(workdir: Path) -> None:
    """A third search (a duplicate of round 2's new study, a new study) and changed decisions:
    round 2's new study screened in, and one exclusion turned into an inclusion."""
    add_search(workdir, "pubmed_r3", "PubMed", "2025-09-01", ROUND3, 3)
    sheet = workdir / "inputs/title_abstract.csv"
    text = sheet.read_text().replace(
        "scopus:r4,exclude,group_or_couples,AB,2025-01-10,", "scopus:r4,include,,AB,2025-09-02,"
    )
    sheet.write_text(text + "scopus_r2:n3,include,,AB,2025-09-02,\n")


def tables(results: Path) -> dict[str, pl.DataFrame]:
    return {
        p.relative_to(results).as_posix(): pl.read_parquet(p) for p in results.rglob("*.parquet")
    }


def assert_same_tables(got: Path, want: Path) -> None:
    a, b = tables(got / "results"), tables(want / "results")
    assert sorted(a) == sorted(b)
    differ = [name for name in sorted(a) if not a[name].equals(b[name])]
    assert differ == []


def dedupe_log(workdir: Path) -> str:
    return (workdir / "results/logs/dedupe.log").read_text()


def rank_log(workdir: Path) -> str:
    return (workdir / "results/logs/rank.log").read_text()


def test_updated_in_place_equals_run_from_scratch(tmp_path: Path) -> None:
    updated, scratch = tmp_path / "updated", tmp_path / "scratch"
    for workdir in (updated, scratch):
        shutil.copytree(REPO / "tests/data/tiny_review", workdir)
    snakemake(updated)
    assert "deduplicating from scratch" in dedupe_log(updated)
    assert (updated / "results/02_dedupe/state/meta.json").exists()
    add_round(updated)
    add_round(scratch)
    # nothing awaited screening and one round was searched: nothing was ranked or tokenised
    assert "texts added" not in rank_log(updated)
    snakemake(updated)
    assert "dedupe state: reusing" in dedupe_log(updated)
    # round 2's new study awaits screening: ranked, every text tokenised and kept
    assert "ranking term cache: 1 part(s); 8 texts added" in rank_log(updated)
    snakemake(scratch)
    assert "deduplicating from scratch" in dedupe_log(scratch)
    clusters = pl.read_parquet(scratch / "results/02_dedupe/clusters.parquet")
    study = dict(zip(clusters["record_id"], clusters["study_id"], strict=True))
    assert study["scopus_r2:n1"] == study["scopus:r1"]  # the new round's duplicate is merged
    assert_same_tables(updated, scratch)

    # a third round with changed decisions: still the tables of a run from scratch
    third = tmp_path / "third"
    shutil.copytree(REPO / "tests/data/tiny_review", third)
    for workdir in (updated, third):
        if workdir is third:
            add_round(third)
        add_round3(workdir)
    snakemake(updated)
    assert "dedupe state: reusing" in dedupe_log(updated)
    # the ranking tokenised only the text it had not seen
    assert "ranking term cache: 8 texts' counts" in rank_log(updated)
    assert "ranking term cache: 2 part(s); 1 texts added" in rank_log(updated)
    # round 2 now has a decision: evaluated on the studies known by round 2 (not round 3's)
    assert "living round 2: evaluation fitted" in rank_log(updated)
    assert "living rounds: 1 evaluated anew, 0 reused" in rank_log(updated)  # the phases line
    snakemake(third)
    assert_same_tables(updated, third)
    scratch = third
    # run again with nothing changed: the round's order is the one kept, not fitted again
    snakemake(updated, "--forcerun", "rank", "--until", "rank")
    assert "living round 2: evaluation reused from the last run" in rank_log(updated)
    phases = next(ln for ln in rank_log(updated).splitlines() if "rank phases, wall s:" in ln)
    assert "living rounds: 0 evaluated anew, 1 reused" in phases
    assert "TF-IDF features" in phases  # built from the term cache, and timed
    assert_same_tables(updated, scratch)

    # a damaged state: named in the log, not reused, the same tables
    (updated / "results/02_dedupe/state/keys.arrow").write_bytes(b"not an arrow file")
    snakemake(updated, "--forcerun", "dedupe", "--until", "dedupe")
    assert "not reused, unreadable" in dedupe_log(updated)
    assert_same_tables(updated, scratch)

    # a damaged ranking term cache: named in the log, not reused, the same tables
    for part in (updated / "results/cache/screen/terms").iterdir():
        if part.name != "0" * 16:
            part.write_bytes(b"not parquet")
    snakemake(updated, "--forcerun", "rank", "--until", "rank")
    assert "ranking term cache: unreadable" in rank_log(updated)
    assert_same_tables(updated, scratch)
