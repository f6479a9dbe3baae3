"""The screening app's write rules over real HTTP (a werkzeug server on 127.0.0.1 in a
thread), on stage tables built by the package's own functions."""

from __future__ import annotations

import http.cookiejar
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from werkzeug.serving import make_server

from helpers import records
from scoping_review import dedupe, screen
from scoping_review.app import queue, server, sheet

CRITERIA = [
    {"code": "off_topic", "label": "Off topic"},
    {"code": "no_full_text", "label": "Full text not obtained", "stages": ["full_text"]},
]


def review(tmp_path: Path) -> server.Review:
    recs = records(
        [
            {"record_id": f"db:{i}", "title": f"Distinct title number {word} about alliance",
             "year": 2000 + i, "authors": [f"Author{i}, A."], "database": "Embase"}
            for i, word in enumerate(["one", "two", "three", "four", "five", "six"])
        ]
    )  # fmt: skip
    result = dedupe.run(recs)
    ids = result.studies["study_id"].sort().to_list()
    ta = pl.DataFrame(
        {"study_id": ids[:2], "decision": ["include", "include"], "reviewer": ["AB", "AB"]}
    )
    decisions = screen.read_decisions(
        [screen.Sheet("inputs/ta.csv", "title_abstract", ta)], result.clusters, CRITERIA
    )
    automatic = screen.automatic_exclusions(result.studies, ())
    status = screen.screening_status(result.studies, decisions, automatic, 1, CRITERIA)
    return server.Review(
        directory=tmp_path,
        criteria=CRITERIA,
        settings=screen.Settings.from_config({}),
        app_dir=tmp_path / "screening",
        terms=["alliance"],
        studies=result.studies,
        records=recs.select("record_id", "database", "source_id", "native_id", "title"),
        status=status,
        decisions=decisions,
    )


class Client:
    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
            NoRedirect(),
        )

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=30) as r:
            return str(r.read().decode())

    def post(self, path: str, data: dict[str, str]) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode()
        try:
            with self.opener.open(self.base + path, data=body, timeout=30) as r:
                return int(r.status), r.headers.get("Location", "")
        except urllib.error.HTTPError as err:
            return int(err.code), err.headers.get("Location", "")

    def token(self) -> str:
        match = re.search(r'name="csrf_token" value="([^"]+)"', self.get("/"))
        assert match
        return match.group(1)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[tuple[server.Review, object]]:
    made = review(tmp_path)
    servers = []

    def start(stage: str, reviewer: str = "AB") -> Client:
        app = server.create_app(made, reviewer, stage)
        srv = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        servers.append(srv)
        return Client(f"http://127.0.0.1:{srv.server_port}")

    yield made, start
    for srv in servers:
        srv.shutdown()


