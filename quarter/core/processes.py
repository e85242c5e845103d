"""The processes under a running `quarter serve`, read from /proc.

Tests and `bench/rush.py` use this to kill one worker, to count CPU seconds,
and to check that nothing outlives the server. Linux only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


def child_pids(pid: int) -> list[int]:
    """The PIDs whose parent is `pid`."""
    kids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            kids.append(int(stat.parent.name))
    return kids


def _program(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0]
    except OSError:
        return b""


@dataclass
class ServeProcesses:
    """granian's main process and its workers; with --front, nginx's master
    and its workers."""

    granian: int | None = None
    app_workers: list[int] = field(default_factory=list)
    nginx: int | None = None
    nginx_workers: list[int] = field(default_factory=list)

    @property
    def answering(self) -> list[int]:
        """The processes that answer requests (whose CPU a request costs)."""
        return [*self.app_workers, *self.nginx_workers]

    @property
    def every(self) -> list[int]:
        mains = [pid for pid in (self.granian, self.nginx) if pid]
        return [*mains, *self.answering]


def serve_processes(serve_pid: int) -> ServeProcesses:
    found = ServeProcesses()
    for pid in child_pids(serve_pid):
        if b"nginx" in _program(pid):
            found.nginx, found.nginx_workers = pid, child_pids(pid)
        else:
            found.granian, found.app_workers = pid, child_pids(pid)
    return found
