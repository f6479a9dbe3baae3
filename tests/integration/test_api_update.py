"""A living update that fetches its own evidence: round 1 from files, round 2 from an API search.

Round 1 is the tiny review plus a hand search holding one record of an OpenAlex work, which the
reviewer excludes; ``update`` freezes version 1. Then the config gains an OpenAlex API search
and ``update`` runs again against the recorded OpenAlex responses replayed from a server on
127.0.0.1: it fetches round 2 (window from the round-1 date minus the overlap), imports the two
works, dedupe merges the one the hand search already had (it inherits the exclusion: carry-over),
the other is a new study waiting in the reviewer's worklist, so the update stops with exit 3.
The manifest and the report's PRISMA-S appendix name the requests; no credential is stored.
"""

from __future__ import annotations

import html
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import yaml

from helpers import require_shared
from scoping_review import versions
from support.replay import Replay, Reply, Seen, cassette

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.integration
EMAIL = "living-team@example.org"
KNOWN = "W3046863325"  # in the round-1 hand search too
NEW = "W3045921891"
HAND = "\n".join(
    [
        "TY  - JOUR",
        "AU  - Nishioka, Chifumi",
        "AU  - Färber, Michael",
        "TI  - Trends of Publications' Citations and Altmetrics Based on Open Access Types",
        "PY  - 2020",
        "DO  - 10.1145/3383583.3398584",
        "AN  - h1",
        "ER  - ",
        "",
    ]
)


def update(workdir: Path) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "scoping_review.cli", "update", "--directory", str(workdir)]
    env = {**os.environ, "SCOPING_REVIEW_CONTACT_EMAIL": EMAIL}
    return subprocess.run(cmd, capture_output=True, text=True, timeout=900, check=False, env=env)


