"""Share a recompute's searches with helper processes, on the box's other cores.

scipy's Dijkstra holds the GIL, so threads cannot share the searches of one
recompute; processes can. `spread(fn, shared, tasks, helpers=N)` returns
`[fn(shared, task) for task in tasks]`: this process answers every
(N+1)-th task while N helpers answer the rest, each sent `shared` (a
search graph, a few MB) once per call.

Each helper is a process on a fork server (a fresh interpreter that
imported numpy and scipy once, so starting one is safe beside a web
server's threads) with a pipe of its own. The call is written to the pipe
by the calling thread itself, so a helper starts on its share at once (an
executor's hand-off through its own threads cost 5-8 ms per call while
this process's searches held the GIL). Starting the helpers takes about a
second, so the first call starts them in the background and answers alone;
they are then kept for the life of the process. One call at a time uses
them; a call made meanwhile (another thread) answers alone.

A helper that dies (killed, out of memory) costs no answer: its share is
answered here and the helpers are started again. An error raised by `fn`
itself is raised as it would be here. Work too small to repay sending it
(fewer than two tasks per process) is answered here alone, as is every call
when `helpers` is 0.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
from collections.abc import Callable, Sequence

logger = logging.getLogger(__name__)

MAX_DEFAULT_HELPERS = 3

_lock = threading.Lock()
_helpers: _Helpers | None = None


def default_helpers() -> int:
    """The cores this process may run on, less its own, at most 3."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(0, min(MAX_DEFAULT_HELPERS, cores - 1))


def serial(fn: Callable, shared, tasks) -> list:
    """`[fn(shared, task) for task in tasks]`, in this process."""
    return [fn(shared, task) for task in tasks]


def _serve(conn) -> None:
    """A helper's life: say it is up, then answer each (fn, shared, tasks)
    with (True, answers) or (False, the error fn raised), until the parent
    closes its end or exits."""
    conn.send(os.getpid())
    while True:
        try:
            fn, shared, tasks = conn.recv()
        except EOFError:
            return
        try:
            answer = (True, serial(fn, shared, tasks))
        except Exception as exc:
            answer = (False, exc)
        try:
            conn.send(answer)
        except Exception as exc:  # an answer that does not pickle: its words do
            words = f"a helper's answer did not pickle: {exc!r}"
            conn.send((False, RuntimeError(words)))


class _Dead(Exception):
    """A helper's pipe is closed: the process died."""


class _Helper:
    """One helper process and this process's end of its pipe."""

    def __init__(self, context) -> None:
        self.conn, theirs = context.Pipe()
        self.process = context.Process(
            target=_serve, args=(theirs,), daemon=True, name="coverage-helper"
        )
        self.process.start()
        theirs.close()
        self.pid: int | None = None  # known once it has said it is up

    def up(self, timeout: float = 0.0) -> bool:
        if self.pid is None:
            try:
                if self.conn.poll(timeout):
                    self.pid = self.conn.recv()
            except (EOFError, OSError) as exc:
                raise _Dead from exc
        return self.pid is not None

    def answer(self):
        try:
            return self.conn.recv()
        except (EOFError, OSError) as exc:
            raise _Dead from exc

    def stop(self) -> None:
        self.conn.close()  # its recv ends, and it returns
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()


