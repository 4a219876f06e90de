"""``ChartService``: warmed render workers, a timeout, and a PNG cache, behind a blocking API.

Drawing a chart holds the GIL for ~50–90 ms, so the bot must never draw on its event loop, and a
thread pool only moves the stall around (the loop still waits for the GIL). A few warmed worker
*processes* keep the loop free and let two charts draw at once on two cores. Workers are
started with ``forkserver`` (or ``spawn``), never ``fork``: the bot's process already runs
threads (discord.py, aiohttp, executors), and forking those is unsafe. Each worker imports
matplotlib and draws once before it reports ready, so no user pays the ~0.4 s first render.

Where processes cannot start (sandboxes without semaphores, frozen apps), the service falls back
to daemon threads in this process: slower under load, same API.

The API is synchronous on purpose: command handlers are synchronous, and the bot calls them
through ``asyncio.to_thread``. ``render`` blocks the calling thread (not the loop) until the PNG
is ready, and raises ``ChartTimeout`` when the deadline passes. A worker that overruns is killed
and replaced, so one pathological chart cannot take a worker away for good.

PNGs are cached by ``(spec, data_version)``: identical requests within one data version cost
one render, including requests that arrive while the first is still drawing (they wait for it).
"""

from __future__ import annotations

import atexit
import contextlib
import importlib
import logging
import os
import queue
import signal
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from trendbot.charts.spec import ChartSpec, ChartSpecError

log = logging.getLogger("trendbot.charts")

DEFAULT_TARGET = "trendbot.charts.render:render_png"
DEFAULT_TIMEOUT = 10.0
WORKER_NICE = 10  # workers run at a lower CPU priority than the process that owns them
Mode = Literal["auto", "process", "thread"]
RenderFn = Callable[[ChartSpec], bytes]


class ChartError(RuntimeError):
    """The chart could not be drawn (worker crashed, service closed, renderer failed)."""


class ChartTimeout(ChartError):
    """The chart was not ready before the deadline; the worker that overran was replaced."""


@dataclass(frozen=True)
class RenderResult:
    png: bytes
    width: int
    height: int
    cached: bool  # served from the cache (or from an identical request already drawing)
    render_ms: float  # time the renderer spent drawing; 0.0 for a cache hit
    wall_ms: float  # time render() took, queueing and transfer included


@dataclass(frozen=True)
class ChartStats:
    mode: str  # "process", "thread", "not started" or "closed"
    workers: int
    renders: int  # PNGs actually drawn for callers (warm-up renders excluded)
    cache_hits: int
    timeouts: int
    errors: int
    restarts: int  # workers replaced after a timeout or crash
    cache_entries: int
    cache_bytes: int


def default_workers() -> int:
    """One worker per core, minus one core left to the bot's event loop (at least one).

    Measured on 2 cores (bench/bench_charts.py): with 2 workers busy, the loop's worst wake-up
    delay during a burst of 8 charts reached 12–15 ms; with 1 it stayed near 5 ms. A single
    chart is drawn just as fast either way; only a burst queues a little longer.
    """
    return max(1, (os.cpu_count() or 2) - 1)


def png_size(png: bytes) -> tuple[int, int]:
    """(width, height) from a PNG's IHDR chunk; (0, 0) if the bytes are not a PNG."""
    if len(png) < 24 or png[:8] != b"\x89PNG\r\n\x1a\n" or png[12:16] != b"IHDR":
        return 0, 0
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def resolve_target(target: str) -> RenderFn:
    """'package.module:function' → the function (how a worker finds its renderer)."""
    module, _, name = target.partition(":")
    fn = getattr(importlib.import_module(module), name or "render_png")
    if not callable(fn):
        raise TypeError(f"{target} is not callable")
    return fn


def warm_up(render: RenderFn) -> None:
    """Draw one line chart and one bar chart so fonts, caches and code paths are loaded."""
    from trendbot.charts.spec import Series, line_chart

    pts = ((2018.0, 40.0), (2019.0, 55.0), (2020.0, 70.0))
    line = line_chart("warm-up", [Series("PyTorch", "pytorch", pts)], footnote="warm-up")
    bars = line_chart("warm-up", [Series("PyTorch", "pytorch", pts[:1])], footnote="warm-up")
    render(line)
    render(bars)


