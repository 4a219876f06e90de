"""ChartService: warmed worker processes, the cache, timeouts that really fire, the fallback.

The worker processes here are real (forkserver), and the hang is a real render that does not
return: the test swaps the worker's render function for ``slow_render`` below, which the worker
imports by name, exactly as it imports the real renderer.
"""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from trendbot.charts import (
    ChartError,
    ChartService,
    ChartSpecError,
    ChartTimeout,
    Series,
    line_chart,
)
from trendbot.charts.render import render_png
from trendbot.charts.spec import ChartSpec

SLOW_TARGET = f"{__name__}:slow_render"


def slow_render(spec: ChartSpec) -> bytes:
    """The real renderer, except that a title starting with 'hang' sleeps first."""
    if spec.title.startswith("hang"):
        time.sleep(float(spec.title.split()[1]) if " " in spec.title else 600)
    return render_png(spec)


def make_spec(title: str = "NeurIPS", end: float = 77.0) -> ChartSpec:
    return line_chart(
        title,
        [
            Series("PyTorch", "pytorch", ((2018.0, 37.0), (2019.0, 64.0), (2020.0, end))),
            Series("TensorFlow", "tensorflow", ((2018.0, 63.0), (2019.0, 36.0))),
        ],
        footnote="test",
    )


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A killed child stays a zombie until reaped; /proc says which.
    try:
        with open(f"/proc/{pid}/status") as f:
            return "State:\tZ" not in f.read()
    except FileNotFoundError:
        return False


@pytest.fixture(scope="module")
def service():
    svc = ChartService(workers=2, mode="process", timeout=20)
    svc.start()
    yield svc
    svc.close()


def test_workers_are_warm_processes(service):
    assert service.mode == "process"
    pids = service.worker_pids()
    assert len(pids) == 2 and os.getpid() not in pids
    assert all(alive(p) for p in pids)
    result = service.render(make_spec("warm"), data_version=1)
    assert (result.width, result.height) == (1600, 900)
    assert result.png == render_png(make_spec("warm"))  # the worker draws what we would
    assert not result.cached and result.render_ms > 0


def test_cache_hits_do_not_render_again(service):
    spec = make_spec("cache", end=70.0)
    before = service.stats
    first = service.render(spec, data_version=7)
    again = [service.render(spec, data_version=7) for _ in range(5)]
    after = service.stats
    assert after.renders - before.renders == 1
    assert after.cache_hits - before.cache_hits == 5
    assert all(r.cached and r.png == first.png and r.render_ms == 0 for r in again)
    # An equal spec built separately is the same key; a new data version is not.
    service.render(make_spec("cache", end=70.0), data_version=7)
    assert service.stats.renders == after.renders
    service.render(spec, data_version=8)
    assert service.stats.renders == after.renders + 1


def test_new_data_version_drops_older_pngs(service):
    service.render(make_spec("old"), data_version=100)
    entries = service.stats.cache_entries
    service.render(make_spec("new"), data_version=101)
    assert service.stats.cache_entries <= entries  # v100 entries went, one v101 entry came
    before = service.stats.renders
    service.render(make_spec("old"), data_version=100)  # no longer cached
    assert service.stats.renders == before + 1


def test_concurrent_identical_requests_render_once(service):
    spec = make_spec("burst")
    before = service.stats
    results, errors = [], []
    barrier = threading.Barrier(6)

    def ask() -> None:
        barrier.wait()
        try:
            results.append(service.render(spec, data_version=200))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=ask) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors
    assert len({r.png for r in results}) == 1 and len(results) == 6
    assert service.stats.renders - before.renders == 1
    assert service.stats.cache_hits - before.cache_hits == 5


def test_bad_spec_is_refused_in_the_caller(service):
    before = service.stats
    with pytest.raises(ChartSpecError):
        service.render(ChartSpec("line", "x" * 5000, make_spec().series))
    with pytest.raises(ChartSpecError):
        service.render("not a spec")  # type: ignore[arg-type]
    assert service.stats.renders == before.renders


