"""A real aiohttp server on 127.0.0.1 (random port) for collector tests, with fault injection.

Collectors are tested against this server instead of mocks: the client under test speaks real
HTTP over a real socket, so timeouts, truncated bodies and headers behave as they do on the
internet. Routes serve static bodies, JSON or files; each route can be given a *script* of
replies (the first request gets the first reply, and so on; the last one repeats), so a test can
say "a 503, then a 429 with Retry-After, then the page". Every request is recorded (method,
path, query, headers, body) for assertions.

Usage::

    async with Loopback() as srv:
        srv.route("/CVPR2024", Reply.html(page))
        srv.route("/api", Reply.error(503), Reply.json({"ok": True}))
        url = srv.url("/CVPR2024")

The industry collectors reuse this module, so it knows nothing about any one source.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer


@dataclass(frozen=True)
class Reply:
    """One scripted answer. ``fault`` is one of: None, "truncate", "chunked", "reset"."""

    status: int = 200
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()
    content_type: str = "text/plain"
    delay: float = 0.0
    fault: str | None = None

    # --- ordinary answers ---

    @classmethod
    def text(cls, text: str, status: int = 200, **kw: Any) -> Reply:
        return cls(status, text.encode(), content_type="text/plain", **kw)

    @classmethod
    def html(cls, html: str | bytes, status: int = 200, **kw: Any) -> Reply:
        body = html.encode() if isinstance(html, str) else html
        return cls(status, body, content_type="text/html", **kw)

    @classmethod
    def xml(cls, xml: str | bytes, status: int = 200, **kw: Any) -> Reply:
        body = xml.encode() if isinstance(xml, str) else xml
        return cls(status, body, content_type="application/xml", **kw)

    @classmethod
    def json(cls, value: Any, status: int = 200, **kw: Any) -> Reply:
        return cls(status, json.dumps(value).encode(), content_type="application/json", **kw)

    @classmethod
    def binary(cls, data: bytes, content_type: str = "application/pdf", **kw: Any) -> Reply:
        return cls(200, data, content_type=content_type, **kw)

    @classmethod
    def error(cls, status: int, body: str = "", **kw: Any) -> Reply:
        return cls(status, body.encode(), **kw)

    # --- faults ---

    @classmethod
    def rate_limited(cls, retry_after: float | str | None = 1, status: int = 429) -> Reply:
        """A 429 (or 403/503) with ``Retry-After`` as seconds (a number) or an HTTP-date (str)."""
        headers = () if retry_after is None else (("Retry-After", str(retry_after)),)
        return cls(status, b"Too Many Requests", headers=headers)

    @staticmethod
    def http_date(seconds_from_now: float) -> str:
        return formatdate(time.time() + seconds_from_now, usegmt=True)

    @classmethod
    def delayed(cls, seconds: float, reply: Reply | None = None) -> Reply:
        base = reply or cls.text("late")
        return cls(base.status, base.body, base.headers, base.content_type, seconds, base.fault)

    @classmethod
    def truncated(cls, body: bytes, keep: int | None = None) -> Reply:
        """Declares the full Content-Length, sends ``keep`` bytes (default half), then closes."""
        keep = len(body) // 2 if keep is None else keep
        return cls(200, body, headers=(("X-Keep", str(keep)),), fault="truncate")

    @classmethod
    def chunked(cls, body: bytes, chunk: int = 500) -> Reply:
        """Streams ``body`` in chunks without a Content-Length header."""
        return cls(200, body, headers=(("X-Chunk", str(chunk)),), fault="chunked")

    @classmethod
    def malformed_json(cls) -> Reply:
        return cls(200, b'{"notes": [{"id": "abc"', content_type="application/json")

    @classmethod
    def challenge_403(cls) -> Reply:
        """OpenReview's anonymous refusal since mid-2026 (body as quoted in public issues)."""
        return cls.json(
            {
                "name": "ChallengeRequiredError",
                "message": "Challenge verification required",
                "status": 403,
            },
            status=403,
        )

    @classmethod
    def rate_exceeded_200(cls) -> Reply:
        """arXiv's overload answer: status 200, plain body ``Rate exceeded.``."""
        return cls(200, b"Rate exceeded.", content_type="text/plain")

    @classmethod
    def reset(cls) -> Reply:
        """Close the connection without answering."""
        return cls(fault="reset")


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    at: float


