"""Share a recompute's searches with helper processes, on the box's other cores.

scipy's Dijkstra holds the GIL, so threads cannot share the searches of one
recompute; processes can. `spread(fn, shared, tasks, helpers=N)` returns
`[fn(shared, task) for task in tasks]`: this process answers every
(N+1)-th task while N helpers answer the rest, each sent `shared` (a
search graph, a few MB) once per call.

The helpers are a `ProcessPoolExecutor` on a fork server: a fresh
interpreter that imported numpy and scipy once, so starting a helper is
safe beside a web server's threads. Starting takes about a second, so the
first call starts them in the background and answers alone; the pool is
then kept for the life of the process. A helper that dies (killed, out of
memory) costs no answer: its share is answered here and the helpers are
started again. An error raised by `fn` itself is raised as it would be here.

Work too small to repay sending it (fewer than two tasks per process) is
answered here alone, as is every call when `helpers` is 0.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

logger = logging.getLogger(__name__)

MAX_DEFAULT_HELPERS = 3

_lock = threading.Lock()
_helpers: _Helpers | None = None


class _Helpers:
    """A pool of `size` helper processes and the call that proves them up."""

    def __init__(self, size: int) -> None:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["quarter.coverage.graph"])
        self.size = size
        self.pool = ProcessPoolExecutor(max_workers=size, mp_context=context)
        # One call per helper: each has started and imported its modules.
        self.warm: list[Future] = [self.pool.submit(_pid) for _ in range(size)]

    @property
    def ready(self) -> bool:
        return all(f.done() and f.exception() is None for f in self.warm)


def default_helpers() -> int:
    """The cores this process may run on, less its own, at most 3."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(0, min(MAX_DEFAULT_HELPERS, cores - 1))


def _pid() -> int:
    return os.getpid()


def serial(fn: Callable, shared, tasks) -> list:
    """`[fn(shared, task) for task in tasks]`, in this process."""
    return [fn(shared, task) for task in tasks]


def start(helpers: int, *, wait: bool = False) -> _Helpers | None:
    """Start `helpers` processes unless running; with `wait`, until they
    answer (a benchmark or test that must not time their start)."""
    global _helpers
    if helpers <= 0:
        return None
    with _lock:
        if _helpers is None or _helpers.size != helpers:
            if _helpers is not None:
                _helpers.pool.shutdown(wait=False, cancel_futures=True)
            _helpers = _Helpers(helpers)
        current = _helpers
    if wait:
        for f in current.warm:
            f.result()
    return current


def _forget(helpers: _Helpers) -> None:
    """Drop broken helpers (the next call starts new ones)."""
    global _helpers
    with _lock:
        if _helpers is helpers:
            _helpers = None
    helpers.pool.shutdown(wait=False, cancel_futures=True)


def shutdown() -> None:
    """Stop the helpers (tests; a process about to exit needs not call it)."""
    global _helpers
    with _lock:
        current, _helpers = _helpers, None
    if current is not None:
        current.pool.shutdown(wait=True, cancel_futures=True)


def helper_pids() -> list[int]:
    """The running helpers' process ids."""
    with _lock:
        current = _helpers
    if current is None or not current.ready:
        return []
    return sorted({f.result() for f in current.warm})


def spread(fn: Callable, shared, tasks: Sequence, *, helpers: int) -> list:
    """`[fn(shared, task) for task in tasks]`, shared with up to `helpers`
    processes. `fn` must be a module-level function, `shared` and the tasks
    picklable."""
    tasks = list(tasks)
    processes = min(helpers + 1, len(tasks) // 2)
    current = start(helpers) if processes >= 2 else None
    if current is None or not current.ready:
        return serial(fn, shared, tasks)
    shares = [list(range(k, len(tasks), processes)) for k in range(processes)]
    try:
        futures = [
            current.pool.submit(serial, fn, shared, [tasks[i] for i in share])
            for share in shares[1:]
        ]
    except (BrokenProcessPool, RuntimeError):  # broken, or shut down meanwhile
        _forget(current)
        return serial(fn, shared, tasks)
    results: list = [None] * len(tasks)
    for i in shares[0]:
        results[i] = fn(shared, tasks[i])
    for share, future in zip(shares[1:], futures, strict=True):
        try:
            answers = future.result()
        except BrokenProcessPool:
            logger.warning("a coverage helper died; its searches ran here instead")
            _forget(current)
            answers = serial(fn, shared, [tasks[i] for i in share])
        for i, answer in zip(share, answers, strict=True):
            results[i] = answer
    return results