def test_a_hanging_render_times_out_and_its_worker_is_replaced():
    with ChartService(workers=1, mode="process", timeout=1.5, render_target=SLOW_TARGET) as svc:
        (pid,) = svc.worker_pids()
        ok = svc.render(make_spec("fine"))  # the swapped-in function does draw normally
        assert ok.width == 1600
        started = time.monotonic()
        with pytest.raises(ChartTimeout):
            svc.render(make_spec("hang 30"))
        waited = time.monotonic() - started
        assert 1.4 <= waited < 5
        deadline = time.monotonic() + 5
        while alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not alive(pid)  # the stuck worker was killed, not left drawing
        stats = svc.stats
        assert stats.timeouts == 1 and stats.restarts == 1
        # The replacement starts in the background; the next chart is drawn by it.
        result = svc.render(make_spec("after"), timeout=30)
        assert result.width == 1600 and not result.cached
        assert svc.worker_pids() and svc.worker_pids() != [pid]


def test_thread_mode_timeout_and_recovery():
    svc = ChartService(workers=1, mode="thread", timeout=0.3, render_target=SLOW_TARGET)
    try:
        svc.start()
        assert svc.mode == "thread" and svc.worker_pids() == []
        started = time.monotonic()
        with pytest.raises(ChartTimeout):
            svc.render(make_spec("hang 1.0"))
        assert time.monotonic() - started < 1.0
        assert svc.stats.timeouts == 1
        time.sleep(1.0)  # the abandoned thread finishes and frees its slot
        assert svc.render(make_spec("fine"), timeout=20).width == 1600
    finally:
        svc.close()


def test_falls_back_to_threads_when_processes_cannot_start():
    svc = ChartService(workers=1, mode="auto", start_method="no-such-method", warm=False)
    try:
        svc.start()
        assert svc.mode == "thread"
        assert svc.render(make_spec("fallback")).width == 1600
    finally:
        svc.close()
    with pytest.raises(ChartError):
        ChartService(workers=1, mode="process", start_method="no-such-method").start()


def test_fork_is_refused():
    with pytest.raises(ValueError):
        ChartService(start_method="fork")


def test_closed_service_refuses_and_stops_workers():
    svc = ChartService(workers=1, mode="process").start()
    (pid,) = svc.worker_pids()
    svc.close()
    svc.close()  # twice is fine
    assert not alive(pid)
    assert svc.stats.mode == "closed"
    with pytest.raises(ChartError):
        svc.render(make_spec())


def test_a_worker_killed_while_idle_is_replaced_and_the_request_still_served():
    with ChartService(workers=1, mode="process", timeout=30) as svc:
        (pid,) = svc.worker_pids()
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 5
        while alive(pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        result = svc.render(make_spec("after a crash"))
        assert result.width == 1600
        assert svc.stats.restarts == 1 and svc.stats.errors == 0
        assert svc.worker_pids() != [pid]


def test_close_releases_callers_waiting_for_a_worker():
    svc = ChartService(workers=1, mode="process", timeout=60, render_target=SLOW_TARGET).start()
    outcome: dict[str, BaseException] = {}

    def call(name: str, title: str) -> None:
        try:
            svc.render(make_spec(title))
        except BaseException as exc:
            outcome[name] = exc

    busy = threading.Thread(target=call, args=("busy", "hang 30"))
    busy.start()
    time.sleep(0.3)  # the only worker is now stuck drawing
    waiting = threading.Thread(target=call, args=("waiting", "queued"))
    waiting.start()
    time.sleep(0.3)
    started = time.monotonic()
    svc.close()
    busy.join(5)
    waiting.join(5)
    assert time.monotonic() - started < 5  # not the 60 s deadline
    assert isinstance(outcome["busy"], ChartError)
    assert isinstance(outcome["waiting"], ChartError)


def test_close_waits_for_abandoned_thread_renders():
    """Regression: pytest exited with 134 ("terminate called without an active exception") when
    the interpreter finalised while an abandoned render thread was inside matplotlib. close()
    (and interpreter exit, via atexit) now waits, bounded, for such threads."""
    svc = ChartService(workers=1, mode="thread", timeout=0.2, render_target=SLOW_TARGET).start()
    with pytest.raises(ChartTimeout):
        svc.render(make_spec("hang 0.6"))
    assert any(t.name == "trendbot-chart-render" for t in threading.enumerate())
    svc.close()
    assert not any(t.name == "trendbot-chart-render" for t in threading.enumerate())
