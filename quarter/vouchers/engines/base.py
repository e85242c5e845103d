"""The claim engine interface."""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from dataclasses import dataclass, field


@dataclass
class ClaimOutcome:
    """What the resident is told. `code` is None on success."""

    ok: bool
    code: str | None = None
    repeated: bool = False
    source_id: str | None = None
    sold_out_at: dt.datetime | None = None
    claim_id: int | None = None


@dataclass
class ReconcileReport:
    round_id: int
    engine: str
    db_claims: int = 0
    engine_claims: int = 0
    remaining: int = 0
    persisted_now: int = 0
    restored_to_engine: int = 0
    rebuilt: bool = False
    problems: list[str] = field(default_factory=list)

    @property
    def agrees(self) -> bool:
        return not self.problems


class ClaimEngine(ABC):
    """One interface, two engines (database, Redis); both pass one test suite."""

    name = "base"
    # True when prepare() writes in the caller's database transaction.
    transactional = True

    @abstractmethod
    def prepare(self, round_) -> None:
        """Load the round's stock (total minus claims already made)."""
        ...

    @abstractmethod
    def claim(
        self,
        *,
        round_,
        resident_id: int,
        user_id: int,
        person_hash: str,
        now: dt.datetime,
        ip: str | None = None,
        device: str = "",
    ) -> ClaimOutcome:
        """Take one packet for the resident, atomically; never oversell."""
        ...

    @abstractmethod
    def remaining(self, round_) -> int: ...

    @abstractmethod
    def stop(self, round_) -> int:
        """Take all remaining stock off sale; return how many packets were released."""
        ...

    @abstractmethod
    def reconcile(self, round_) -> ReconcileReport:
        """Make the engine and the database agree and report what differed."""
        ...
