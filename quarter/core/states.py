"""Declared state machines: one table of allowed transitions per model.

A model names its states with `TextChoices` and declares the pairs it may go
between in one `Transitions` table; its `_transition()` asks the table before
changing anything, so a transition the table does not list is refused with a
`DomainError` instead of being written. Bulk updates filter on
`sources(target)` so that a row in any other state is left alone.

Imports no app: the caller passes its own error code.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from quarter.core.errors import DomainError


class Transitions:
    """The allowed (source, target) pairs of one state machine."""

    def __init__(
        self,
        name: str,
        table: Mapping[str, Iterable[str]],
        *,
        code: str,
        message: str = "当前状态下不能进行这项操作",
    ) -> None:
        self.name = name
        self.table = {str(s): frozenset(str(t) for t in ts) for s, ts in table.items()}
        self.code = code
        self.message = message

    @property
    def states(self) -> list[str]:
        return list(self.table)

    def allowed(self, source: str, target: str) -> bool:
        return str(target) in self.table.get(str(source), frozenset())

    def sources(self, target: str) -> list[str]:
        """Return every state that may go to `target` (for guarded bulk updates)."""
        return [s for s, targets in self.table.items() if str(target) in targets]

    def check(self, source: str, target: str) -> None:
        """Raise a DomainError unless `source` -> `target` is in the table."""
        if not self.allowed(source, target):
            raise DomainError(
                self.code,
                self.message,
                params={"machine": self.name, "from": str(source), "to": str(target)},
                status_code=409,
            )

    def pairs(self) -> list[tuple[str, str]]:
        return [(s, t) for s, targets in self.table.items() for t in sorted(targets)]

    def describe(self) -> str:
        """Return the table as text, one 'source -> target' line per pair."""
        width = max(len(s) for s in self.table)
        return "\n".join(
            f"{s:<{width}} -> {', '.join(sorted(ts)) or '(final)'}"
            for s, ts in self.table.items()
        )