@pytest.fixture(scope="module")
def living(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    recorded = cassette(
        require_shared("fixtures/api/openalex/openalexPro_cursor_paging_and_400s.vcr.yml")
    )
    workdir = tmp_path_factory.mktemp("api-living")
    shutil.copytree(REPO / "tests/data/tiny_review", workdir, dirs_exist_ok=True)
    (workdir / "inputs/hand.ris").write_text(HAND, encoding="utf-8")
    sheet = workdir / "inputs/title_abstract.csv"
    sheet.write_text(
        sheet.read_text(encoding="utf-8") + "hand:h1,exclude,not_rupture_repair,AB,2025-01-10,\n",
        encoding="utf-8",
    )
    config_path = workdir / "config/config.yaml"
    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    config["searches"].append(
        {
            "id": "hand",
            "database": "Hand search",
            "date": "2025-01-06",
            "files": ["inputs/hand.ris"],
        }
    )
    config_path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    first = update(workdir)
    assert first.returncode == versions.EXIT_OK, first.stdout[-2000:] + first.stderr[-4000:]

    def answer(seen: Seen) -> Reply:
        return Reply.of(recorded[2] if seen.one("cursor") == "*" else recorded[4])

    replay = Replay(answer)
    with replay.running():
        config["searches"].append(
            {
                "id": "oa",
                "database": "OpenAlex",
                "api": "openalex",
                "query": "",
                "params": {"filter": f"openalex:{NEW}|{KNOWN}"},
            }
        )
        config["api"] = {"base_urls": {"openalex": replay.url}, "backoff_s": 0.05}
        config_path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
        second = update(workdir)
    return {"workdir": workdir, "second": second, "seen": replay.seen, "url": replay.url}


def test_round_two_is_fetched_with_the_window_and_stops_for_screening(
    living: dict[str, Any],
) -> None:
    second, workdir = living["second"], living["workdir"]
    assert second.returncode == versions.EXIT_PENDING, second.stdout[-3000:] + second.stderr[-3000:]
    assert "search 'oa' (openalex): round 2: 2 records of 2 reported in 2 page(s)" in second.stdout
    first = living["seen"][0]
    # the previous round ran on 2025-01-06 (the newest round-1 search date), minus 7 days
    assert first.one("filter") == f"openalex:{NEW}|{KNOWN},from_created_date:2024-12-30"
    assert first.one("mailto") == EMAIL and len(living["seen"]) == 2
    for path in workdir.rglob("*"):
        if path.is_file() and ".snakemake" not in path.parts:
            assert EMAIL.encode() not in path.read_bytes(), path


def test_new_records_flow_to_dedupe_carryover_and_worklists(living: dict[str, Any]) -> None:
    workdir = living["workdir"]
    results = workdir / "results"
    records = pl.read_parquet(results / "01_import/records.parquet")
    api_records = records.filter(pl.col("source_id") == "oa-r002").sort("record_id")
    assert api_records["record_id"].to_list() == [f"oa-r002:{NEW}", f"oa-r002:{KNOWN}"]
    assert api_records["abstract"].null_count() == 0  # rebuilt from abstract_inverted_index
    clusters = pl.read_parquet(results / "02_dedupe/clusters.parquet")
    study = dict(zip(clusters["record_id"], clusters["study_id"], strict=True))
    assert study[f"oa-r002:{KNOWN}"] == study["hand:h1"]
    carry = pl.read_parquet(results / "03_screen/carryover.parquet")
    assert f"oa-r002:{KNOWN}" in carry["record_id"].to_list()
    status = pl.read_parquet(results / "03_screen/status.parquet")
    pending = status.filter(pl.col("pending"))["study_id"].to_list()
    assert pending == [study[f"oa-r002:{NEW}"]]
    worklist = "\n".join(
        p.read_text(encoding="utf-8") for p in (results / "03_screen/worklists").rglob("*.csv")
    )
    assert study[f"oa-r002:{NEW}"] in worklist and study["hand:h1"] not in worklist
    ledger = pl.read_parquet(results / "ledger/counts.parquet")
    values = dict(zip(ledger["count_id"], ledger["ids"], strict=True))
    assert sorted(values["update.database_results"]) == sorted(
        [f"oa-r002:{KNOWN}", f"oa-r002:{NEW}"]
    )
    assert sorted(values["database_results.oa-r002"]) == sorted(
        [f"oa-r002:{KNOWN}", f"oa-r002:{NEW}"]
    )
    assert "OpenAlex" in values["search_databases"]


def test_manifest_and_prisma_s_appendix_name_the_requests(living: dict[str, Any]) -> None:
    workdir = living["workdir"]
    folder = workdir / "api_searches/oa/round-002"
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["round"] == 2 and manifest["window"]["from"] == "2024-12-30"
    assert manifest["window"]["previous_run"] == "2025-01-06"
    assert manifest["reported_total"] == manifest["retrieved"] == 2
    assert manifest["credentials"] == ["mailto"]
    urls = [r["url"] for r in manifest["requests"]]
    assert len(urls) == 2 and all(u.startswith(living["url"] + "/works?") for u in urls)
    assert all("mailto" not in u for u in urls)
    page = (workdir / "results/07_report/index.html").read_text(encoding="utf-8")
    appendix = page.split('id="methods-search-appendix"', 1)[1].split("</table>", 1)[0]
    for url in urls:
        assert html.escape(url, quote=False) in appendix or html.escape(url) in appendix
    row = appendix.split('data-search="oa-r002"', 1)[1].split("</tr>", 1)[0]
    assert "automatic: API search re-run by the tool" in row
    assert "OpenAlex API (/works)" in row and "api_searches/oa/round-002/manifest.json" in row
    assert 'data-count-id="database_results.oa-r002"' in row
    hand = appendix.split('data-search="hand"', 1)[1].split("</tr>", 1)[0]
    assert "by hand: export file saved from the database" in hand
    # the PRISMA flow counts the API search like any database
    assert 'data-count-id="database_results.oa-r002"' in page.split('id="methods-sources"', 1)[1]


def test_a_config_that_changes_a_frozen_round_is_refused_before_any_fetch(
    living: dict[str, Any], tmp_path: Path
) -> None:
    """The refusal came after the fetch: the refused attempt stored round 2 for good. Here a
    file search without a round (round 1, frozen) is added: nothing is fetched (the API's
    address answers nothing, and no request is tried), no round folder is written."""
    workdir = tmp_path / "review"
    shutil.copytree(living["workdir"], workdir, ignore=shutil.ignore_patterns(".snakemake"))
    shutil.rmtree(workdir / "api_searches/oa/round-002")
    config_path = workdir / "config/config.yaml"
    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    config["searches"].append(
        {"id": "late", "database": "Hand search", "date": "2025-01-07",
         "files": ["inputs/hand.ris"]}
    )  # fmt: skip
    config["api"]["base_urls"] = {"openalex": "http://127.0.0.1:9"}  # nothing listens there
    config_path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    refused = update(workdir)
    assert refused.returncode == versions.EXIT_ERROR, refused.stdout + refused.stderr
    assert "the config changes rounds a frozen version holds; nothing was run" in refused.stderr
    assert "search 'late'" in refused.stderr
    assert "round 2" not in refused.stdout + refused.stderr  # no fetch was tried
    assert not (workdir / "api_searches/oa/round-002").exists()
