"""One polite, robust HTTP client shared by every collector.

Why one client: every source must see the same manners (a User-Agent that names trendbot and
where to read about it, a request rate, a bound on parallel requests, timeouts, a body-size cap)
and every run must be able to say afterwards what it cost (requests, retries, faults by kind,
bytes). Sources differ only in a :class:`~trendbot.collectors.policy.SourcePolicy` (see
``policy``): base URL setting, rate, limits and the *throttle signals* they use to say "slow
down".

Retries go through tenacity (transient faults only: timeouts, connection errors, 429, 5xx,
truncated bodies, malformed bodies when the caller asks). A server's requested wait
(``Retry-After`` in seconds or as an HTTP-date, a rate-limit reset time) is honoured up to the
source's ``max_wait``; a longer one means the source's quota is spent: :class:`QuotaSpent` (a
``FetchError`` of kind ``quota``, with the reset time) is raised at once instead of sleeping for
hours, as it is when a source keeps refusing for its rate after the retries, and the source is not
asked again in this run. Faults that survive retries raise :class:`FetchError`, whose ``reason``
is one sentence a user can read.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiolimiter import AsyncLimiter
from multidict import CIMultiDict, CIMultiDictProxy
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
    wait_random_exponential,
)

import trendbot
from trendbot.collectors.policy import (
    DEFAULT_POLICIES,
    MiB,
    SourcePolicy,
    Throttle,
    parse_retry_after,
    standard_throttle,
)
from trendbot.config import SOURCE_URLS, Settings, check_url, without_password

log = logging.getLogger(__name__)


# --- results and errors --------------------------------------------------------------------------


class FetchError(Exception):
    """A request that failed for good. ``reason`` is one sentence; ``kind`` one fault word."""

    def __init__(
        self, source: str, url: str, kind: str, reason: str, status: int | None = None
    ) -> None:
        # A base URL setting may carry a password (``//user:secret@mirror``): never in a message.
        url, reason = without_password(url), without_password(reason)
        self.source, self.url, self.kind, self.status = source, url, kind, status
        self.reason = reason
        super().__init__(reason)


class QuotaSpent(FetchError):
    """The source's quota or rate window is spent: it asked for a wait longer than the source's
    cap, or kept refusing for its rate. Not a fault: what was fetched before stands, and the
    source is not asked again this run. ``resets_at`` is when the source said it will answer
    again (epoch seconds), or None when it did not say."""

    def __init__(
        self, source: str, url: str, reason: str, resets_at: float | None, status: int | None
    ) -> None:
        super().__init__(source, url, "quota", reason, status)
        self.resets_at = float(round(resets_at)) if resets_at is not None else None


@dataclass(frozen=True)
class Fetched:
    """One answered request. ``not_modified``: a 304 for the ETag sent (body is empty)."""

    url: str
    status: int
    headers: Mapping[str, str]
    body: bytes
    etag: str | None = None
    not_modified: bool = False
    attempts: int = 1

    def text(self, encoding: str = "utf-8") -> str:
        return self.body.decode(encoding, errors="replace")

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class HttpStats:
    """What a run's requests cost, for the run record. Counts every attempt."""

    requests: int = 0
    retries: int = 0
    not_modified: int = 0
    bytes: int = 0
    waited_seconds: float = 0.0
    faults: Counter[str] = field(default_factory=Counter)
    per_source: dict[str, Counter[str]] = field(default_factory=dict)

    def _bump(self, source: str, name: str, n: float = 1) -> None:
        self.per_source.setdefault(source, Counter())[name] += n  # type: ignore[assignment]

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "retries": self.retries,
            "not_modified": self.not_modified,
            "bytes": self.bytes,
            "waited_seconds": round(self.waited_seconds, 3),
            "faults": dict(self.faults),
            "per_source": {k: dict(v) for k, v in self.per_source.items()},
        }


class _Transient(Exception):
    """A fault worth another attempt; ``wait`` is the server's requested pause, if any."""

    def __init__(
        self, kind: str, reason: str, wait: float | None = None, status: int | None = None
    ):
        super().__init__(reason)
        self.kind, self.reason, self.wait, self.status = kind, reason, wait, status


def user_agent(env: Mapping[str, str] | None = None) -> str:
    """``trendbot/<version> (+<project URL>[; <TRENDBOT_CONTACT>])``: who is calling, and how to
    reach them, as the sources' policies ask."""
    env = os.environ if env is None else env
    contact = (env.get("TRENDBOT_CONTACT") or "").strip()
    extra = f"; {contact}" if contact else ""
    return f"trendbot/{trendbot.__version__} (+{trendbot.PROJECT_URL}{extra})"


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    if seconds < 120:
        return f"{seconds} s"
    minutes = seconds // 60
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"


