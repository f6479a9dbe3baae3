"""API searches end to end against recorded responses replayed from a local HTTP server.

The responses are real recordings from ``../shared/fixtures/api/`` (see each folder's
SOURCE.txt), served byte for byte by :mod:`replay` on 127.0.0.1; the client's base URLs point
there. Where a test needs an answer no public project recorded (a 429, a 500, a delay, a cut
body) it says so: those are the recorded bodies with a status, header, delay or cut added.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import require_shared
from scoping_review import cli, importing, update, versions
from scoping_review.connectors import apis, fetch, formats, rounds
from scoping_review.connectors.client import Client, announced_interval
from support.replay import Replay, Reply, Seen, cassette

NOW = datetime.datetime(2026, 3, 15, 9, 30, tzinfo=datetime.UTC)
KEY = "secret-key-123"
EMAIL = "team@example.org"
ENV = {apis.ENV_NCBI_KEY: KEY, apis.ENV_OPENALEX_KEY: KEY, apis.ENV_EMAIL: EMAIL}


def api_dir(name: str) -> Path:
    return require_shared("fixtures", "api", name)


def config(url: str, search: dict[str, Any], **api: Any) -> dict[str, Any]:
    files = {"id": "files", "database": "PsycINFO", "date": "2026-01-10", "round": 1,
             "files": ["x.ris"]}  # fmt: skip
    base = {"pubmed": url, "openalex": url, "europepmc": url, "crossref": url}
    settings = {"base_urls": base, "backoff_s": 0.05, "timeout_s": 5, "max_retries": 3}
    return {"searches": [files, search], "api": settings | api}


def run(tmp: Path, url: str, search: dict[str, Any], **api: Any) -> fetch.Outcome:
    outcomes = fetch.run_searches(tmp, config(url, search, **api), environ=ENV, now=NOW)
    assert len(outcomes) == 1
    return outcomes[0]


def serve(answer: Callable[[Seen], Reply]) -> Replay:
    return Replay(answer)


def import_round(folder: Path, manifest: dict[str, Any]) -> list[importing.Imported]:
    parts = []
    for req in manifest["requests"]:
        if req["role"] != "page":
            continue
        meta = importing.SourceMeta("s-r002", "X", manifest["run_date"], req["file"])
        data = (folder / req["file"]).read_bytes()
        parts.append(importing.import_export(data, meta, fmt=manifest["format"]))
    return parts


def no_secrets(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            assert KEY.encode() not in path.read_bytes(), path
            assert EMAIL.encode() not in path.read_bytes(), path


# --- OpenAlex: cursor paging, date window, abstracts, credentials ------------------------------


def openalex_paging() -> tuple[list[Any], Callable[[Seen], Reply]]:
    rec = cassette(api_dir("openalex") / "openalexPro_cursor_paging_and_400s.vcr.yml")
    first, last = rec[2], rec[4]

    def answer(seen: Seen) -> Reply:
        return Reply.of(first if seen.one("cursor") == "*" else last)

    return rec, answer


def test_openalex_cursor_paging_window_and_manifest(tmp_path: Path) -> None:
    rec, answer = openalex_paging()
    search = {"id": "oa", "database": "OpenAlex", "api": "openalex", "query": "",
              "params": {"filter": "openalex:W3045921891|W3046863325"}}  # fmt: skip
    with serve(answer).running() as server:
        outcome = run(tmp_path, server.url, search)
    assert outcome.ok, outcome.message
    # round 1 (no version frozen) has no earlier round: the window starts at `since` (unset)
    first, second = server.seen
    assert first.path == "/works" and first.one("cursor") == "*"
    assert first.one("filter") == "openalex:W3045921891|W3046863325"
    assert first.one("api_key") == KEY and first.one("mailto") == EMAIL  # sent ...
    assert (
        second.one("cursor")
        == "IlsnLUluZmluaXR5JywgMCwgJ2h0dHBzOi8vb3BlbmFsZXgub3JnL1czMDQ1OTIxODkxJ10i"
    )
    folder = tmp_path / "api_searches/oa/round-001"
    manifest = json.loads((folder / "manifest.json").read_text())
    no_secrets(tmp_path)  # ... never stored
    assert manifest["reported_total"] == 2 and manifest["retrieved"] == 2
    assert manifest["run_at"] == "2026-03-15T09:30:00+00:00" and manifest["round"] == 1
    assert manifest["window"]["to"] == "2026-03-15" and manifest["window"]["from"] is None
    assert manifest["credentials"] == ["api_key", "mailto"]
    assert [r["file"] for r in manifest["requests"]] == ["page-0001.json", "page-0002.json"]
    for req, recorded in zip(manifest["requests"], [rec[2], rec[4]], strict=True):
        stored = (folder / req["file"]).read_bytes()
        assert stored == recorded.content  # byte for byte what the API sent
        assert req["sha256"] == hashlib.sha256(stored).hexdigest()
        assert "api_key" not in req["url"] and "mailto" not in req["url"]
        assert req["url"].startswith(server.url + "/works?")
    assert [r["records"] for r in manifest["requests"]] == [2, 0]
    parts = import_round(folder, manifest)
    records = parts[0].records
    assert records.height == 2 and sum(p.records.height for p in parts) == 2
    assert rounds.reconcile("oa", manifest, [p.file_row for p in parts]) == []
    by_id = {r["native_id"]: r for r in records.to_dicts()}
    work = by_id["W3046863325"]
    assert work["doi"] == "10.1145/3383583.3398584" and work["year"] == 2020
    assert work["abstract"] and len(work["abstract"].split()) > 20  # rebuilt from the index
    assert work["authors"]


def test_second_round_window_starts_at_the_previous_run_minus_the_overlap(tmp_path: Path) -> None:
    _rec, answer = openalex_paging()
    search = {"id": "oa", "database": "OpenAlex", "api": "openalex", "query": "therapy"}
    (tmp_path / "results/versions/v001").mkdir(parents=True)
    (tmp_path / "results/versions/v001/version.json").write_text(
        json.dumps({"number": 1, "max_round": 1, "ledger_sha256": "x"})
    )
    with serve(answer).running() as server:
        outcome = run(tmp_path, server.url, search, overlap_days=10)
    assert outcome.ok, outcome.message
    assert "round 2" in outcome.message
    # no earlier fetch of this search: the previous round's run date is the file search's
    assert server.seen[0].one("filter") == "from_created_date:2025-12-31"
    assert server.seen[0].one("search") == "therapy"
    manifest = json.loads((tmp_path / "api_searches/oa/round-002/manifest.json").read_text())
    assert manifest["window"] == {"field": "created_date", "from": "2025-12-31",
                                  "to": "2026-03-15", "overlap_days": 10,
                                  "previous_run": "2026-01-10"}  # fmt: skip
    # the round is immutable: a second run fetches nothing
    with serve(answer).running() as again:
        outcome = run(tmp_path, again.url, search, overlap_days=10)
    assert outcome.ok and "already fetched" in outcome.message and again.seen == []


def test_window_follows_this_searchs_previous_fetch() -> None:
    search = {"id": "oa", "api": "openalex"}
    files = [{"id": "f", "date": "2025-01-01", "round": 1}]
    earlier = [{"round": 2, "run_date": "2025-06-01"}, {"round": 3, "run_date": "2025-09-01"}]
    today = datetime.date(2025, 12, 1)
    window, previous = fetch.window_for(search, 4, earlier, files, today, 7)
    assert previous == "2025-09-01" and window.start == datetime.date(2025, 8, 25)
    window, previous = fetch.window_for(search, 3, earlier, files, today, 0)
    assert previous == "2025-06-01" and window.start == datetime.date(2025, 6, 1)
    window, previous = fetch.window_for({**search, "since": "2020-01-01"}, 1, [], files, today, 7)
    assert previous is None and window.start == datetime.date(2020, 1, 1)
    assert fetch.target_round(files, None) == 1 and fetch.target_round(files, 1) == 2


def test_an_interrupted_round_starts_over_and_is_never_imported(tmp_path: Path) -> None:
    _rec, answer = openalex_paging()
    search = {"id": "oa", "database": "OpenAlex", "api": "openalex", "query": ""}
    partial = tmp_path / "api_searches/oa/round-001.partial"
    partial.mkdir(parents=True)
    (partial / "page-0001.json").write_text('{"meta": {"count": 9}, "results": [')
    cfg = config("http://127.0.0.1:9", search)
    assert rounds.effective_searches(cfg, tmp_path) == [cfg["searches"][0]]  # nothing to import
    with serve(answer).running() as server:
        assert run(tmp_path, server.url, search).ok
    assert not partial.exists()
    expanded = rounds.effective_searches(cfg, tmp_path)
    assert [s["id"] for s in expanded] == ["files", "oa-r001"]
    derived = expanded[1]
    assert derived["files"] == ["api_searches/oa/round-001/page-0001.json",
                                "api_searches/oa/round-001/page-0002.json"]  # fmt: skip
    assert derived["format"] == "openalex_json" and derived["date"] == "2026-03-15"
    assert derived["round"] == 1 and derived["api_requests"][0].startswith(server.url)


# --- PubMed: esearch on the history server, efetch pages ---------------------------------------


def pubmed_answer(count: int | None = None) -> Callable[[Seen], Reply]:
    esearch = (api_dir("ncbi") / "biopython_esearch2_usehistory_reldate.xml").read_bytes()
    if count is not None:  # the recorded answer with its Count set (labelled in each test)
        esearch = re.sub(rb"<Count>\d+</Count>", b"<Count>%d</Count>" % count, esearch, count=1)
    efetch = (api_dir("ncbi") / "biopython_efetch_pubmed_xml.xml").read_bytes()

    def answer(seen: Seen) -> Reply:
        if seen.path == "/esearch.fcgi":
            return Reply(200, esearch, {"content-type": "text/xml"})
        return Reply(200, efetch, {"content-type": "text/xml"})

    return answer


def test_pubmed_history_server_paging(tmp_path: Path) -> None:
    # the recorded esearch answer (Count 42249) with Count set to the 2 records of the
    # recorded efetch page, so that the two recordings describe one result set
    search = {"id": "pm", "database": "PubMed", "api": "pubmed", "query": "cancer",
              "since": "2025-10-01"}  # fmt: skip
    with serve(pubmed_answer(2)).running() as server:
        outcome = run(tmp_path, server.url, search)
    assert outcome.ok, outcome.message
    esearch, efetch = server.seen
    assert esearch.one("usehistory") == "y" and esearch.one("term") == "cancer"
    assert esearch.one("datetype") == "edat"
    assert (esearch.one("mindate"), esearch.one("maxdate")) == ("2025/10/01", "2026/03/15")
    assert esearch.one("api_key") == KEY and esearch.one("email") == EMAIL
    assert efetch.path == "/efetch.fcgi" and efetch.one("WebEnv") == "MCID_6927d6e7fee3e90f880ec190"
    assert efetch.one("query_key") == "1" and efetch.one("retstart") == "0"
    folder = tmp_path / "api_searches/pm/round-001"
    manifest = json.loads((folder / "manifest.json").read_text())
    no_secrets(tmp_path)
    assert [r["file"] for r in manifest["requests"]] == ["esearch.xml", "page-0001.xml"]
    assert manifest["reported_total"] == manifest["retrieved"] == 2
    parts = import_round(folder, manifest)
    assert sorted(parts[0].records["pmid"].to_list()) == ["11700088", "11748933"]
    assert rounds.reconcile("pm", manifest, [p.file_row for p in parts]) == []


def test_pubmed_medline_pages(tmp_path: Path) -> None:
    # the recorded esearch answer with Count set to the 1 record of the recorded MEDLINE text
    medline = (api_dir("ncbi") / "biopython_medline_pubmed_result1.txt").read_bytes()
    esearch = pubmed_answer(1)

    def answer(seen: Seen) -> Reply:
        return esearch(seen) if seen.path == "/esearch.fcgi" else Reply(200, medline)

    search = {"id": "pm", "database": "PubMed", "api": "pubmed", "query": "x", "format": "medline"}
    with serve(answer).running() as server:
        outcome = run(tmp_path, server.url, search)
    assert outcome.ok, outcome.message
    efetch = server.seen[1]
    assert (efetch.one("rettype"), efetch.one("retmode")) == ("medline", "text")
    folder = tmp_path / "api_searches/pm/round-001"
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["format"] == "medline" and (folder / "page-0001.txt").read_bytes() == medline
    parts = import_round(folder, manifest)
    assert parts[0].records["pmid"].to_list() == ["12230038"]
    assert rounds.reconcile("pm", manifest, [p.file_row for p in parts]) == []
    cfg = config(server.url, search)
    assert rounds.effective_searches(cfg, tmp_path)[1]["format"] == "medline"


def test_pubmed_error_list_is_one_line_naming_the_search(tmp_path: Path) -> None:
    body = (api_dir("ncbi") / "biopython_esearch8_no_hits_error_list.xml").read_bytes()
    search = {"id": "pm", "database": "PubMed", "api": "pubmed", "query": "abcXYZ"}
    with serve(lambda seen: Reply(200, body)).running() as server:
        outcome = run(tmp_path, server.url, search)
    assert not outcome.ok and "\n" not in outcome.message
    assert outcome.message.startswith("search 'pm' (pubmed): PubMed answered: PhraseNotFound")
    assert "abcXYZ" in outcome.message and len(server.seen) == 1
    assert not (tmp_path / "api_searches/pm/round-001").exists()


def test_pubmed_count_above_what_esearch_serves_is_refused(tmp_path: Path) -> None:
    # the recorded esearch answer as it is: Count 42249, over PubMed's 10,000 per search
    search = {"id": "pm", "database": "PubMed", "api": "pubmed", "query": "cancer"}
    with serve(pubmed_answer()).running() as server:
        outcome = run(tmp_path, server.url, search)
    assert not outcome.ok and "42249 records in the window" in outcome.message
    assert len(server.seen) == 1


# --- Crossref and Europe PMC: cursors, totals, zero hits --------------------------------------


def test_crossref_reused_cursor_then_count_mismatch_fails_naming_the_gap(tmp_path: Path) -> None:
    rec = cassette(api_dir("crossref") / "habanero_members_works_cursor_multipage.vcr.yaml")
    # four recorded pages; then an empty page (made here: Crossref's end of paging)
    empty = json.dumps({"status": "ok", "message-type": "work-list",
                        "message": {"total-results": 138567, "items": [], "next-cursor": "x"}})  # fmt: skip
    served = iter([Reply.of(r) for r in rec] + [Reply(200, empty.encode())])
    search = {"id": "cr", "database": "Crossref", "api": "crossref", "query": "", "page_size": 5}
    with serve(lambda seen: next(served)).running() as server:
        outcome = run(tmp_path, server.url, search)
    assert not outcome.ok
    assert outcome.message == (
        "search 'cr' (crossref): retrieved 20 records but the API reported 138567 "
        "(gap 138547); round 1 not stored"
    )
    cursors = [s.one("cursor") for s in server.seen]
    nxt = json.loads(rec[0].content)["message"]["next-cursor"]
    assert cursors[0] == "*" and cursors[1:] == [nxt] * 4  # the same cursor on every page
    assert server.seen[0].one("rows") == "5"
    assert "until-index-date:2026-03-15" in (server.seen[0].one("filter") or "")
    assert not (tmp_path / "api_searches/cr/round-001").exists()
    assert (tmp_path / "api_searches/cr/round-001.partial/page-0004.json").exists()


def test_crossref_invalid_cursor_404_is_the_apis_message(tmp_path: Path) -> None:
    rec = cassette(api_dir("crossref") / "habanero_invalid_cursor_404.vcr.yaml")[0]
    search = {"id": "cr", "database": "Crossref", "api": "crossref", "query": "widget"}
    with serve(lambda seen: Reply.of(rec)).running() as server:
        outcome = run(tmp_path, server.url, search)
    assert not outcome.ok and len(server.seen) == 1  # a 404 is not retried
    assert "HTTP 404" in outcome.message and "Cursor specified but it is invalid" in outcome.message


def test_europepmc_zero_hits_is_a_complete_empty_round(tmp_path: Path) -> None:
    body = (api_dir("europepmc") / "pyeuropepmc_search_no_results.json").read_bytes()
    search = {"id": "ep", "database": "Europe PMC", "api": "europepmc", "query": "rupture"}
    with serve(lambda seen: Reply(200, body)).running() as server:
        outcome = run(tmp_path, server.url, search)
    assert outcome.ok, outcome.message
    assert server.seen[0].one("query") == "(rupture) AND FIRST_IDATE:[1800-01-01 TO 2026-03-15]"
    assert server.seen[0].one("cursorMark") == "*" and server.seen[0].one("format") == "json"
    folder = tmp_path / "api_searches/ep/round-001"
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["reported_total"] == manifest["retrieved"] == 0
    assert (folder / "page-0001.json").read_bytes() == body


def test_europepmc_more_hits_than_pages_is_a_count_mismatch(tmp_path: Path) -> None:
    page = (api_dir("europepmc") / "pyeuropepmc_search_cancer_lite.json").read_bytes()
    empty = (api_dir("europepmc") / "pyeuropepmc_search_no_results.json").read_bytes()
    served = iter([Reply(200, page), Reply(200, empty)])
    search = {"id": "ep", "database": "Europe PMC", "api": "europepmc", "query": "cancer"}
    with serve(lambda seen: next(served)).running() as server:
        outcome = run(tmp_path, server.url, search)
    assert not outcome.ok and "(gap 5059014)" in outcome.message
    assert server.seen[1].one("cursorMark") == "AoIIP4ZawSg1MzEyODI1MA=="


# --- faults: 429 with Retry-After, 500, timeouts, cut and truncated bodies, API errors --------


def faulty(first: list[Reply]) -> tuple[Callable[[Seen], Reply], list[Any]]:
    """Answers ``first`` in turn, then the recorded OpenAlex paging."""
    rec, paging = openalex_paging()
    queue = list(first)

    def answer(seen: Seen) -> Reply:
        return queue.pop(0) if queue else paging(seen)

    return answer, rec


OA = {"id": "oa", "database": "OpenAlex", "api": "openalex", "query": ""}


def test_429_with_retry_after_is_honoured(tmp_path: Path) -> None:
    # synthetic: no 429 was ever recorded; the body is NCBI's as quoted in public issues
    body = b'{"error":"API rate limit exceeded","count":"11"}'
    answer, _ = faulty([Reply(429, body, {"Retry-After": "1"})])
    with serve(answer).running() as server:
        outcome = run(tmp_path, server.url, OA, backoff_s=0)
    assert outcome.ok, outcome.message
    assert len(server.seen) == 3
    assert server.seen[1].at - server.seen[0].at >= 0.95  # waited as the server asked
    manifest = json.loads((tmp_path / "api_searches/oa/round-001/manifest.json").read_text())
    assert manifest["requests"][0]["retries"] == 1


def test_500_then_success_backs_off_and_retries(tmp_path: Path) -> None:
    answer, _ = faulty([Reply(500, b"Internal Server Error"), Reply(503, b"busy")])
    with serve(answer).running() as server:
        outcome = run(tmp_path, server.url, OA, backoff_s=0.2)
    assert outcome.ok, outcome.message
    assert len(server.seen) == 4
    gaps = [server.seen[i + 1].at - server.seen[i].at for i in range(2)]
    assert gaps[0] >= 0.2 and gaps[1] >= 0.4  # exponential: 0.2 s then 0.4 s (+ jitter)


def test_retries_are_bounded(tmp_path: Path) -> None:
    with serve(lambda seen: Reply(500, b'{"error": "down"}')).running() as server:
        outcome = run(tmp_path, server.url, OA, max_retries=2, backoff_s=0.01)
    assert not outcome.ok and len(server.seen) == 3
    assert outcome.message.startswith("search 'oa' (openalex): HTTP 500 for ")
    assert "down" in outcome.message


def test_a_timeout_is_retried(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    rec, _paging = openalex_paging()
    slow = Reply.of(rec[2], delay_s=1.5)
    answer, _ = faulty([slow])
    with caplog.at_level("DEBUG"), serve(answer).running() as server:
        outcome = run(tmp_path, server.url, OA, timeout_s=0.5, backoff_s=0.01)
    assert outcome.ok, outcome.message
    assert len(server.seen) == 3
    assert "Retrying" in caplog.text and "api_key=***" in caplog.text  # urllib3's warning ...
    assert KEY not in caplog.text and "team%40example.org" not in caplog.text  # ... redacted


def test_timeouts_past_the_retries_fail_clearly(tmp_path: Path) -> None:
    rec, _ = openalex_paging()
    with serve(lambda seen: Reply.of(rec[2], delay_s=1.0)).running() as server:
        outcome = run(tmp_path, server.url, OA, timeout_s=0.3, max_retries=1, backoff_s=0.01)
    assert not outcome.ok and "timed out" in outcome.message and len(server.seen) == 2


def test_truncated_json_fails_naming_search_and_page(tmp_path: Path) -> None:
    rec, _ = openalex_paging()
    body = rec[2].content[: len(rec[2].content) // 2]  # a stored, cut body (Content-Length fits)
    with serve(lambda seen: Reply(200, body)).running() as server:
        outcome = run(tmp_path, server.url, OA)
    assert not outcome.ok
    assert outcome.message.startswith("search 'oa' (openalex): page 1 (")
    assert "not valid JSON (truncated or not JSON)" in outcome.message
    assert not (tmp_path / "api_searches/oa/round-001").exists()


def test_a_connection_cut_mid_body_is_retried_then_fails_clearly(tmp_path: Path) -> None:
    rec, _ = openalex_paging()
    body = rec[2].content
    with serve(lambda seen: Reply(200, body, cut_at=len(body) // 3)).running() as server:
        outcome = run(tmp_path, server.url, OA, max_retries=2, backoff_s=0.01)
    assert not outcome.ok and "broke off mid-answer" in outcome.message
    assert KEY not in outcome.message
    assert len(server.seen) == 3  # asked again, as a failed connection is, then given up


def test_a_body_cut_once_is_asked_for_again(tmp_path: Path) -> None:
    """A network blip mid-answer failed a scheduled update at once, while 500s were retried."""
    rec, _ = openalex_paging()
    answer, _ = faulty([Reply(200, rec[2].content, cut_at=len(rec[2].content) // 3)])
    with serve(answer).running() as server:
        outcome = run(tmp_path, server.url, OA, backoff_s=0.01)
    assert outcome.ok, outcome.message
    assert len(server.seen) == 3


def test_a_retry_after_longer_than_the_longest_wait_ends_the_request(tmp_path: Path) -> None:
    """A service out of quota for the day may ask for hours; an unattended update held it in
    silence. Longer than ``backoff_max_s``: not waited for, and said."""
    answer, _ = faulty([Reply(429, b'{"error": "quota"}', {"Retry-After": "3600"})])
    with serve(answer).running() as server:
        outcome = run(tmp_path, server.url, OA, backoff_s=0.01, backoff_max_s=5)
    assert not outcome.ok and len(server.seen) == 1
    assert "asked to wait 3600 s before asking again (Retry-After), longer than" in outcome.message
    assert "api.backoff_max_s (5 s); run again later" in outcome.message


def test_openalex_400_is_one_line_with_the_apis_message_and_not_retried(tmp_path: Path) -> None:
    rec = cassette(api_dir("openalex") / "openalexPro_cursor_paging_and_400s.vcr.yml")[0]
    search = {**OA, "params": {"filter": "DOESNTEXIST:1"}}
    with serve(lambda seen: Reply.of(rec)).running() as server:
        outcome = run(tmp_path, server.url, search)
    assert not outcome.ok and len(server.seen) == 1 and "\n" not in outcome.message
    assert outcome.message.startswith("search 'oa' (openalex): HTTP 400 for ")
    assert "Invalid query parameters error.: DOESNTEXIST is not a valid field" in outcome.message
    assert KEY not in outcome.message and EMAIL not in outcome.message


def test_a_stricter_announced_rate_limit_widens_the_interval() -> None:
    rec = cassette(api_dir("crossref") / "habanero_works_query_cursor_star.vcr.yaml")[0]
    assert (rec.headers["x-rate-limit-limit"], rec.headers["x-rate-limit-interval"]) == ("5", "1s")
    client = Client(interval_s=0.0)
    with serve(lambda seen: Reply.of(rec)).running() as server:
        client.get(server.url + "/works", {"query": "widget"})
        client.get(server.url + "/works", {"query": "widget"})
    client.close()
    assert client.interval_s == pytest.approx(0.2)  # Crossref's public pool: 5 per second
    assert server.seen[1].at - server.seen[0].at >= 0.15  # spaced (starts, not arrivals)
    assert announced_interval({"x-rate-limit-limit": "x"}) == 0.0


def test_config_schema_for_api_searches() -> None:
    import jsonschema
    import yaml

    schema = yaml.safe_load(cli.CONFIG_SCHEMA.read_text(encoding="utf-8"))
    base = yaml.safe_load((cli.REPO_DIR / "config/config.yaml").read_text(encoding="utf-8"))

    def errors(search: dict[str, Any], api: dict[str, Any] | None = None) -> list[str]:
        config = {**base, "searches": [search], "api": api or {}}
        validator = jsonschema.Draft202012Validator(schema)
        return [e.message for e in validator.iter_errors(config)]

    assert errors({**OA, "params": {"filter": "type:article"}, "since": "2024-01-01"}) == []
    assert errors({"id": "oa", "database": "OpenAlex", "api": "openalex"})  # no query
    assert errors({**OA, "files": ["x.ris"]})  # an API search has no files
    assert errors({**OA, "params": {"mailto": "a@b.c"}})  # contact only from the environment
    assert errors({**OA, "api": "scopus"})  # no free API: a file search
    for store in ("../outside", "/abs", "a/../../b"):
        assert errors(OA, {"store": store}), store  # rounds stay inside the review folder
    assert errors(OA, {"store": "searches/api", "overlap_days": 14}) == []


def test_credentials_in_config_are_refused(tmp_path: Path) -> None:
    outcome = run(tmp_path, "http://127.0.0.1:9", {**OA, "params": {"api_key": "x"}})
    assert not outcome.ok and "environment variables" in outcome.message


def test_unknown_search_id(tmp_path: Path) -> None:
    outcomes = fetch.run_searches(tmp_path, config("http://x", OA), only="nope", now=NOW)
    assert not outcomes[0].ok and "API searches: oa" in outcomes[0].message


# --- the commands: `scoping-review search` and `update` ---------------------------------------


def review(tmp: Path, url: str, search: dict[str, Any]) -> Path:
    (tmp / "config").mkdir()
    (tmp / "config/config.yaml").write_text(json.dumps(config(url, search)), encoding="utf-8")
    return tmp


def test_search_command_fetches_and_reports_one_line_per_search(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _rec, answer = openalex_paging()
    with serve(answer).running() as server:
        # a query: `search` refuses a blank one as `run` does (it would fetch the whole database)
        workdir = review(tmp_path, server.url, {**OA, "query": "rupture"})
        assert cli.main(["search", "--directory", str(workdir), "--search", "oa"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and out[0].startswith("search 'oa' (openalex): round 1: 2 records of 2")
    assert (workdir / "api_searches/oa/round-001/manifest.json").exists()
    with update.update_lock(workdir / "results"):  # an update is running: refused at once
        assert cli.main(["search", "--directory", str(workdir)]) == versions.EXIT_LOCKED


def test_update_stops_before_the_workflow_when_an_api_search_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rec = cassette(api_dir("openalex") / "openalexPro_cursor_paging_and_400s.vcr.yml")[0]
    with serve(lambda seen: Reply.of(rec)).running() as server:
        workdir = review(tmp_path, server.url, OA)
        code = update.run_update(cli.SNAKEFILE, workdir)
    assert code == versions.EXIT_ERROR
    err = capsys.readouterr().err
    assert "update: search 'oa' (openalex): HTTP 400 for " in err
    assert "an API search failed; the workflow was not run" in err
    assert not (workdir / "results/01_import").exists()
    assert cli.main(["search", "--directory", str(workdir)]) == 1  # the command's status too


# --- importers and reconciliation -------------------------------------------------------------


def test_import_recorded_pages_of_each_api() -> None:
    crossref = cassette(api_dir("crossref") / "habanero_works_query_cursor_star.vcr.yaml")[0]
    cases = [
        ("crossref_json", crossref.content, 20),
        ("europepmc_json", (api_dir("europepmc") / "pyeuropepmc_search_cancer_lite.json").read_bytes(), 25),
        ("europepmc_json", (api_dir("europepmc") / "pyeuropepmc_search_pubyear_range.json").read_bytes(), 5),
    ]  # fmt: skip
    for fmt, data, n in cases:
        meta = importing.SourceMeta("s", "X", "2026-01-01", f"page.{fmt}")
        result = importing.import_export(data, meta)  # the format is detected from content
        assert result.file_row["format"] == fmt
        assert result.file_row["n_raw"] == n == result.records.height + result.rejects.height
        assert result.records["title"].null_count() < n
    meta = importing.SourceMeta("s", "X", "2026-01-01", "cr.json")
    rows = importing.import_export(crossref.content, meta).records.to_dicts()
    first = next(r for r in rows if r["doi"] == "10.1007/978-1-4302-0197-7_9")
    assert first["title"] == "Widget Mania: Using a GUI Widget Framework"
    assert first["isbn"] == ["9781590598160"] and first["pages"] == "305-349"


def test_items_without_title_or_id_are_counted_rejects() -> None:
    page = {"meta": {"count": 3}, "results": [{"id": "https://openalex.org/W1", "title": "A"},
                                               {"cited_by_count": 3}, "junk"]}  # fmt: skip
    meta = importing.SourceMeta("s", "X", "2026-01-01", "p.json")
    result = importing.import_export(json.dumps(page).encode(), meta, fmt="openalex_json")
    assert result.records.height == 1 and result.file_row["n_raw"] == 3
    assert [(r["line"], r["reason"]) for r in result.rejects.to_dicts()] == [
        (2, "result item has no title and no identifier"),
        (3, "result item is not a JSON object"),
    ]


def test_reconcile_catches_a_changed_page_and_a_gap() -> None:
    manifest = {"retrieved": 3, "reported_total": 4, "requests": [
        {"role": "page", "file": "page-0001.json", "sha256": "a", "records": 3}]}  # fmt: skip
    rows = [{"path": "x/page-0001.json", "sha256": "b", "n_parsed": 2, "n_rejected": 0}]
    problems = rounds.reconcile("oa-r002", manifest, rows)
    assert problems == [
        "search 'oa-r002': x/page-0001.json: SHA-256 differs from the manifest (page changed)",
        "search 'oa-r002': x/page-0001.json: 2 records imported (parsed + rejected) but the fetch counted 3",
        "search 'oa-r002': 2 records imported but 3 retrieved",
        "search 'oa-r002': 3 records retrieved but the API reported 4 (gap 1)",
    ]


@given(st.lists(st.text(alphabet=st.characters(categories=["L", "N", "P"]), min_size=1,
                        max_size=8), min_size=1, max_size=60))  # fmt: skip
def test_abstract_rebuilt_from_its_inverted_index(words: list[str]) -> None:
    index: dict[str, list[int]] = {}
    for pos, word in enumerate(words):
        index.setdefault(word, []).append(pos)
    assert formats.abstract_from_inverted_index(index) == " ".join(words)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
ITEM_KEYS = st.sampled_from(["title", "display_name", "id", "doi", "DOI", "pmid", "abstractText",
                             "authorString", "author", "authorships", "container-title",
                             "publication_year", "pubYear", "issued", "ISSN", "abstract",
                             "abstract_inverted_index", "source", "biblio", "keywords", "junk"])  # fmt: skip


@settings(deadline=None)  # the first import warms polars up
@given(
    st.sampled_from(formats.FORMATS),
    st.lists(st.dictionaries(ITEM_KEYS, JSON_VALUES, max_size=6) | JSON_VALUES, max_size=8),
)
def test_every_item_of_a_page_is_a_record_or_a_counted_reject(fmt: str, items: list[Any]) -> None:
    page: dict[str, Any] = {
        "openalex_json": {"meta": {"count": len(items)}, "results": items},
        "europepmc_json": {"hitCount": len(items), "resultList": {"result": items}},
        "crossref_json": {"status": "ok", "message-type": "work-list",
                          "message": {"total-results": len(items), "items": items}},
    }[fmt]  # fmt: skip
    meta = importing.SourceMeta("s", "X", "2026-01-01", "page.json")
    try:
        result = importing.import_export(json.dumps(page).encode(), meta, fmt=fmt)
    except importing.ImportError_ as err:  # a value the canonical frame cannot take is named
        assert "page.json" in str(err)
        return
    assert result.file_row["n_raw"] == len(items)
    assert result.records.height + result.rejects.height == len(items)


def test_error_message_shapes() -> None:
    assert (
        apis.error_message("pubmed", 200, b'{"esearchresult": {"ERROR": "Search Backend failed"}}')
        == "Search Backend failed"
    )
    assert (
        apis.error_message("x", 414, b"<html><body><h1>Request-URI Too Long</h1></body></html>")
        == "Request-URI Too Long"
    )
    assert (
        apis.public_url("http://h/w", {"a": "1", "api_key": "k", "mailto": "m"}) == "http://h/w?a=1"
    )
    with pytest.raises(apis.ApiError, match="esearch answer is not well-formed XML"):
        apis.pubmed_esearch(b"<eSearchResult><Count>3</Co")


def test_a_second_round_on_the_day_of_the_last_is_not_fetched() -> None:
    """Every `update` after a freeze fetched a round and froze a version, even minutes apart:
    a window is whole days, so a second round that day can only bring back the first's."""
    today = NOW.date()
    earlier = [{"round": 1, "run_date": today.isoformat()}]
    skipped = fetch.same_day_round(OA, 2, earlier, today)
    assert skipped is not None and skipped.ok
    assert "round 2 not fetched: round 1 was fetched today" in skipped.message
    assert fetch.same_day_round(OA, 2, earlier, today + datetime.timedelta(days=1)) is None
    assert fetch.same_day_round(OA, 1, [], today) is None


def test_a_query_changed_between_rounds_is_said() -> None:
    earlier = [{"round": 1, "run_date": "2026-01-01", "query": "alliance rupture"}]
    said = fetch.query_change({**OA, "query": "alliance rupture OR repair"}, 2, earlier)
    assert said is not None and "the query is not round 1's ('alliance rupture')" in said
    assert "give the new query a search of its own" in said
    assert fetch.query_change({**OA, "query": "alliance rupture"}, 2, earlier) is None
    assert fetch.query_change(OA, 1, []) is None


def test_update_without_search_names_saved_searches_lacking_this_round(tmp_path: Path) -> None:
    """After a partly failed fetch, `update --no-search` ran the round without two searches
    and did not say so."""
    from scoping_review import update

    with serve(openalex_paging()[1]).running() as server:
        assert run(tmp_path, server.url, OA).ok  # round 1 of 'oa' stored
        settings = config(server.url, OA)
    other = {"id": "ep", "database": "Europe PMC", "api": "europepmc", "query": "rupture"}
    settings["searches"] = [*settings["searches"], other]
    assert update.unfetched_rounds(tmp_path, settings) == ["ep"]
