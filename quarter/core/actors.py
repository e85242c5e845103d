"""The named actor of background work: jobs and commands act as SYSTEM, never as None.

Every public service takes an `actor`. A request passes `request.user`; a job
that no person started (a nightly settlement, `quarter import-osm`, the demo
loader) passes `SYSTEM`, so a service can tell "the platform itself" apart
from "somebody forgot to pass who". `SYSTEM` cannot log in and is never a
request's user. Audit rows record it as no user (`actor` NULL, shown as 系统):
its `is_authenticated` is False so code that stores `request.user` in a
foreign key never stores it.
"""

from __future__ import annotations


class SystemActor:
    """The platform acting on its own (scheduled jobs, command line)."""

    is_authenticated = False
    is_anonymous = False
    is_superuser = False
    is_staff = False
    is_active = True
    pk = None
    id = None

    def __init__(self, name: str) -> None:
        self.name = name
        self.username = name

    def __repr__(self) -> str:
        return f"<SystemActor {self.name}>"

    def __str__(self) -> str:
        return "系统"


SYSTEM = SystemActor("quarter.system")


def is_system(actor) -> bool:
    """Return whether `actor` is the platform's own SYSTEM actor."""
    return actor is SYSTEM


def is_person(actor) -> bool:
    """Return whether `actor` is a signed-in person (not anonymous, not SYSTEM)."""
    return (
        actor is not None
        and not is_system(actor)
        and bool(getattr(actor, "is_authenticated", False))
    )