class _Helpers:
    """`size` helper processes, started by a thread of their own."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.members: list[_Helper] = []
        self.lock = threading.Lock()  # held by the one call using them
        self._launching = threading.Thread(
            target=self._launch, name="coverage-helpers-start", daemon=True
        )
        self._launching.start()

    def _launch(self) -> None:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["quarter.coverage.graph"])
        try:
            for _ in range(self.size):
                self.members.append(_Helper(context))
        except Exception:
            logger.exception("coverage helpers could not start; searching alone")

    def ready(self, timeout: float = 0.0) -> bool:
        """Whether every helper is up (waiting up to `timeout` for each);
        with the lock held. Raises _Dead for one that died."""
        if timeout:
            self._launching.join(timeout)
        if self._launching.is_alive() or len(self.members) < self.size:
            return False
        return all(member.up(timeout) for member in self.members)

    def send(self, member: _Helper, message) -> None:
        try:
            member.conn.send(message)
        except OSError as exc:  # BrokenPipeError: it died while waiting
            raise _Dead from exc

    def stop(self) -> None:
        self._launching.join()
        for member in self.members:
            member.stop()


def start(helpers: int, *, wait: bool = False) -> _Helpers | None:
    """Start `helpers` processes unless running; with `wait`, until they
    answer (a benchmark or test that must not time their start)."""
    global _helpers
    if helpers <= 0:
        return None
    replaced = None
    with _lock:
        if _helpers is None or _helpers.size != helpers:
            replaced, _helpers = _helpers, _Helpers(helpers)
        current = _helpers
    if replaced is not None:
        replaced.stop()
    if wait:
        with current.lock:
            if not current.ready(timeout=60):
                raise RuntimeError("coverage helpers did not start within a minute")
    return current


def _forget(helpers: _Helpers) -> None:
    """Drop broken helpers (the next call starts new ones)."""
    global _helpers
    with _lock:
        if _helpers is helpers:
            _helpers = None
    threading.Thread(target=helpers.stop, daemon=True).start()


def shutdown() -> None:
    """Stop the helpers (tests; a process about to exit needs not call it)."""
    global _helpers
    with _lock:
        current, _helpers = _helpers, None
    if current is not None:
        current.stop()


def helper_pids() -> list[int]:
    """The running helpers' process ids."""
    with _lock:
        current = _helpers
    if current is None:
        return []
    with current.lock:
        try:
            return sorted(m.pid for m in current.members) if current.ready() else []
        except _Dead:
            return []


def spread(fn: Callable, shared, tasks: Sequence, *, helpers: int) -> list:
    """`[fn(shared, task) for task in tasks]`, shared with up to `helpers`
    processes. `fn` must be a module-level function, `shared` and the tasks
    picklable."""
    tasks = list(tasks)
    processes = min(helpers + 1, len(tasks) // 2)
    current = start(helpers) if processes >= 2 else None
    if current is None or not current.lock.acquire(blocking=False):
        return serial(fn, shared, tasks)
    try:
        try:
            ready = current.ready()
        except _Dead:
            _forget(current)
            ready = False
        if not ready:
            return serial(fn, shared, tasks)
        return _share(current, fn, shared, tasks, processes)
    finally:
        current.lock.release()


def _share(current: _Helpers, fn, shared, tasks: list, processes: int) -> list:
    shares = [list(range(k, len(tasks), processes)) for k in range(processes)]
    try:
        results, error, broken = _exchange(current, fn, shared, tasks, shares)
    except BaseException:
        # Stopped between writing a share and reading its answer (an
        # interrupt, a share that does not pickle): an answer may be left in
        # a pipe, so these helpers are not asked again.
        _forget(current)
        raise
    if broken:
        _forget(current)
    if error is not None:
        raise error
    return results


def _exchange(current: _Helpers, fn, shared, tasks: list, shares: list[list[int]]):
    """Send the helpers their shares, answer the first here, read theirs.

    Returns (results, the first error `fn` raised or None, whether a helper
    died). Every helper sent a share is read before returning, so the pipes
    stay in step even when `fn` raises.
    """
    members = current.members[: len(shares) - 1]
    sent: list[tuple[_Helper | None, list[int]]] = []
    for member, share in zip(members, shares[1:], strict=True):
        try:
            current.send(member, (fn, shared, [tasks[i] for i in share]))
            sent.append((member, share))
        except _Dead:
            sent.append((None, share))
    results: list = [None] * len(tasks)
    error: Exception | None = None
    try:
        for i in shares[0]:
            results[i] = fn(shared, tasks[i])
    except Exception as exc:
        error = exc
    broken = False
    for member, share in sent:
        ok, answers = False, None
        if member is not None:
            try:
                ok, answers = member.answer()
            except _Dead:
                member = None
        if member is None:
            broken = True
            if error is not None:
                continue
            logger.warning("a coverage helper died; its searches ran here instead")
            try:
                ok, answers = True, serial(fn, shared, [tasks[i] for i in share])
            except Exception as exc:
                ok, answers = False, exc
        if not ok:
            error = error or answers
            continue
        for i, answer in zip(share, answers, strict=True):
            results[i] = answer
    return results, error, broken
