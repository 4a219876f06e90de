"""ClickHouse's HTTP interface in front of a real ClickHouse engine (chDB), for the PyPI collector.

The collector's SQL is run as it is sent, by chDB (ClickHouse in-process, the ``chdb-core-lite``
test dependency), against ``pypi.pypi_downloads_per_day`` with ClickPy's own DDL: ``date Date,
project String, count Int64``, a SummingMergeTree ordered by (project, date). Rows are inserted
in several INSERTs, so one (project, date) sits in several unmerged parts, as on the public
server between merges: a query that does not ``sum(count)`` gets wrong numbers here too.

HTTP behaviour as ClickHouse documents it: the query in the POST body or the ``query`` URL
parameter (both: concatenated), user from basic auth or ``X-ClickHouse-User`` (only ``demo``
with an empty password is known), a read-only user, 64-bit integers quoted in JSON (the server's
default), ``X-ClickHouse-Query-Id/-Format/-Timezone/-Summary`` headers, and errors as plain text
``Code: N. DB::Exception: …`` with status 400 (syntax), 404 (unknown table), 403 (auth) or 500.

chDB runs one engine per process; ``ChdbClickHouse`` closes the previous one it opened.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import json
import re
import tempfile
import threading
import uuid

from aiohttp import web

from tests.support.loopback import Reply

try:  # a test-only dependency; tests that need it skip without it
    from chdb.session import Session

    CHDB_ERROR = None
except ImportError as exc:  # pragma: no cover - depends on the environment
    Session = None
    CHDB_ERROR = f"chdb cannot be imported ({exc}); pip install chdb-core-lite"

DDL = (
    "CREATE TABLE pypi.pypi_downloads_per_day (`date` Date, `project` String, `count` Int64)"
    " ENGINE = SummingMergeTree ORDER BY (project, date)"
)
_LOCK = threading.Lock()
_CURRENT: list = []
_STATUS = {62: 400, 60: 404, 81: 404, 516: 403, 164: 403}
_FORMAT = re.compile(r"\bFORMAT\s+(\w+)\s*;?\s*$", re.IGNORECASE)


class ChdbClickHouse:
    """``rows``: (project, date, count); each list in ``parts`` is inserted separately."""

    def __init__(self, parts: list[list[tuple[str, dt.date, int]]], user: str = "demo") -> None:
        if Session is None:
            raise RuntimeError(CHDB_ERROR)
        self.user = user
        self.queries: list[str] = []
        with _LOCK:
            while _CURRENT:
                _CURRENT.pop().close()
            self.session = Session(tempfile.mkdtemp(prefix="trendbot-chdb-"))
            _CURRENT.append(self.session)
            self.session.query("CREATE DATABASE IF NOT EXISTS pypi")
            self.session.query(DDL)
            for part in parts:
                if part:
                    values = ", ".join(f"('{d.isoformat()}', '{p}', {n})" for p, d, n in part)
                    self.session.query(
                        f"INSERT INTO pypi.pypi_downloads_per_day (date, project, count) "
                        f"VALUES {values}"
                    )
            # The public server's defaults: 64-bit integers quoted in JSON, a read-only user.
            self.session.query("SET output_format_json_quote_64bit_integers = 1")
            self.session.query("SET readonly = 2")

    def _run(self, sql: str) -> str:
        with _LOCK:
            return str(self.session.query(sql, "TabSeparated"))

    async def handle(self, request: web.Request) -> Reply:
        body = (await request.read()).decode("utf-8", "replace")
        sql = " ".join(x for x in (request.query.get("query", ""), body) if x.strip())
        user, password = self._credentials(request)
        qid = str(uuid.uuid4())
        base = (("X-ClickHouse-Query-Id", qid), ("X-ClickHouse-Timezone", "UTC"),
                ("X-ClickHouse-Server-Display-Name", "loopback-chdb"))  # fmt: skip
        if user != self.user or password:
            return self._error(
                516,
                f"{user}: Authentication failed: password is incorrect, or there is no user "
                "with such name.",
                base,
            )
        if not sql.strip():
            return self._error(62, "Empty query.", base)
        self.queries.append(sql)
        try:
            text = await asyncio.to_thread(self._run, sql)
        except RuntimeError as exc:
            message = str(exc)
            code = re.match(r"Code: (\d+)", message)
            return self._error(int(code.group(1)) if code else 1000, message, base, raw=True)
        fmt = _FORMAT.search(sql)
        fmt_name = fmt.group(1) if fmt else "TabSeparated"
        summary = dict.fromkeys(
            ("read_rows", "read_bytes", "written_rows", "written_bytes", "total_rows_to_read"), "0"
        )
        headers = (*base, ("X-ClickHouse-Format", fmt_name),
                   ("X-ClickHouse-Summary", json.dumps(summary)))  # fmt: skip
        ctype = "application/json" if fmt_name.upper().startswith("JSON") else "text/plain"
        return Reply(200, text.encode(), headers, ctype)

    @staticmethod
    def _credentials(request: web.Request) -> tuple[str, str]:
        auth = request.headers.get("Authorization", "")
        if auth.lower().startswith("basic "):
            user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
            return user, password
        return (
            request.headers.get("X-ClickHouse-User", request.query.get("user", "default")),
            request.headers.get("X-ClickHouse-Key", request.query.get("password", "")),
        )

    @staticmethod
    def _error(code: int, message: str, base: tuple, *, raw: bool = False) -> Reply:
        text = message if raw else f"Code: {code}. DB::Exception: {message}"
        headers = (*base, ("X-ClickHouse-Exception-Code", str(code)))
        return Reply(_STATUS.get(code, 500), (text.rstrip() + "\n").encode(), headers,
                     "text/plain")  # fmt: skip
