"""A living update of the bundled example: version 1, then a second search round.

Round 2 brings three new studies, two records of studies the first version included and one
record of a study it excluded. The update must ask humans only about the three new studies,
keep every earlier decision and study ID, report ``previous_studies`` = 36 and list exactly the
new items under "changes since version 1"; once they are screened, version 2 is frozen.
"""

from __future__ import annotations

import hashlib
import html as html_lib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from scoping_review import ledger as ledger_mod
from scoping_review import update as update_mod
from scoping_review import versions

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.integration
ROUND2 = "psycinfo_r2"
NEW = [  # (accession, title, first author, year, doi)
    ("2025-11111-001", "Rupture markers in online video psychotherapy sessions", "Alvarez, M.",
     2025, "10.5555/rr-update.0001"),
    ("2025-11111-002", "Repairing alliance ruptures after therapist self-disclosure", "Okafor, N.",
     2025, "10.5555/rr-update.0002"),
    ("2025-11111-003", "A scoping study of rupture resolution training for novice therapists",
     "Lindqvist, E.", 2024, "10.5555/rr-update.0003"),
]  # fmt: skip


def update(workdir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "scoping_review.cli", "update", "--directory", str(workdir), *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=900, check=False)


def ris_record(native: str, title: str, authors: list[str], year: int, doi: str | None,
               journal: str | None) -> str:  # fmt: skip
    lines = ["TY  - JOUR", *[f"AU  - {a}" for a in authors], f"TI  - {title}"]
    lines += [f"T2  - {journal}"] if journal else []
    lines += [f"PY  - {year}", f"AN  - {native}"]
    lines += [f"DO  - {doi}"] if doi else []
    return "\n".join([*lines, "DB  - APA PsycInfo", "ER  - ", ""])


def ledger_row(workdir: Path, count_id: str) -> dict[str, Any]:
    frame = pl.read_parquet(workdir / "results/ledger/counts.parquet")
    hit = frame.filter(pl.col("count_id") == count_id)
    assert hit.height == 1, f"no count {count_id}"
    return hit.row(0, named=True)


def section_items(page: str, count_id: str) -> list[str]:
    """The item IDs the report's changes section lists under one count."""
    section = page.split('<section id="changes"', 1)[1].split("</section>", 1)[0]
    block = section.split(f'data-change="{count_id}"', 1)[1].split('<li class="change"', 1)[0]
    return [
        html_lib.unescape(m) for m in re.findall(r'class="code change-item"[^>]*>([^<]*)<', block)
    ]