# -- the worker process ---------------------------------------------------------------------------
def _worker_main(conn: Any, target: str, warm: bool = True) -> None:
    """Loop in a worker process: receive a spec, send back PNG bytes or an error string."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    with contextlib.suppress(OSError, AttributeError):
        # Drawing is background work: when both cores are busy drawing, the bot's event loop
        # (gateway heartbeats, quick commands) should still get the CPU the moment it wakes.
        os.nice(WORKER_NICE)
    try:
        import matplotlib

        matplotlib.use("Agg")
        render = resolve_target(target)
        if warm:
            warm_up(resolve_target(DEFAULT_TARGET) if target != DEFAULT_TARGET else render)
    except BaseException as exc:  # report, then exit: the parent falls back or raises
        conn.send(("failed", f"{type(exc).__name__}: {exc}"[:500]))
        return
    conn.send(("ready", os.getpid()))
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):  # the parent went away
            return
        if msg is None:
            return
        started = time.perf_counter()
        try:
            png = render(msg)
        except Exception as exc:
            conn.send(("error", f"{type(exc).__name__}: {exc}"[:500]))
        else:
            conn.send(("ok", png, (time.perf_counter() - started) * 1000))


class _ProcessWorker:
    def __init__(self, mp: Any, target: str, warm: bool = True) -> None:
        self.conn, child = mp.Pipe(duplex=True)
        self.proc = mp.Process(
            target=_worker_main, args=(child, target, warm), name="trendbot-chart", daemon=True
        )
        self.proc.start()
        child.close()
        self.pid = self.proc.pid

    def wait_ready(self, timeout: float) -> None:
        if not self.conn.poll(timeout):
            raise ChartError(f"chart worker did not start within {timeout:.0f} s")
        msg = self.conn.recv()
        if msg[0] != "ready":
            raise ChartError(f"chart worker failed to start: {msg[1]}")

    def kill(self) -> None:
        try:
            self.proc.kill()
            self.proc.join(2)
        finally:
            self.conn.close()

    def stop(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self.conn.send(None)
        self.proc.join(1)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join(1)
        self.conn.close()


@dataclass
class _Flight:
    """A render in progress that identical requests wait on instead of drawing again."""

    done: threading.Event = field(default_factory=threading.Event)
    png: bytes = b""
    error: BaseException | None = None


class ChartService:
    """Render ``ChartSpec``s to PNG off the caller's event loop, with a timeout and a cache.

    - ``workers``: render processes (or threads); by default one per core but one, so that a
      burst of charts never takes every core from the event loop;
    - ``timeout``: seconds ``render`` may take in all, waiting for a free worker included;
    - ``mode``: ``"process"``, ``"thread"``, or ``"auto"`` (processes, else threads);
    - ``start_method``: ``"forkserver"`` or ``"spawn"`` (never ``"fork"``);
    - ``cache_entries`` / ``cache_bytes``: bounds of the PNG cache (LRU);
    - ``render_target``: ``"module:function"`` that draws a spec; tests and benchmarks swap it;
    - ``warm``: draw once per worker at start so no user pays the first-render cost.
    """

    def __init__(
        self,
        workers: int | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        mode: Mode = "auto",
        start_method: str = "forkserver",
        cache_entries: int = 256,
        cache_bytes: int = 64 * 1024 * 1024,
        render_target: str = DEFAULT_TARGET,
        start_timeout: float = 60.0,
        warm: bool = True,
    ) -> None:
        if mode not in ("auto", "process", "thread"):
            raise ValueError(f"mode must be auto, process or thread, not {mode!r}")
        if start_method == "fork":
            raise ValueError("fork is unsafe in a threaded process; use forkserver or spawn")
        self.workers = default_workers() if workers is None else max(1, int(workers))
        self.timeout = float(timeout)
        self.requested_mode = mode
        self.start_method = start_method
        self.cache_entries = cache_entries
        self.cache_bytes_limit = cache_bytes
        self.render_target = render_target
        self.start_timeout = start_timeout
        self.warm = warm
        self._mode = "not started"
        self._lock = threading.RLock()
        self._start_lock = threading.Lock()
        self._cache: OrderedDict[tuple[ChartSpec, int], bytes] = OrderedDict()
        self._cache_bytes = 0
        self._newest_version: int | None = None
        self._inflight: dict[tuple[ChartSpec, int], _Flight] = {}
        self._counts = {"renders": 0, "cache_hits": 0, "timeouts": 0, "errors": 0, "restarts": 0}
        # process mode
        self._mp: Any = None
        self._idle: queue.Queue[_ProcessWorker] = queue.Queue()
        self._procs: set[_ProcessWorker] = set()
        # thread mode
        self._render_fn: RenderFn | None = None
        self._slots: threading.Semaphore | None = None
        self._renders: set[threading.Thread] = set()

    # -- lifecycle ------------------------------------------------------------------------------
    def start(self) -> ChartService:
        """Start and warm the workers (idempotent). Blocks for about a second; call at startup."""
        with self._start_lock:
            if self._mode == "closed":
                raise ChartError("the chart service is closed")
            if self._mode != "not started":
                return self
            if self.requested_mode in ("auto", "process"):
                try:
                    self._start_processes()
                    self._mode = "process"
                    return self
                except Exception as exc:
                    self._kill_all()
                    if self.requested_mode == "process":
                        raise ChartError(f"chart worker processes could not start: {exc}") from exc
                    log.warning("chart workers could not start (%s); drawing in threads", exc)
            self._start_threads()
            self._mode = "thread"
            return self

    def _start_processes(self) -> None:
        # Like any forkserver/spawn pool, workers re-import the parent's __main__ script, so a
        # script that starts a service needs an ``if __name__ == "__main__":`` guard ("auto"
        # falls back to threads when it has none). The fork server preloads the renderer
        # (not __main__), so each worker forked from it starts with matplotlib imported.
        import multiprocessing  # here, not at the top: `trendbot ask` never needs it

        mp = multiprocessing.get_context(self.start_method)
        if self.start_method == "forkserver":
            mp.set_forkserver_preload(["trendbot.charts.render"])
        self._mp = mp
        started = [_ProcessWorker(mp, self.render_target, self.warm) for _ in range(self.workers)]
        with self._lock:
            self._procs.update(started)
        deadline = time.monotonic() + self.start_timeout
        for w in started:
            w.wait_ready(max(0.1, deadline - time.monotonic()))
            self._idle.put(w)

    def _start_threads(self) -> None:
        self._render_fn = resolve_target(self.render_target)
        self._slots = threading.Semaphore(self.workers)
        _THREAD_SERVICES.add(self)
        if self.warm:
            warm_up(resolve_target(DEFAULT_TARGET))

    def close(self) -> None:
        """Stop the workers. Safe to call twice; ``render`` afterwards raises ``ChartError``."""
        with self._start_lock:
            self._mode = "closed"
            self._kill_all(graceful=True)
            self._finish_renders(CLOSE_GRACE)
            with self._lock:
                self._cache.clear()
                self._cache_bytes = 0

    def _finish_renders(self, grace: float) -> None:
        """Wait (bounded) for abandoned render threads.

        A thread cannot be killed, and the interpreter must not finalise while one is inside
        matplotlib's C++ code: the process then aborts ("terminate called without an active
        exception"). Renders are bounded by ChartSpec's limits, so they end soon after their
        deadline; closing waits for them, up to ``grace`` seconds in all.
        """
        end = time.monotonic() + grace
        for t in list(self._renders):
            t.join(max(0.0, end - time.monotonic()))

    def _kill_all(self, graceful: bool = False) -> None:
        with self._lock:
            procs, self._procs = list(self._procs), set()
        while True:
            try:
                self._idle.get_nowait()
            except queue.Empty:
                break
        for w in procs:
            try:
                w.stop() if graceful else w.kill()
            except Exception:  # pragma: no cover - best effort at shutdown
                log.debug("chart worker %s did not stop cleanly", w.pid, exc_info=True)

    def __enter__(self) -> ChartService:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def mode(self) -> str:
        return self._mode

    @property
    def closed(self) -> bool:
        return self._mode == "closed"

    @property
    def stats(self) -> ChartStats:
        with self._lock:
            return ChartStats(
                mode=self._mode,
                workers=self.workers,
                cache_entries=len(self._cache),
                cache_bytes=self._cache_bytes,
                **self._counts,
            )

    def worker_pids(self) -> list[int]:
        """Process ids of the live render workers (empty in thread mode), e.g. to read RSS."""
        with self._lock:
            return sorted(w.pid for w in self._procs if w.pid is not None)

    # -- rendering ------------------------------------------------------------------------------
    def render(
        self, spec: ChartSpec, data_version: int = 0, *, timeout: float | None = None
    ) -> RenderResult:
        """The PNG for ``spec``, from the cache when this data version already drew it.

        Blocks the calling thread. Raises ``ChartSpecError`` for a spec out of bounds,
        ``ChartTimeout`` past the deadline, ``ChartError`` when the chart cannot be drawn.
        """
        t0 = time.perf_counter()
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        if not isinstance(spec, ChartSpec):
            raise ChartSpecError("render() needs a ChartSpec")
        spec.validate()
        if self._mode == "not started":
            self.start()
        if self._mode == "closed":
            raise ChartError("the chart service is closed")
        key = (spec, int(data_version))
        with self._lock:
            png = self._cache.get(key)
            if png is not None:
                self._cache.move_to_end(key)
                self._counts["cache_hits"] += 1
                return self._result(png, True, 0.0, t0)
            flight = self._inflight.get(key)
            leader = flight is None
            if flight is None:
                flight = self._inflight[key] = _Flight()
        if not leader:
            if not flight.done.wait(max(0.0, deadline - time.monotonic())):
                with self._lock:
                    self._counts["timeouts"] += 1
                raise ChartTimeout("the chart was not ready in time")
            if flight.error is not None:
                raise flight.error
            with self._lock:
                self._counts["cache_hits"] += 1
            return self._result(flight.png, True, 0.0, t0)
        try:
            png, render_ms = self._draw(spec, deadline)
            flight.png = png
            with self._lock:
                self._counts["renders"] += 1
                self._store(key, png)
            return self._result(png, False, render_ms, t0)
        except BaseException as exc:
            flight.error = exc
            with self._lock:
                self._counts["timeouts" if isinstance(exc, ChartTimeout) else "errors"] += 1
            raise
        finally:
            with self._lock:
                self._inflight.pop(key, None)
            flight.done.set()

    @staticmethod
    def _result(png: bytes, cached: bool, render_ms: float, t0: float) -> RenderResult:
        w, h = png_size(png)
        return RenderResult(png, w, h, cached, render_ms, (time.perf_counter() - t0) * 1000)

    def _store(self, key: tuple[ChartSpec, int], png: bytes) -> None:
        version = key[1]
        if self._newest_version is None or version > self._newest_version:
            # Numbers changed: every older PNG may now be wrong, so none is worth keeping.
            self._newest_version = version
            for old in [k for k in self._cache if k[1] < version]:
                self._cache_bytes -= len(self._cache.pop(old))
        if len(png) > self.cache_bytes_limit:
            return
        self._cache[key] = png
        self._cache_bytes += len(png)
        while self._cache and (
            len(self._cache) > self.cache_entries or self._cache_bytes > self.cache_bytes_limit
        ):
            _, dropped = self._cache.popitem(last=False)
            self._cache_bytes -= len(dropped)

    def _draw(self, spec: ChartSpec, deadline: float) -> tuple[bytes, float]:
        if self._mode == "process":
            return self._draw_in_process(spec, deadline)
        if self._mode == "thread":
            return self._draw_in_thread(spec, deadline)
        raise ChartError("the chart service is closed")

    def _draw_in_process(self, spec: ChartSpec, deadline: float) -> tuple[bytes, float]:
        # One retry if the worker turns out to be dead (killed while idle, e.g. by the OOM
        # killer): the request then goes to another worker instead of failing.
        for attempt in (1, 2):
            worker = self._take_worker(deadline)
            try:
                worker.conn.send(spec)
                if not worker.conn.poll(max(0.0, deadline - time.monotonic())):
                    self._replace(worker, "overran its deadline")
                    raise ChartTimeout("drawing the chart took too long")
                msg = worker.conn.recv()
            except (EOFError, OSError) as exc:
                self._replace(worker, f"died ({type(exc).__name__})")
                if attempt == 2 or self._mode != "process":
                    raise ChartError("the chart worker stopped unexpectedly") from exc
                continue
            except ChartTimeout:
                raise
            except Exception as exc:  # e.g. an unpicklable spec: the worker itself is fine
                self._idle.put(worker)
                raise ChartError(f"could not send the chart to a worker: {exc}") from exc
            self._idle.put(worker)
            if msg[0] == "ok":
                return msg[1], msg[2]
            raise ChartError(f"the renderer failed: {msg[1]}")
        raise AssertionError("unreachable")  # pragma: no cover

    def _take_worker(self, deadline: float) -> _ProcessWorker:
        """An idle worker, waiting until the deadline; gives up at once if the service closes."""
        while True:
            if self._mode != "process":
                raise ChartError("the chart service is closed")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ChartTimeout("every chart worker stayed busy until the deadline")
            try:
                # Short waits, so that close() never leaves a caller blocked until its deadline.
                return self._idle.get(timeout=min(remaining, 0.25))
            except queue.Empty:
                continue

    def _replace(self, worker: _ProcessWorker, why: str) -> None:
        """Kill a worker now and start a warmed replacement in the background."""
        log.warning("chart worker %s %s; replacing it", worker.pid, why)
        with self._lock:
            self._procs.discard(worker)
            self._counts["restarts"] += 1
        worker.kill()
        threading.Thread(target=self._respawn, name="trendbot-chart-respawn", daemon=True).start()

    def _respawn(self) -> None:
        if self._mode != "process":
            return
        try:
            fresh = _ProcessWorker(self._mp, self.render_target, self.warm)
            with self._lock:
                if self._mode != "process":
                    fresh.kill()
                    return
                self._procs.add(fresh)
            fresh.wait_ready(self.start_timeout)
        except Exception:
            log.exception("could not start a replacement chart worker")
            return
        if self._mode == "process":
            self._idle.put(fresh)
        else:
            fresh.kill()

    def _draw_in_thread(self, spec: ChartSpec, deadline: float) -> tuple[bytes, float]:
        assert self._slots is not None and self._render_fn is not None
        if not self._slots.acquire(timeout=max(0.0, deadline - time.monotonic())):
            raise ChartTimeout("every chart thread stayed busy until the deadline")
        box: dict[str, Any] = {}
        render = self._render_fn
        slots = self._slots

        renders = self._renders

        def run() -> None:
            started = time.perf_counter()
            try:
                box["png"] = render(spec)
                box["ms"] = (time.perf_counter() - started) * 1000
            except BaseException as exc:
                box["error"] = exc
            finally:
                slots.release()
                renders.discard(threading.current_thread())

        # A daemon thread per render: one that overruns its deadline is abandoned (threads
        # cannot be killed); close() and interpreter exit wait a bounded time for it to end.
        t = threading.Thread(target=run, name="trendbot-chart-render", daemon=True)
        renders.add(t)
        t.start()
        t.join(max(0.0, deadline - time.monotonic()))
        if t.is_alive():
            raise ChartTimeout("drawing the chart took too long")
        if "error" in box:
            raise ChartError(f"the renderer failed: {box['error']}") from box["error"]
        return box["png"], box["ms"]


# Thread-mode services still drawing when the interpreter exits get a bounded wait (see
# ``_finish_renders``); atexit runs before finalisation, while daemon threads still run.
CLOSE_GRACE = 10.0
_THREAD_SERVICES: weakref.WeakSet[ChartService] = weakref.WeakSet()


@atexit.register
def _finish_thread_renders_at_exit() -> None:
    for service in list(_THREAD_SERVICES):
        service._finish_renders(CLOSE_GRACE)


# -- the process-wide fallback --------------------------------------------------------------------
_default: ChartService | None = None
_default_lock = threading.Lock()


def default_service() -> ChartService:
    """A lazily created in-process service for callers that were not handed one.

    The bot creates a process-pool ``ChartService`` at startup and passes it in
    ``ctx.services["charts"]``. The console, ``trendbot ask`` and tests have no event loop to
    protect, so they get this one: one render thread, not warmed (a one-shot command would pay
    the warm-up and then draw anyway), closed at interpreter exit.
    """
    global _default
    with _default_lock:
        if _default is None or _default.closed:
            _default = ChartService(workers=1, mode="thread", warm=False)
            atexit.register(_default.close)
        return _default
