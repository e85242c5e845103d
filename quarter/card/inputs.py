"""Typed inputs of the one till (`card.payments`), produced by its forms.

The till page parses its form into one of these and hands `input.kwargs()`
to the service, so no field can be dropped between the page and the service:
`quarter/card/tests/test_form_inputs.py` compares each dataclass with its
service's signature and each form with its dataclass.
"""

from __future__ import annotations

import dataclasses
from typing import Any


@dataclasses.dataclass(frozen=True)
class PaymentInput:
    """What `payments.quote_payment` takes besides actor and merchant."""

    code: str
    bill_fen: int
    pin: str = ""

    def kwargs(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class ConfirmInput(PaymentInput):
    """What `payments.confirm_payment` takes besides actor, merchant and the
    request's own device and address."""

    key: str = ""
    expected_payable_fen: int | None = None
