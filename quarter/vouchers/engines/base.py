"""The claim engine interface."""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ClaimRequest:
    """One tap of the claim button, as every entry point hands it to the engine.

    Built from a rush ticket (`services.claims.request_from_ticket`) or from a
    logged-in resident (`services.claims.request_for`). `person_key` is the
    server-derived per-person key (`codes.person_key`), never the ID hash.
    """

    round_id: int
    campaign_id: int
    user_id: int
    resident_id: int
    person_key: str
    ip: str | None = None
    device: str = ""


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
        self, request: ClaimRequest, *, now: dt.datetime, round_=None
    ) -> ClaimOutcome:
        """Take one packet for the resident, atomically; never oversell.

        Every refusal is an outcome with a `VoucherErrorCode` (the same codes
        from both engines); only a request that would take a packet counts
        against the rate limits. `round_` may be passed when the caller has
        read it already; the Redis engine needs no database read at all.
        """
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