@dataclass
class _SourceState:
    policy: SourcePolicy
    limiter: AsyncLimiter
    semaphore: asyncio.Semaphore
    not_before: float = 0.0  # monotonic time before which no request may start
    not_before_reason: str = "an earlier rate-limit signal"
    spent: QuotaSpent | None = None  # once a quota is spent, the source is not asked again


class HttpClient:
    """The run's HTTP client: one ``aiohttp.ClientSession``, per-source rate and concurrency.

    Use as ``async with HttpClient(settings) as http: await http.get("cvf", "/CVPR2024")``.
    """

    def __init__(
        self,
        settings: Settings | None = None,
        policies: Mapping[str, SourcePolicy] | None = None,
        *,
        env: Mapping[str, str] | None = None,
        limit_per_host: int = 4,
    ) -> None:
        self.source_urls = dict(settings.source_urls if settings else SOURCE_URLS)
        self.policies = dict(DEFAULT_POLICIES)
        self.policies.update(policies or {})
        if env is None:
            env = settings.extra if settings and settings.extra else os.environ
        self.env: Mapping[str, str] = env  # for sources' credentials; never logged
        self.user_agent = user_agent(env)
        self.stats = HttpStats()
        self.state: dict[str, Any] = {}  # run-scoped source state, e.g. a login token
        self._limit_per_host = limit_per_host
        self._session: aiohttp.ClientSession | None = None
        self._states: dict[str, _SourceState] = {}
        self._checked: dict[str, str] = {}  # base URL settings checked so far

    async def __aenter__(self) -> HttpClient:
        connector = aiohttp.TCPConnector(limit=32, limit_per_host=self._limit_per_host)
        self._session = aiohttp.ClientSession(
            connector=connector,
            headers={"User-Agent": self.user_agent},
            auto_decompress=True,
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    # --- helpers ---

    def policy(self, source: str) -> SourcePolicy:
        try:
            return self.policies[source]
        except KeyError:
            raise ValueError(f"No HTTP policy for source {source!r}.") from None

    def base_url(self, source: str) -> str:
        """The source's base URL, its setting checked on first use: a bad value stops only the
        collector that needs it, with ``ConfigError`` naming the setting."""
        name = self.policy(source).base_setting
        if name not in self._checked:
            self._checked[name] = check_url(name, self.source_urls.get(name) or "")
        return self._checked[name]

    def url(self, source: str, path: str) -> str:
        """An absolute URL: ``path`` as is when it is already absolute, else under the base."""
        if path.startswith(("http://", "https://")):
            return path
        return f"{self.base_url(source)}/{path.lstrip('/')}"

    def _state(self, source: str) -> _SourceState:
        state = self._states.get(source)
        if state is None:
            p = self.policy(source)
            state = _SourceState(
                p, AsyncLimiter(p.burst, p.burst / p.rate), asyncio.Semaphore(p.concurrency)
            )
            self._states[source] = state
        return state

    # --- requests ---

    async def get(self, source: str, path: str, **kwargs: Any) -> Fetched:
        return await self.request(source, "GET", path, **kwargs)

    async def get_json(self, source: str, path: str, **kwargs: Any) -> Any:
        """GET and parse JSON; a malformed body is retried like a transient fault."""
        kwargs.setdefault("check", check_json)
        return (await self.get(source, path, **kwargs)).json()

    async def request(
        self,
        source: str,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | Sequence[tuple[str, Any]] | None = None,
        headers: Mapping[str, str] | None = None,
        json_body: Any = None,
        data: bytes | str | None = None,
        etag: str | None = None,
        check: Callable[[bytes], object] | None = None,
        max_body: int | None = None,
        timeout: float | None = None,
        ok_statuses: Sequence[int] = (),
    ) -> Fetched:
        """One request with retries. ``json_body`` or ``data`` (raw bytes, e.g. an SQL query) is
        the request body. ``check`` validates the body (raise to call it malformed and retry);
        ``etag`` sends ``If-None-Match`` and turns a 304 into ``not_modified``; statuses in
        ``ok_statuses`` (e.g. 404 where "absent" is an answer) are returned as is.
        """
        if self._session is None:
            raise RuntimeError("HttpClient is not open: use 'async with HttpClient(...)'.")
        state = self._state(source)
        policy = state.policy
        url = self.url(source, path)
        send_headers = dict(headers or {})
        if etag:
            send_headers["If-None-Match"] = etag
        attempts = 0

        async def attempt() -> Fetched:
            nonlocal attempts
            attempts += 1
            return await self._attempt(
                state, method, url, params, send_headers, (json_body, data), check,
                max_body or policy.max_body, timeout, ok_statuses, attempts,
            )  # fmt: skip

        backoff = wait_random_exponential(multiplier=policy.backoff, max=policy.backoff_max)

        def wait(retry_state: RetryCallState) -> float:
            outcome = retry_state.outcome
            exc = outcome.exception() if outcome else None
            if isinstance(exc, _Transient) and exc.wait is not None:
                return exc.wait
            return backoff(retry_state)

        def before_sleep(retry_state: RetryCallState) -> None:
            exc = retry_state.outcome.exception() if retry_state.outcome else None
            sleep = retry_state.next_action.sleep if retry_state.next_action else 0.0
            self.stats.retries += 1
            self.stats.waited_seconds += sleep
            self.stats._bump(source, "retries")
            log.info("%s: %s; retrying in %.1f s (%s)", source, exc, sleep, without_password(url))

        try:
            async for tries in AsyncRetrying(
                stop=stop_after_attempt(policy.attempts),
                wait=wait,
                retry=retry_if_exception_type(_Transient),
                before_sleep=before_sleep,
                reraise=True,
            ):
                with tries:
                    return await attempt()
        except _Transient as exc:
            if exc.kind == "rate_limited" and policy.quota:  # still refused: a spent quota
                resets = time.time() + exc.wait if exc.wait is not None else None
                reason = (
                    f"{source} {method} {url}: {exc.reason}, still refused after {attempts} "
                    "attempts; try again later."
                )
                state.spent = QuotaSpent(source, url, reason, resets, exc.status)
                raise state.spent from None
            raise FetchError(
                source,
                url,
                exc.kind,
                f"{source} {method} {url}: {exc.reason}, still failing after {attempts} attempts.",
                exc.status,
            ) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _fault(self, source: str, kind: str) -> None:
        self.stats.faults[kind] += 1
        self.stats._bump(source, f"fault:{kind}")

    def _capped(
        self,
        state: _SourceState,
        url: str,
        method: str,
        throttle: Throttle,
        status: int | None = None,
    ) -> None:
        """Refuse a wait longer than the source's cap, don't sleep: for a source with a quota,
        the quota is spent (``QuotaSpent`` with the reset time; the source is not asked again
        this run); for any other, a fault."""
        policy = state.policy
        if throttle.wait is None or throttle.wait <= policy.max_wait:
            return
        if not policy.quota:  # a source without a quota: a fault, as any other
            self._fault(policy.name, "wait_over_cap")
            raise FetchError(
                policy.name,
                url,
                "wait_over_cap",
                f"{policy.name} {method} {url}: the source asked trendbot to wait "
                f"{_duration(throttle.wait)} ({throttle.reason}), longer than the "
                f"{_duration(policy.max_wait)} cap; try again later.",
                status,
            )
        self._fault(policy.name, "quota")
        state.spent = QuotaSpent(
            policy.name,
            url,
            f"{policy.name} {method} {url}: the source asked trendbot to wait "
            f"{_duration(throttle.wait)} ({throttle.reason}), longer than the "
            f"{_duration(policy.max_wait)} cap; try again later.",
            time.time() + throttle.wait,
            status,
        )
        raise state.spent

    async def _attempt(
        self,
        state: _SourceState,
        method: str,
        url: str,
        params: Any,
        headers: dict[str, str],
        payload: tuple[Any, bytes | str | None],
        check: Callable[[bytes], object] | None,
        max_body: int,
        timeout: float | None,
        ok_statuses: Sequence[int],
        attempt_no: int,
    ) -> Fetched:
        policy = state.policy
        source = policy.name
        if state.spent is not None:  # a spent quota: no request until a later run
            spent = state.spent
            raise QuotaSpent(source, url, spent.reason, spent.resets_at, spent.status)
        pause = state.not_before - time.monotonic()
        if pause > 0:
            reason = f"an earlier answer: {state.not_before_reason}"
            self._capped(state, url, method, Throttle(pause, reason))
            self.stats.waited_seconds += pause
            await asyncio.sleep(pause)
        client_timeout = aiohttp.ClientTimeout(
            total=timeout or policy.total_timeout,
            connect=policy.connect_timeout,
            sock_read=policy.read_timeout,
        )
        assert self._session is not None
        async with state.semaphore:
            await state.limiter.acquire()
            self.stats.requests += 1
            self.stats._bump(source, "requests")
            try:
                async with self._session.request(
                    method,
                    url,
                    params=params,
                    headers=headers,
                    json=payload[0],
                    data=payload[1],
                    timeout=client_timeout,
                ) as resp:
                    status = resp.status
                    resp_headers = CIMultiDictProxy(CIMultiDict(resp.headers))
                    if status == 304:
                        self.stats.not_modified += 1
                        self.stats._bump(source, "not_modified")
                        return Fetched(
                            str(resp.url), 304, resp_headers, b"",
                            resp.headers.get("ETag") or headers.get("If-None-Match"),
                            True, attempt_no,
                        )  # fmt: skip
                    declared = resp.content_length
                    if declared is not None and declared > max_body:
                        self._fault(source, "too_large")
                        raise FetchError(
                            source, url, "too_large",
                            f"{source} {method} {url}: the body is {declared:,} bytes, over the "
                            f"{max_body:,}-byte limit.", status,
                        )  # fmt: skip
                    body = await self._read_capped(resp, source, method, url, max_body)
                    final_url = str(resp.url)
            except (TimeoutError, aiohttp.ServerTimeoutError):
                self._fault(source, "timeout")
                raise _Transient("timeout", "timed out") from None
            except aiohttp.ClientPayloadError as exc:
                self._fault(source, "truncated")
                raise _Transient("truncated", f"the body arrived truncated ({exc})") from None
            except aiohttp.ClientConnectionError as exc:
                self._fault(source, "connection")
                raise _Transient("connection", f"connection failed ({exc})") from None
        self.stats.bytes += len(body)
        self.stats._bump(source, "bytes", len(body))
        if declared is not None and len(body) < declared and "Content-Encoding" not in resp_headers:
            self._fault(source, "truncated")
            raise _Transient("truncated", f"got {len(body)} of {declared} bytes")

        for signal in (*policy.signals, standard_throttle):
            throttle = signal(status, resp_headers, body)
            if throttle is None:
                continue
            if throttle.retry:
                self._capped(state, url, method, throttle, status)
                self._fault(source, "rate_limited")
                raise _Transient("rate_limited", throttle.reason, throttle.wait, status)
            # A good answer that spends the last of a quota is kept; the next request to the
            # source waits, or, past the cap, stops there (``_capped`` in the pause above).
            state.not_before = max(state.not_before, time.monotonic() + (throttle.wait or 0.0))
            state.not_before_reason = throttle.reason
            break
        if status >= 500:
            self._fault(source, "server_error")
            wait = parse_retry_after(resp_headers.get("Retry-After"))
            raise _Transient("server_error", f"HTTP {status} from the server", wait, status)
        if status >= 400 and status not in ok_statuses:
            self._fault(source, f"http_{status}")
            raise FetchError(
                source, url, f"http_{status}",
                f"{source} {method} {url}: HTTP {status} ({_snippet(body)}).", status,
            )  # fmt: skip
        if check is not None:  # every status that reaches here is one the caller accepts
            try:
                # Parsing megabytes (a whole Anthology XML) would stall the event loop.
                if len(body) > MiB:
                    await asyncio.to_thread(check, body)
                else:
                    check(body)
            except Exception as exc:
                kind = getattr(exc, "kind", "malformed")
                self._fault(source, kind)
                reason = getattr(exc, "reason", None) or f"the body is malformed ({exc})"
                raise _Transient(kind, reason, None, status) from None
        return Fetched(final_url, status, resp_headers, body, resp_headers.get("ETag"), False,
                       attempt_no)  # fmt: skip

    async def _read_capped(
        self, resp: aiohttp.ClientResponse, source: str, method: str, url: str, max_body: int
    ) -> bytes:
        chunks: list[bytes] = []
        size = 0
        async for chunk in resp.content.iter_chunked(256 * 1024):
            size += len(chunk)
            if size > max_body:
                self._fault(source, "too_large")
                raise FetchError(
                    source, url, "too_large",
                    f"{source} {method} {url}: the body passed the {max_body:,}-byte limit.",
                    resp.status,
                )  # fmt: skip
            chunks.append(chunk)
        return b"".join(chunks)


def _snippet(body: bytes, limit: int = 120) -> str:
    text = " ".join(body[:2000].decode("utf-8", errors="replace").split())
    return text[:limit] + ("…" if len(text) > limit else "") if text else "empty body"


def check_json(body: bytes) -> None:
    """A ``check`` for :meth:`HttpClient.request`: the body must be JSON."""
    json.loads(body)


def check_xml(body: bytes) -> None:
    """A ``check``: the body must be well-formed XML (parsed safely: no entities, no network)."""
    from defusedxml import ElementTree

    ElementTree.fromstring(body)
