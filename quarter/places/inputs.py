"""Typed inputs of the merchant console services, produced by `form.to_input()`.

The application form builds `services.MerchantApplication` itself; these cover
the console forms. Tests compare each with its service's signature, so a form
field the page drops, or a service argument no form fills, fails.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any


@dataclasses.dataclass(frozen=True)
class _Input:
    def kwargs(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}


@dataclasses.dataclass(frozen=True)
class DiscountsInput(_Input):
    card_discount_permille: int | None
    vip_discount_permille: int | None


@dataclasses.dataclass(frozen=True)
class HoursInput(_Input):
    text: str


@dataclasses.dataclass(frozen=True)
class WeekSpansInput(_Input):
    """The week from the hours editor: (weekday, open minute, close minute) spans."""

    spans: list


@dataclasses.dataclass(frozen=True)
class ServicesInput(_Input):
    """Services with their prices in fen (None: price on request)."""

    services: list


@dataclasses.dataclass(frozen=True)
class StatusInput(_Input):
    status: str
    until: dt.date | None
    reason: str


@dataclasses.dataclass(frozen=True)
class ExceptionInput(_Input):
    date: dt.date
    closed: bool
    hours_text: str
    note: str


@dataclasses.dataclass(frozen=True)
class ProfileInput(_Input):
    name: str
    introduction: str
    address: str
    phone: str
    contact_person: str
    card_offer_note: str
    employees: int | None
    lat: float
    lng: float