@dataclass
class _Route:
    replies: list[Reply]
    handler: Callable[[web.Request], Any] | None = None
    served: int = 0


@dataclass
class Loopback:
    """The server. ``requests`` lists every request received, in order."""

    requests: list[Recorded] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0
    _routes: dict[str, _Route] = field(default_factory=dict)
    _fallback: Callable[[web.Request], Any] | None = None
    _server: TestServer | None = None
    _base: str = ""

    async def __aenter__(self) -> Loopback:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._server = TestServer(app, host="127.0.0.1", port=0)
        await self._server.start_server()
        self._base = str(self._server.make_url("")).rstrip("/")
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._server is not None:
            await self._server.close()

    @property
    def base(self) -> str:
        """``http://127.0.0.1:<port>``; still readable after the server stopped."""
        return self._base

    def url(self, path: str) -> str:
        return self.base + path

    def route(self, path: str, *replies: Reply) -> Loopback:
        """Serve ``replies`` in order at ``path`` (query strings ignored); the last repeats."""
        self._routes[path] = _Route(list(replies) or [Reply.error(204)])
        return self

    def handler(self, path: str, fn: Callable[[web.Request], Any]) -> Loopback:
        """Answer ``path`` with ``fn(request) -> Reply`` (sync or async), e.g. to page by query."""
        self._routes[path] = _Route([], handler=fn)
        return self

    def fallback(self, fn: Callable[[web.Request], Any]) -> Loopback:
        """Answer every path that has no route with ``fn(request) -> Reply`` (sync or async):
        a whole fake API behind one server."""
        self._fallback = fn
        return self

    def hits(self, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.path == path]

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        self.requests.append(
            Recorded(
                request.method,
                request.path,
                dict(request.query),
                dict(request.headers),
                body,
                time.monotonic(),
            )
        )
        route = self._routes.get(request.path)
        if route is None and self._fallback is not None:
            route = _Route([], handler=self._fallback)
        if route is None:
            return web.Response(status=404, text=f"no route for {request.path}")
        if route.handler is not None:
            reply = route.handler(request)
            if asyncio.iscoroutine(reply):
                reply = await reply
        else:
            reply = route.replies[min(route.served, len(route.replies) - 1)]
        route.served += 1
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            return await self._respond(request, reply)
        finally:
            self.in_flight -= 1

    async def _respond(self, request: web.Request, reply: Reply) -> web.StreamResponse:
        if reply.delay:
            await asyncio.sleep(reply.delay)
        if reply.fault == "reset":
            assert request.transport is not None
            request.transport.close()
            return web.Response(status=500)
        headers = dict(reply.headers)
        if reply.fault == "truncate":
            keep = int(headers.pop("X-Keep"))
            resp = web.StreamResponse(status=reply.status, headers=headers)
            resp.content_type = reply.content_type
            resp.content_length = len(reply.body)
            await resp.prepare(request)
            await resp.write(reply.body[:keep])
            assert request.transport is not None
            request.transport.close()
            return resp
        if reply.fault == "chunked":
            size = int(headers.pop("X-Chunk"))
            resp = web.StreamResponse(status=reply.status, headers=headers)
            resp.content_type = reply.content_type
            await resp.prepare(request)
            for start in range(0, len(reply.body), size):
                await resp.write(reply.body[start : start + size])
            await resp.write_eof()
            return resp
        resp = web.Response(status=reply.status, body=reply.body, headers=headers)
        if reply.status not in (204, 304):
            resp.content_type = reply.content_type
        return resp
