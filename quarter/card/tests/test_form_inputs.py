"""The till's forms produce exactly what the one till service takes: no field
the shopkeeper types is dropped between the page and `card.payments`."""

from __future__ import annotations

import dataclasses
import inspect

import pytest

from quarter.card import forms, inputs, payments

# (form, its input, the service, the arguments the page supplies itself)
CONTRACTS = [
    (forms.PayForm, inputs.PaymentInput, payments.quote_payment, {"actor", "merchant"}),
    (
        forms.ConfirmForm,
        inputs.ConfirmInput,
        payments.confirm_payment,
        {"actor", "merchant", "device", "ip"},
    ),
]
FOLDED = {"bill": "bill_fen", "expected": "expected_payable_fen"}


@pytest.mark.parametrize(
    ("form_cls", "input_cls", "service", "context"),
    CONTRACTS,
    ids=[c[0].__name__ for c in CONTRACTS],
)
def test_till_input_matches_service_and_form(form_cls, input_cls, service, context):
    params = set(inspect.signature(service).parameters) - context
    assert {f.name for f in dataclasses.fields(input_cls)} == params
    for name in form_cls.base_fields:
        assert FOLDED.get(name, name) in params, f"{form_cls.__name__}.{name} dropped"


def test_confirm_form_carries_every_typed_value_to_the_input():
    form = forms.ConfirmForm(
        {
            "code": " 12 34 ",
            "pin": "135790",
            "bill": "60.50",
            "key": "k1",
            "expected": "3300",
        }
    )
    assert form.is_valid(), form.errors
    assert form.to_input() == inputs.ConfirmInput(
        code=form.cleaned_data["code"],
        bill_fen=6050,
        pin="135790",
        key="k1",
        expected_payable_fen=3300,
    )
