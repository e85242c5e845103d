"""Signal receivers: the visit log tells the rewards about payments and refunds.

Receivers only call services (no logic here); both run inside the payment's
transaction, so a reward commits or rolls back with it.
"""

from __future__ import annotations

from quarter.referrals import services


def on_visit_recorded(sender, visit, **kwargs) -> None:
    services.earn_reward(visit)


def on_visit_refunded(sender, visit, refunded_fen, **kwargs) -> None:
    services.reverse_reward(visit, refunded_fen)
