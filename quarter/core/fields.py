"""Form fields that parse numbers and dates through `quarter.core.numbers`.

Every form of the project uses these for numbers, money and dates, so a value a
machine would misread (NaN, 1e400, ５０, 50,00, year 9999) is a form error in
Chinese, never a 500 or a wrong amount.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext as _

from quarter.core import numbers
from quarter.core.money import parse_yuan


def _problem(exc: ValueError, code: str = "invalid") -> forms.ValidationError:
    return forms.ValidationError(str(exc), code=code)


class YuanField(forms.CharField):
    """A yuan amount typed by a person ('45', '45.5', '５０'), cleaned into fen > 0."""

    def __init__(self, *args, max_fen: int = numbers.MAX_FEN, **kwargs):
        self.max_fen = max_fen
        kwargs.setdefault("max_length", 32)
        super().__init__(*args, **kwargs)

    def widget_attrs(self, widget):
        # A phone shows the number keypad with a decimal point.
        return {**super().widget_attrs(widget), "inputmode": "decimal"}

    def clean(self, value):
        value = super().clean(value)
        if value in (None, ""):
            return None
        try:
            fen = parse_yuan(value, max_fen=self.max_fen)
        except ValueError as exc:
            raise _problem(exc) from None
        if fen <= 0:
            raise forms.ValidationError(_("金额必须大于0"), code="min_value")
        return fen


class BoundedFloatField(forms.CharField):
    """A finite decimal number within [minimum, maximum]."""

    def __init__(self, *args, minimum: float, maximum: float, **kwargs):
        self.minimum, self.maximum = minimum, maximum
        kwargs.setdefault("max_length", 40)
        super().__init__(*args, **kwargs)

    def clean(self, value):
        value = super().clean(value)
        if value in (None, ""):
            return None
        try:
            return numbers.parse_float(
                value, minimum=self.minimum, maximum=self.maximum, label=self.label
            )
        except ValueError as exc:
            raise _problem(exc) from None


class LatitudeField(BoundedFloatField):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, minimum=-90, maximum=90, **kwargs)


class LongitudeField(BoundedFloatField):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, minimum=-180, maximum=180, **kwargs)


class BoundedIntegerField(forms.IntegerField):
    """An integer with a required range (full-width digits read as ASCII)."""

    def __init__(self, *args, min_value: int, max_value: int, **kwargs):
        super().__init__(*args, min_value=min_value, max_value=max_value, **kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            return numbers.parse_int(
                value,
                minimum=-numbers.MAX_INT,
                maximum=numbers.MAX_INT,
                label=str(self.label or _("数值")),
            )
        except ValueError as exc:
            raise _problem(exc) from None


class SaneDateField(forms.DateField):
    """A date between EARLIEST_DATE and LATEST_DATE."""

    def to_python(self, value):
        value = super().to_python(
            numbers.normalize(value) if isinstance(value, str) else value
        )
        if value is None:
            return None
        try:
            return numbers.check_date(value, label=str(self.label or _("日期")))
        except ValueError as exc:
            raise _problem(exc) from None


class SaneDateTimeField(forms.DateTimeField):
    """A date and time whose date lies between EARLIEST_DATE and LATEST_DATE."""

    def to_python(self, value):
        value = super().to_python(
            numbers.normalize(value) if isinstance(value, str) else value
        )
        if value is None:
            return None
        try:
            numbers.check_date(value, label=str(self.label or _("时间")))
        except ValueError as exc:
            raise _problem(exc) from None
        return value


__all__ = [
    "BoundedFloatField",
    "BoundedIntegerField",
    "LatitudeField",
    "LongitudeField",
    "SaneDateField",
    "SaneDateTimeField",
    "YuanField",
]


_PK_MAX = 2**63 - 1


def _pk_in_range(field, value) -> None:
    """Refuse an integer key no database column can hold (SQLite would raise)."""
    if field.to_field_name:
        return
    text = numbers.normalize(str(value)).strip()
    if text.lstrip("-").isdigit() and abs(int(text)) > _PK_MAX:
        raise forms.ValidationError(
            field.error_messages["invalid_choice"],
            code="invalid_choice",
            params={"value": value},
        )


class SafeModelChoiceField(forms.ModelChoiceField):
    """A ModelChoiceField that answers an out-of-range key as an invalid choice."""

    def to_python(self, value):
        if value not in self.empty_values:
            _pk_in_range(self, value)
        return super().to_python(value)


class SafeModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """A ModelMultipleChoiceField that answers out-of-range keys as invalid."""

    def _check_values(self, value):
        for pk in value if isinstance(value, (list, tuple)) else [value]:
            if isinstance(pk, str) and not pk.lstrip("-").isdigit():
                continue
            try:
                _pk_in_range(self, pk)
            except forms.ValidationError:
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": pk},
                ) from None
        return super()._check_values(value)
