"""Task functions the parallel tests send to helpers (importable without Django)."""

from __future__ import annotations

import os
import signal
import time


def die_in_a_helper(parent_pid: int, task: int) -> int:
    """Answer `task * 10`, but a helper killed on task 3 never answers."""
    if task == 3 and os.getpid() != parent_pid:
        os.kill(os.getpid(), signal.SIGKILL)
    return task * 10


def refuse_seven(_shared, task: int) -> int:
    if task == 7:
        raise ValueError("seven is refused")
    return task


def add(offset: int, task: int) -> int:
    """`offset + task`, slowly enough that two calls overlap."""
    time.sleep(0.002)
    return offset + task
