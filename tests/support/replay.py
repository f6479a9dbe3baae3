"""Replay recorded API responses from a real HTTP server on 127.0.0.1 (started by the tests).

The responses are the ones in ``../shared/fixtures/api/`` (VCR cassettes of vcrpy and R vcr,
or raw bodies), served byte for byte: a cassette's gzip body goes out gzip with its
``Content-Encoding``, as the service sent it. The test decides per request what to answer
(:class:`Reply`), including the faults a live service shows: a status with ``Retry-After``, a
delay longer than the client's timeout, a body cut short. Every request is recorded with its
arrival time.
"""

from __future__ import annotations

import base64
import gzip
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import yaml


@dataclass(frozen=True)
class Recorded:
    uri: str
    status: int
    headers: dict[str, str]
    body: bytes  # as recorded (gzip when ``headers`` say so)

    @property
    def content(self) -> bytes:
        """The body as the client sees it (decoded from gzip)."""
        if self.headers.get("content-encoding", "").lower() == "gzip":
            return gzip.decompress(self.body)
        return self.body


def cassette(path: Path) -> list[Recorded]:
    """The interactions of a vcrpy or R vcr cassette, bodies as recorded."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    out = []
    for item in data.get("interactions") or data.get("http_interactions") or []:
        request, response = item["request"], item["response"]
        status = response.get("status")
        if isinstance(status, dict):
            status = status.get("code", status.get("status_code"))
        headers = {
            str(k).lower(): str(v[0] if isinstance(v, list) else v)
            for k, v in (response.get("headers") or {}).items()
        }
        body = response.get("body")
        if isinstance(body, dict):
            if "base64_string" in body:
                body = base64.b64decode(body["base64_string"])
            else:
                body = body.get("string", b"")
        if isinstance(body, str):
            body = body.encode("utf-8")
            headers.pop("content-encoding", None)
        out.append(Recorded(str(request.get("uri")), int(status), headers, body or b""))
    return out


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0  # wait before answering (longer than the client's timeout: a timeout)
    cut_at: int | None = None  # announce the whole body but send only this many bytes

    @classmethod
    def of(cls, recorded: Recorded, **kwargs: Any) -> Reply:
        keep = ("content-type", "content-encoding", "retry-after", "x-rate-limit-limit",
                "x-rate-limit-interval", "x-ratelimit-limit", "x-ratelimit-remaining")  # fmt: skip
        headers = {k: v for k, v in recorded.headers.items() if k in keep}
        return cls(recorded.status, recorded.body, headers, **kwargs)


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    at: float  # time.monotonic() of arrival

    def one(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None


class Replay:
    def __init__(self, answer: Callable[[Seen], Reply]) -> None:
        self.answer = answer
        self.seen: list[Seen] = []
        self.url = ""

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        replay = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                seen = Seen("GET", parts.path, parse_qs(parts.query), time.monotonic())
                replay.seen.append(seen)
                reply = replay.answer(seen)
                if reply.delay_s:
                    time.sleep(reply.delay_s)
                try:
                    self.send_response(reply.status)
                    for key, value in reply.headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(reply.body)))
                    if reply.cut_at is not None:
                        self.send_header("Connection", "close")
                    self.end_headers()
                    body = reply.body if reply.cut_at is None else reply.body[: reply.cut_at]
                    self.wfile.write(body)
                    self.wfile.flush()
                    if reply.cut_at is not None:
                        self.close_connection = True
                except (BrokenPipeError, ConnectionResetError):  # the client gave up waiting
                    self.close_connection = True

        return Handler

    @contextmanager
    def running(self) -> Iterator[Replay]:
        server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        server.daemon_threads = True
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        self.url = f"http://127.0.0.1:{server.server_address[1]}"
        try:
            yield self
        finally:
            server.shutdown()
            server.server_close()
            thread.join(5)