def test_writes_are_checked_before_they_reach_the_sheet(serve: tuple) -> None:
    made, start = serve
    client = start("title_abstract")
    page = client.get("/")
    assert "<mark>alliance</mark>" in page
    assert 'id="n-total">4<' in page  # 4 studies wait at title/abstract
    token = client.token()
    study = re.search(r'data-study-id="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    path = made.app_dir / "title_abstract" / "AB.csv"
    bad = [
        {"study_id": study, "decision": "exclude"},  # no reason
        {"study_id": study, "decision": "exclude", "reason": "no_full_text"},  # other stage
        {"study_id": study, "decision": "not_retrieved", "reason": "no_full_text"},
        {"study_id": "S-nope", "decision": "include"},
    ]
    for form in bad:
        assert client.post("/decide", {**form, "csrf_token": token})[0] == 400, form
    assert not path.exists()
    status, location = client.post(
        "/decide",
        {"study_id": study, "decision": "exclude", "reason": "off_topic", "csrf_token": token},
    )
    assert status == 302 and "study=" in location
    assert sheet.by_study(sheet.read(path), made.record_to_study)[study].reason == "off_topic"
    # the CSRF token of another session is refused
    other = start("title_abstract")
    assert (
        other.post("/decide", {"study_id": study, "decision": "include", "csrf_token": token})[0]
        == 400
    )


def test_full_text_stage_and_not_retrieved(serve: tuple) -> None:
    made, start = serve
    client = start("full_text")
    page = client.get("/")
    assert 'id="n-total">2<' in page  # the two studies included at title/abstract
    assert "reason-not_retrieved-1" in page and "do-maybe" not in page
    study = re.search(r'data-study-id="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    token = client.token()
    assert (
        client.post("/decide", {"study_id": study, "decision": "maybe", "csrf_token": token})[0]
        == 400
    )
    form = {
        "study_id": study,
        "decision": "not_retrieved",
        "reason": "no_full_text",
        "csrf_token": token,
    }
    assert client.post("/decide", form)[0] == 302
    assert 'id="n-not_retrieved">1<' in client.get("/")
    assert client.post("/undo", {"csrf_token": token})[0] == 302
    assert sheet.latest(sheet.read(made.app_dir / "full_text" / "AB.csv")) == {}


def test_reserved_names_and_hosts_are_refused(serve: tuple) -> None:
    made, _start = serve
    with pytest.raises(ValueError, match="reserved"):
        server.create_app(made, "consensus", "title_abstract")
    with pytest.raises(ValueError, match="--token"):
        server.check_host("0.0.0.0", None)
    server.check_host("0.0.0.0", "t0ken")
    server.check_host("127.0.0.1", None)


def test_hand_typed_rows_in_the_app_sheet(serve: tuple) -> None:
    """A row a person typed into the app's sheet (no timestamp, a misspelt decision) neither
    breaks undo nor passes for a decision in the header's tally."""
    made, start = serve
    client = start("title_abstract")
    page = client.get("/")
    token = client.token()
    study = re.search(r'data-study-id="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    record = made.studies.filter(pl.col("study_id") == study)["representative_record_id"][0]
    path = made.app_dir / "title_abstract" / "AB.csv"
    assert (
        client.post("/decide", {"study_id": study, "decision": "include", "csrf_token": token})[0]
        == 302
    )
    others = [s for s in made.studies["study_id"].to_list() if s != study]
    typed = made.studies.filter(pl.col("study_id") == others[-1])["representative_record_id"][0]
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(f"{typed},exlcude,,AB,2026-12-07,,,\n")  # no timestamp, a typo
    page = client.get("/")
    assert 'id="n-decided">2<' in page
    assert 'id="n-unknown">1 with a value the run will refuse' in page
    assert client.post("/undo", {"csrf_token": token})[0] == 302  # the app's own line
    assert set(sheet.latest(sheet.read(path))) == {typed}
    assert record not in sheet.latest(sheet.read(path))


def test_a_study_not_in_the_queue_is_said(serve: tuple) -> None:
    """/?study=S-zzz showed another study without a word."""
    _made, start = serve
    client = start("title_abstract")
    page = client.get("/?study=S-zzzzzzzzzz")
    assert 'id="not-in-queue">S-zzzzzzzzzz is not in your queue' in page
    assert 'id="not-in-queue"' not in client.get("/")
    assert "no match in your queue" in client.get("/?q=nothing-like-this")


def test_a_name_another_sheet_writes_otherwise_is_refused(serve: tuple) -> None:
    made, start = serve
    start("title_abstract", "AB")
    sheet.append(
        made.app_dir / "title_abstract" / "AB.csv", {"record_id": "db:1", "decision": "include"}
    )
    with pytest.raises(
        ValueError, match=r"screening/title_abstract/AB.csv is the sheet of a reviewer"
    ):
        server.create_app(made, "ab", "full_text")
    server.create_app(made, "AB", "full_text")  # the same name is the same reviewer
    sheet.append(
        made.app_dir / "full_text" / "C_D.csv", {"record_id": "db:1", "decision": "include"}
    )
    for other in ("c-d", "C.D.", "CD"):  # one person written another way
        with pytest.raises(ValueError, match="differs only in case, accents or punctuation"):
            server.create_app(made, other, "title_abstract")


def test_why_the_app_cannot_start_names_the_failed_run(tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.yaml").write_text("searches: []\n")
    with pytest.raises(server.ReviewNotReady, match="no results yet"):
        server.Review.load(tmp_path)
    logs = tmp_path / "results" / "logs"
    logs.mkdir(parents=True)
    (logs / "screen.log.error").write_text("error in rule screen\n")
    with pytest.raises(
        server.ReviewNotReady, match=r"stopped before screening .* results/logs/screen.log"
    ):
        server.Review.load(tmp_path)


def test_queue_follows_a_ranking_score_when_there_is_one(tmp_path: Path) -> None:
    made = review(tmp_path)
    plain = queue.queue(
        made.studies, made.status, made.decisions, made.settings, "title_abstract", "AB", {}
    )
    assert plain == sorted(plain) and len(plain) == 4
    scores = {s: float(i) for i, s in enumerate(plain)}  # the last study scores highest
    ranked = queue.queue(
        made.studies, made.status, made.decisions, made.settings, "title_abstract", "AB", {},
        scores,
    )  # fmt: skip
    assert ranked == plain[::-1]
    # a study the reviewer decided in the app stays in the queue after the next run
    decided = made.decisions.filter(pl.col("stage") == "title_abstract")["study_id"][0]
    again = queue.queue(
        made.studies, made.status, made.decisions, made.settings, "title_abstract", "AB",
        {decided: {}},
    )  # fmt: skip
    assert decided in again and len(again) == 5


def test_search_lists_matching_studies_of_the_queue(serve: tuple) -> None:
    made, start = serve
    client = start("title_abstract")
    page = client.get("/?q=number+five")
    hits = re.findall(r'<li><a href="/\?study=([^"]+)">', page)
    five = made.studies.filter(pl.col("title").str.contains("five"))["study_id"].to_list()
    assert hits == five
    assert "no match" in client.get("/?q=%3Cscript%3E")


def test_a_port_in_use_is_found_before_the_server_starts() -> None:
    """werkzeug printed its own advice and exited; the command now says what to do."""
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(OSError):
            server.check_port("127.0.0.1", port)
    server.check_port("127.0.0.1", port)  # free again


def test_a_name_not_among_the_stages_names_is_refused(tmp_path: Path) -> None:
    """With names [AB, CD] the app served "CE" (a typo), and the next run refused every
    decision saved under it; now the app refuses the name before it serves."""
    from dataclasses import replace

    made = replace(
        review(tmp_path),
        settings=screen.Settings.from_config(
            {"stages": {"title_abstract": {"reviewers": 2, "names": ["AB", "CD"]}}}
        ),
    )
    with pytest.raises(
        ValueError, match=r"'CE' is not a title_abstract reviewer: .*names lists AB, CD"
    ):
        server.create_app(made, "CE", "title_abstract")
    with pytest.raises(
        ValueError, match=r"'cd' is not a title_abstract reviewer \(write it 'CD'\)"
    ):
        server.create_app(made, "cd", "title_abstract")
    server.create_app(made, "CD", "title_abstract")
    server.create_app(made, "CE", "full_text")  # a stage without names takes any


def test_a_sheet_that_cannot_be_written_is_said_before_serving(tmp_path: Path) -> None:
    """A read-only review served, and every decision then failed with HTTP 500 (lost)."""
    made = review(tmp_path)
    made.app_dir.mkdir(parents=True, exist_ok=True)
    (made.app_dir / "full_text").write_text("not a folder")
    with pytest.raises(ValueError, match=r"cannot create .*full_text for your decisions"):
        server.create_app(made, "AB", "full_text")
