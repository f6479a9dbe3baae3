"""An HTTP client that behaves: rate limit, bounded retries with backoff, ``Retry-After``.

Retries are urllib3's :class:`~urllib3.util.retry.Retry` mounted on a :mod:`requests` session:
429, 500, 502, 503 and 504 answers, connection failures and read timeouts are retried at most
``max_retries`` times, waiting ``Retry-After`` when the server sends it and otherwise
``backoff_s * 2**(n-1)`` seconds (capped at ``backoff_max_s``) plus a random jitter of up to
``backoff_s``. Other 4xx answers (bad query, bad key) are never retried. Requests are spaced by
at least the API's documented interval, or wider when the server announces a stricter limit
(Crossref's ``x-rate-limit-limit`` per ``x-rate-limit-interval``). Credentials are added to
each request here and nowhere else; what callers get back names the request without them.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, quote_plus

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from .apis import public_url

RETRY_STATUS = (429, 500, 502, 503, 504)
BODY_RETRIES = 2  # asks again for a body cut off mid-answer (at most max_retries)


class _Redact(logging.Filter):
    """Removes credential values from urllib3's log lines (its retry warnings print the URL)."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        forms = {f(s) for s in secrets if s for f in (str, quote, quote_plus)}
        self.forms = sorted(forms, key=len, reverse=True)

    def filter(self, record: logging.LogRecord) -> bool:
        if self.forms:
            message = record.getMessage()
            for form in self.forms:
                message = message.replace(form, "***")
            record.msg, record.args = message, ()
        return True


class _WaitTooLong(Exception):
    """The service asked (``Retry-After``) for a longer wait than ``backoff_max_s``."""

    def __init__(self, seconds: float) -> None:
        super().__init__(seconds)
        self.seconds = seconds


class _Backoff(Retry):
    """urllib3's Retry, with the first retry already backed off (urllib3 retries at once),
    and a ``Retry-After`` longer than ``backoff_max`` not waited for (a service out of quota
    for the day may ask for hours: an unattended update would hang): it ends the request."""

    def get_backoff_time(self) -> float:
        errors = len(self.history)
        if errors == 0 or self.backoff_factor == 0:
            return 0.0
        wait = min(self.backoff_max, self.backoff_factor * 2 ** (errors - 1))
        return float(wait + random.uniform(0, self.backoff_jitter))

    def sleep_for_retry(self, response: Any) -> bool:
        asked = self.get_retry_after(response)
        if asked is not None and asked > self.backoff_max:
            raise _WaitTooLong(asked)
        return bool(super().sleep_for_retry(response))


class TransportError(RuntimeError):
    """No usable answer after the retries (connection refused, timeouts, broken body)."""


@dataclass(frozen=True)
class Answer:
    url: str  # the request without credentials
    status: int
    body: bytes
    retries: int  # retries urllib3 made for this request


class Client:
    def __init__(
        self,
        *,
        interval_s: float,
        timeout_s: float = 30.0,
        max_retries: int = 5,
        backoff_s: float = 1.0,
        backoff_max_s: float = 60.0,
        secrets: Mapping[str, str] | None = None,
        user_agent: str = "scoping-review",
    ) -> None:
        self.interval_s = interval_s
        self.timeout_s = timeout_s
        self.max_retries, self.backoff_s, self.backoff_max_s = max_retries, backoff_s, backoff_max_s
        self.secrets = dict(secrets or {})
        self._last = 0.0
        retry = _Backoff(
            total=max_retries,
            connect=max_retries,
            read=max_retries,
            status=max_retries,
            other=0,
            backoff_factor=backoff_s,
            backoff_jitter=backoff_s,
            backoff_max=backoff_max_s,
            status_forcelist=RETRY_STATUS,
            allowed_methods=None,  # every method: esearch may be a POST
            respect_retry_after_header=True,
            raise_on_status=False,  # the last answer comes back: its message is reported
        )
        self.session = requests.Session()
        adapter = HTTPAdapter(max_retries=retry)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers["User-Agent"] = user_agent
        self._redact = _Redact(self.secrets.values())
        # a logger's filters see only its own records: each urllib3 module logs on its own
        names = ("connectionpool", "util.retry", "poolmanager", "connection", "response")
        self._loggers = [logging.getLogger(f"urllib3.{n}") for n in names]
        self._loggers.append(logging.getLogger("urllib3"))
        for logger in self._loggers:
            logger.addFilter(self._redact)

    def _throttle(self) -> None:
        wait = self._last + self.interval_s - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        self._last = time.monotonic()

    def get(self, url: str, params: Mapping[str, str]) -> Answer:
        """GET ``url`` with ``params`` (plus credentials); the body is read in full."""
        shown = public_url(url, params)
        # a body cut off after the headers is asked for again a few times (each ask has
        # urllib3's retries of its own for the status and the connection)
        asks = min(self.max_retries, BODY_RETRIES) + 1
        for attempt in range(asks):
            self._throttle()
            try:
                response = self.session.get(
                    url, params={**params, **self.secrets}, timeout=self.timeout_s
                )
                body = response.content
                break
            except _WaitTooLong as wait:
                raise TransportError(
                    f"{shown}: the service asked to wait {wait.seconds:.0f} s before asking "
                    f"again (Retry-After), longer than api.backoff_max_s "
                    f"({self.backoff_max_s:g} s); run again later"
                ) from None
            except requests.exceptions.ChunkedEncodingError as err:
                # the body broke off after the headers (urllib3's retries are over by then):
                # asked again, as a failed connection is
                if attempt == asks - 1:
                    raise TransportError(f"{shown}: {_reason(err)}") from None
                time.sleep(min(self.backoff_max_s, self.backoff_s * 2**attempt))
            except requests.RequestException as err:
                reason = _reason(err)
                raise TransportError(f"{shown}: {reason}") from None
        self.interval_s = max(self.interval_s, announced_interval(response.headers))
        retries = getattr(getattr(response.raw, "retries", None), "history", ()) or ()
        return Answer(shown, response.status_code, body, len(retries) + attempt)

    def close(self) -> None:
        self.session.close()
        for logger in self._loggers:
            logger.removeFilter(self._redact)


def announced_interval(headers: Mapping[str, str]) -> float:
    """Seconds between requests that ``x-rate-limit-limit`` per ``x-rate-limit-interval``
    (Crossref: ``5`` per ``1s``) allow; 0 when the headers are absent or unreadable."""
    limit, interval = headers.get("x-rate-limit-limit"), headers.get("x-rate-limit-interval")
    try:
        n = int(str(limit))
        seconds = float(str(interval).strip().removesuffix("s"))
    except (TypeError, ValueError):
        return 0.0
    return seconds / n if n > 0 and seconds > 0 else 0.0


def _reason(err: requests.RequestException) -> str:
    """The cause of a failed request in a few words, without the URL (which holds secrets)."""
    if isinstance(err, requests.exceptions.RetryError):
        return "gave up after the retries"
    if isinstance(err, requests.exceptions.ConnectionError):
        inner = err.args[0] if err.args else err
        text = str(getattr(inner, "reason", inner))
        if "Read timed out" in text or "timed out" in text:
            return "timed out (after the retries)"
        if "IncompleteRead" in text or "Connection broken" in text:
            return "the connection broke off mid-answer (truncated body)"
        return "cannot connect (after the retries)"
    if isinstance(err, requests.exceptions.ChunkedEncodingError):
        return "the connection broke off mid-answer (truncated body)"
    if isinstance(err, requests.exceptions.Timeout):
        return "timed out"
    return type(err).__name__