@pytest.fixture(scope="module")
def living(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    workdir = tmp_path_factory.mktemp("living")
    shutil.copytree(REPO / "config", workdir / "config")
    shutil.copytree(REPO / "resources/example", workdir / "resources/example")
    first = update(workdir)
    assert first.returncode == versions.EXIT_OK, first.stdout[-2000:] + first.stderr[-4000:]
    v1 = workdir / "results/versions/v001"
    status = pl.read_parquet(v1 / "status.parquet")
    studies = pl.read_parquet(v1 / "studies.parquet").join(status, on="study_id")
    with_doi = studies.filter(pl.col("doi").is_not_null() & pl.col("title").is_not_null())
    dup_included = with_doi.filter(pl.col("final") == "included").sort("study_id").head(2)
    dup_excluded = (
        with_doi.filter(pl.col("final") == "excluded_title_abstract").sort("study_id").head(1)
    )
    text = []
    for i, row in enumerate([*dup_included.iter_rows(named=True), *dup_excluded.iter_rows(named=True)]):  # fmt: skip
        text.append(ris_record(f"2025-22222-00{i}", row["title"], row["authors"], row["year"],
                               row["doi"], row["journal"]))  # fmt: skip
    for native, title, author, year, doi in NEW:
        text.append(ris_record(native, title, [author], year, doi, "Journal of Update Studies"))
    export = workdir / "resources/example/searches/psycinfo_2025.ris"
    export.write_text("\n".join(text), encoding="utf-8")
    config = workdir / "config/config.yaml"
    config.write_text(
        config.read_text(encoding="utf-8").replace(
            "\ndedupe:",
            f"""  - id: {ROUND2}
    database: PsycINFO
    platform: EBSCOhost
    date: "2025-04-02"
    round: 2
    strategy: 'same as round 1'
    files: [resources/example/searches/psycinfo_2025.ris]

dedupe:""",
            1,
        ),
        encoding="utf-8",
    )
    pubmed_import = workdir / "results/01_import/by_search/pubmed/records.parquet"
    mtime = pubmed_import.stat().st_mtime_ns
    second = update(workdir)
    return {
        "workdir": workdir,
        "second": second,
        "v1": v1,
        "dup_included": dup_included["study_id"].to_list(),
        "dup_excluded": dup_excluded["study_id"].to_list(),
        "dup_records": [f"{ROUND2}:2025-22222-00{i}" for i in range(3)],
        "new_records": [f"{ROUND2}:{n[0]}" for n in NEW],
        "pubmed_unchanged": pubmed_import.stat().st_mtime_ns == mtime,
    }


def test_second_round_stops_for_screening_of_only_the_new_studies(living: dict[str, Any]) -> None:
    workdir, second = living["workdir"], living["second"]
    assert second.returncode == versions.EXIT_PENDING, second.stderr[-4000:]
    assert "await screening" in second.stderr
    # the terminal says what the round changed, from the ledger's change counts
    assert (
        "update: round 2 against version 1: 6 new records, 3 duplicates of known studies, "
        "3 new studies, "
        "0 newly included, 0 newly excluded, 3 awaiting screening"
    ) in second.stdout.splitlines()
    assert not (workdir / "results/versions/v002").exists()
    assert living["pubmed_unchanged"], "an untouched search was imported again"
    clusters = pl.read_parquet(workdir / "results/02_dedupe/clusters.parquet")
    status = pl.read_parquet(workdir / "results/03_screen/status.parquet")
    new_studies = clusters.filter(pl.col("record_id").is_in(living["new_records"]))["study_id"]
    pending = status.filter(pl.col("pending"))["study_id"]
    assert sorted(pending) == sorted(new_studies) and len(pending) == 3


def test_earlier_study_ids_and_decisions_are_unchanged(living: dict[str, Any]) -> None:
    workdir, v1 = living["workdir"], living["v1"]
    old_clusters = pl.read_parquet(v1 / "clusters.parquet")
    clusters = pl.read_parquet(workdir / "results/02_dedupe/clusters.parquet")
    joined = old_clusters.join(clusters, on="record_id", suffix="_now")
    assert joined.height == old_clusters.height
    assert (joined["study_id"] == joined["study_id_now"]).all()
    dups = clusters.filter(pl.col("record_id").is_in(living["dup_records"])).sort("record_id")
    assert dups["study_id"].to_list() == living["dup_included"] + living["dup_excluded"]
    old_status = pl.read_parquet(v1 / "status.parquet")
    status = pl.read_parquet(workdir / "results/03_screen/status.parquet")
    assert status.join(old_status.select("study_id"), on="study_id").equals(old_status)
    decisions = pl.read_parquet(workdir / "results/03_screen/decisions.parquet")
    assert decisions.equals(pl.read_parquet(v1 / "decisions.parquet"))


def test_ledger_counts_the_previous_version_and_the_changes(living: dict[str, Any]) -> None:
    workdir, v1 = living["workdir"], living["v1"]
    previous = ledger_row(workdir, "previous_studies")
    included_v1 = pl.read_parquet(v1 / "included.parquet")["study_id"].to_list()
    assert previous["value"] == 36 and previous["ids"] == sorted(included_v1)
    assert ledger_row(workdir, "total_studies")["value"] == 36
    assert ledger_row(workdir, "changes.previous_version")["value"] == 1
    expect = {
        "changes.records": sorted(living["new_records"] + living["dup_records"]),
        f"changes.records.{ROUND2}": sorted(living["new_records"] + living["dup_records"]),
        "changes.duplicates_of_known": sorted(living["dup_records"]),
        "changes.duplicates_of_included": sorted(living["dup_records"][:2]),
        "changes.included": [],
        "changes.excluded": [],
        "changes.status_changed": [],
        "changes.records_removed": [],
        "changes.studies_removed": [],
    }
    for count_id, ids in expect.items():
        assert ledger_row(workdir, count_id)["ids"] == ids, count_id
    assert ledger_row(workdir, "changes.pending")["value"] == 3
    assert (
        ledger_row(workdir, "changes.new_studies")["ids"]
        == ledger_row(workdir, "changes.pending")["ids"]
    )
    changed = ledger_row(workdir, "changes.counts_changed")["ids"]
    assert "database_results" in changed and "new_studies" not in changed
    old = ledger_row(workdir, "changes.previous.database_results")["value"]
    assert ledger_row(workdir, "database_results")["value"] == old + 6
    frame = pl.read_parquet(workdir / "results/ledger/counts.parquet")
    values = dict(zip(frame["count_id"], frame["value"], strict=True))
    assert ledger_mod.check_identities(values) == []
    # the updated-review diagram's arm: only what round 2 brought
    round2 = sorted(living["new_records"] + living["dup_records"])
    assert ledger_row(workdir, "update.database_results")["ids"] == round2
    assert ledger_row(workdir, f"update.database_results.{ROUND2}")["ids"] == round2
    assert ledger_row(workdir, "update.duplicates")["ids"] == sorted(living["dup_records"])
    assert ledger_row(workdir, "update.excluded_other")["value"] == 0
    # the new records await screening: pending, not screened
    assert ledger_row(workdir, "update.records_screened")["ids"] == []
    assert ledger_row(workdir, "update.records_pending")["ids"] == sorted(living["new_records"])
    assert ledger_row(workdir, "update.new_studies")["value"] == 0
    assert ledger_row(workdir, "update.reconsidered_studies")["value"] == 0
    assert values["database_results"] > values["update.database_results"]  # cumulative kept
    assert any(name.startswith("update: ") for name, _, _ in ledger_mod.UPDATE_IDENTITIES)


def test_report_lists_exactly_the_new_items(living: dict[str, Any]) -> None:
    workdir = living["workdir"]
    page = (workdir / "results/07_report/index.html").read_text(encoding="utf-8")
    assert 'id="changes"' in page and 'data-count-id="changes.previous_version"' in page
    assert section_items(page, "changes.records") == sorted(
        living["new_records"] + living["dup_records"]
    )
    assert section_items(page, "changes.duplicates_of_known") == sorted(living["dup_records"])
    assert (
        section_items(page, "changes.new_studies")
        == ledger_row(workdir, "changes.new_studies")["ids"]
    )
    assert section_items(page, "changes.included") == []
    assert "Rupture markers in online video psychotherapy sessions" in page
    methods = page.split('id="methods"', 1)[1].split("</section>", 1)[0]
    assert 'round <span data-literal="search round">2</span>' in methods
    assert '<span data-literal="search date">2025-04-02</span>' in methods


def test_screening_the_new_studies_freezes_version_2(living: dict[str, Any]) -> None:
    workdir = living["workdir"]
    # the first new study is included (title/abstract and full text), the other two excluded
    sheet = workdir / "resources/example/screening/title_abstract.csv"
    kept, *dropped = living["new_records"]
    rows = f"{kept},include,,SAJ,2025-04-10,\n" + "".join(
        f"{rid},exclude,not_rupture_repair,SAJ,2025-04-10,\n" for rid in dropped
    )
    sheet.write_text(sheet.read_text(encoding="utf-8") + rows, encoding="utf-8")
    full_text = workdir / "resources/example/screening/full_text.csv"
    full_text.write_text(
        full_text.read_text(encoding="utf-8") + f"{kept},include,,SAJ,2025-04-12,\n",
        encoding="utf-8",
    )
    third = update(workdir)
    assert third.returncode == versions.EXIT_OK, third.stderr[-4000:]
    v2 = workdir / "results/versions/v002"
    info = json.loads((v2 / "version.json").read_text())
    assert info["number"] == 2 and info["max_round"] == 2 and info["previous"] == 1
    assert info["included_studies"] == 37
    assert ledger_row(workdir, "changes.excluded")["value"] == 2
    assert ledger_row(workdir, "previous_studies")["value"] == 36
    # the round-2 diagram: records of the update, its new study, previous + new = total
    clusters = pl.read_parquet(workdir / "results/02_dedupe/clusters.parquet")
    new_study = clusters.filter(pl.col("record_id") == kept)["study_id"].to_list()
    assert ledger_row(workdir, "changes.included")["ids"] == new_study
    expect = {
        "update.database_results": 6,
        "update.duplicates": 3,
        "update.excluded_automatic": 0,
        "update.excluded_other": 0,
        "update.records_screened": 3,
        "update.records_excluded": 2,
        "update.records_pending": 0,
        "update.dbr_sought_reports": 1,
        "update.dbr_notretrieved_reports": 0,
        "update.dbr_assessed": 1,
        "update.dbr_excluded": 0,
        "update.new_reports": 1,
        "update.new_studies": 1,
        "update.reconsidered_studies": 0,
        "total_studies": 37,
        "new_studies": 37,  # cumulative: the whole evidence base
    }
    for count_id, value in expect.items():
        assert ledger_row(workdir, count_id)["value"] == value, count_id
    assert ledger_row(workdir, "update.new_studies")["ids"] == new_study
    assert ledger_row(workdir, "update.records_excluded")["ids"] == sorted(dropped)
    total = ledger_row(workdir, "total_studies")["ids"]
    assert total == sorted(ledger_row(workdir, "previous_studies")["ids"] + new_study)
    frame = pl.read_parquet(workdir / "results/ledger/counts.parquet")
    assert (
        ledger_mod.check_identities(dict(zip(frame["count_id"], frame["value"], strict=True))) == []
    )
    page = (workdir / "results/07_report/index.html").read_text(encoding="utf-8")
    for box, count_id in (("identified", "update.database_results"), ("removed",
                          "update.duplicates"), ("included", "update.new_studies"),
                          ("previous", "previous_studies"), ("total", "total_studies")):  # fmt: skip
        drawn = page.split(f'id="flow-{box}"', 1)[1].split("</div>", 1)[0]
        assert f'data-count-id="{count_id}"' in drawn, box
    included_box = page.split('id="flow-included"', 1)[1].split("</div>", 1)[0]
    assert re.search(r'data-count-id="update\.new_studies"[^>]*>1<', included_box)
    crate = json.loads((v2 / "ro-crate-metadata.json").read_text())
    graph = {e["@id"]: e for e in crate["@graph"]}
    assert graph["#run"]["@type"] == "CreateAction"
    assert {"@id": "#input/resources/example/searches/psycinfo_2025.ris"} in graph["#run"]["object"]
    assert graph["counts.parquet"]["sha256"] == info["ledger_sha256"]
    assert graph["#package/snakemake"]["version"]
    # a re-run with no new inputs does nothing and freezes nothing
    fourth = update(workdir)
    assert fourth.returncode == versions.EXIT_OK
    assert "Nothing to be done" in fourth.stdout + fourth.stderr
    assert "nothing changed since version 2 was frozen" in fourth.stdout
    assert not (workdir / "results/versions/v003").exists()
    # a release of the tool that words a count anew changes the ledger's bytes, not its
    # numbers: no version is frozen for it, and the terminal says why
    counts = workdir / "results/ledger/counts.parquet"
    original = counts.read_bytes()
    frame = pl.read_parquet(counts)
    reworded = pl.when(pl.col("count_id") == "total_studies").then(pl.lit("Studies, worded anew"))
    frame.with_columns(label=reworded.otherwise(pl.col("label"))).write_parquet(counts)
    fifth = update(workdir)
    assert fifth.returncode == versions.EXIT_OK, fifth.stderr[-4000:]
    assert (
        "update: nothing changed since version 2 was frozen (the labels of 1 count are worded "
        "anew by this release of the tool; the version keeps its own report)"
    ) in fifth.stdout.splitlines()
    assert not (workdir / "results/versions/v003").exists()
    counts.write_bytes(original)  # as the workflow wrote it, for the tests after this one


def test_changes_to_frozen_rounds_are_refused_unless_reopened(
    living: dict[str, Any], tmp_path: Path
) -> None:
    """After version 2: a search with no `round:` (round 1), a file added to a frozen search,
    a frozen export replaced: each is named and nothing runs; --reopen-rounds runs it."""
    source = living["workdir"]
    assert (source / "results/versions/v002").is_dir()  # the test above froze it
    workdir = tmp_path / "review"
    shutil.copytree(source, workdir, symlinks=True)
    config = workdir / "config/config.yaml"
    original = config.read_text(encoding="utf-8")
    extra = workdir / "resources/example/searches/embase.ris"
    extra.write_text(ris_record("E1", "A new rupture study", ["Ng, A."], 2025, None, None))
    ledger_file = workdir / "results/ledger/counts.parquet"
    before = ledger_file.stat().st_mtime_ns

    def refused(expected: str) -> None:
        result = update(workdir)
        assert result.returncode == versions.EXIT_ERROR, result.stdout + result.stderr
        lines = result.stderr.splitlines()
        assert lines[0] == (
            "update: the config changes rounds a frozen version holds; nothing was run:"
        )
        assert f"  {expected}" in lines, lines
        assert lines[-1].startswith("what to do: a frozen version's rounds are reported as")
        assert "--reopen-rounds" in lines[-1]
        assert ledger_file.stat().st_mtime_ns == before  # nothing ran
        assert not (workdir / "results/versions/v003").exists()

    added = """  - id: embase
    database: Embase
    date: "2025-06-01"
    strategy: 'same as round 1'
    files: [resources/example/searches/embase.ris]

dedupe:"""
    config.write_text(original.replace("\ndedupe:", "\n" + added, 1), encoding="utf-8")
    refused(
        "search 'embase' is in round 1 (it has no `round:`, so round 1), which version 2 "
        "froze with the searches pubmed, psycinfo, wos: a search added since belongs to a new "
        "round; give it `round: 3`"
    )
    # `run` freezes nothing, refuses nothing, and says what `update` would refuse
    dry = subprocess.run(
        [sys.executable, "-m", "scoping_review.cli", "run", "--directory", str(workdir), "--", "-n"],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert dry.returncode == 0, dry.stderr[-2000:]
    assert (
        "note: search 'embase' is in round 1 (it has no `round:`, so round 1), which version 2 "
        "froze with the searches pubmed, psycinfo, wos: a search added since belongs to a new "
        "round; give it `round: 3` (`update` refuses this without --reopen-rounds)"
    ) in dry.stderr.splitlines()
    grown = original.replace(
        "files: [resources/example/searches/psycinfo_2025.ris]",
        "files: [resources/example/searches/psycinfo_2025.ris, "
        "resources/example/searches/embase.ris]",
    )
    assert grown != original
    config.write_text(grown, encoding="utf-8")
    refused(
        f"search '{ROUND2}' (round 2, frozen in version 2) now lists "
        "resources/example/searches/embase.ris, which version 2 did not import: put new "
        "results in a new search with `round: 3`"
    )
    config.write_text(original, encoding="utf-8")
    export = workdir / "resources/example/searches/psycinfo_2025.ris"
    kept = export.read_bytes()
    export.write_bytes(kept + extra.read_bytes())
    then, now = (hashlib.sha256(b).hexdigest()[:12] for b in (kept, export.read_bytes()))
    refused(
        f"resources/example/searches/psycinfo_2025.ris of search '{ROUND2}' (round 2, frozen in "
        f"version 2) has changed since version 2 imported it (SHA-256 {then}… then, {now}… "
        "now): put back the file version 2 imported, and put new results in a new search with "
        "`round: 3`"
    )
    # reopened on purpose: said on the terminal (what changed, not what to do), and run (the
    # new record awaits screening)
    reopened = update(workdir, "--reopen-rounds")
    assert reopened.returncode == versions.EXIT_PENDING, reopened.stdout + reopened.stderr
    assert (
        f"update: reopened: resources/example/searches/psycinfo_2025.ris of search '{ROUND2}' "
        f"(round 2, frozen in version 2) has changed since version 2 imported it (SHA-256 "
        f"{then}… then, {now}… now)"
    ) in reopened.stdout.splitlines(), reopened.stdout
    assert ledger_file.stat().st_mtime_ns != before
    # put back as frozen: nothing to refuse, and the review is version 2 again
    export.write_bytes(kept)
    again = update(workdir)
    assert again.returncode == versions.EXIT_OK, again.stdout + again.stderr
    assert "nothing changed since version 2" in again.stdout
    # the export moved to another folder (the same bytes): a version with the same counts is
    # frozen, and the update says which file moved
    moved = workdir / "resources/example/searches/moved/psycinfo_2025.ris"
    moved.parent.mkdir()
    export.rename(moved)
    config.write_text(
        original.replace("searches/psycinfo_2025.ris]", "searches/moved/psycinfo_2025.ris]"),
        encoding="utf-8",
    )
    after = update(workdir)
    assert after.returncode == versions.EXIT_OK, after.stdout + after.stderr
    assert "update: froze version 3 (round 2)" in after.stdout
    assert (
        "update: every count is the same as in version 2; inputs moved or renamed: "
        "resources/example/searches/psycinfo_2025.ris -> "
        "resources/example/searches/moved/psycinfo_2025.ris"
    ) in after.stdout.splitlines(), after.stdout


def test_a_second_update_is_refused_while_one_runs(tmp_path: Path) -> None:
    shutil.copytree(REPO / "tests/data/tiny_review", tmp_path, dirs_exist_ok=True)
    with update_mod.update_lock(tmp_path / "results"):
        busy = update(tmp_path)
    assert busy.returncode == versions.EXIT_LOCKED
    assert "another scoping-review run or update is writing" in busy.stderr
    assert not (tmp_path / "results/01_import").exists()
