"""The back office shows and takes people's units, never the stored ones.

Stored: money in fen (`*_fen`), discounts in permille of the price
(`*discount_permille`, 550 = 5.5折), other shares in permille (`*_permille`),
and times of day in minutes after midnight (`*_minute`). Shown and typed: ¥
with two decimals, 5.5折, 2.5%, HH:MM. `ScopedAdminMixin` uses `formfield_for`
for every editable field and `display_for` for every list column and
read-only field, so no ModelAdmin has to remember.
"""

from __future__ import annotations

import re

from django import forms
from django.contrib import admin
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from quarter.core.audit import clock
from quarter.core.money import (
    format_discount,
    format_permille_percent,
    format_yuan,
    parse_yuan,
)
from quarter.core.numbers import MAX_FEN, normalize


def unit_of(name: str) -> str | None:
    """The unit a field stores by its name: 'fen', 'discount', 'permille', 'minute'."""
    if name.endswith("_fen"):
        return "fen"
    if name.endswith("discount_permille"):
        return "discount"
    if name.endswith("_permille"):
        return "permille"
    if name.endswith("_minute"):
        return "minute"
    return None


def show(unit: str, value) -> str:
    if value is None or value == "":
        return ""
    if unit == "fen":
        return format_yuan(value)
    if unit == "discount":
        return format_discount(value)
    if unit == "permille":
        return format_permille_percent(value)
    if unit == "minute":
        return clock(value)
    return str(value)


class _ParsedField(forms.Field):
    """A field whose typed text is parsed into a stored unit: it has changed
    when the parsed value differs (text that does not parse counts as a change,
    so the form reports it)."""

    def has_changed(self, initial, data):
        try:
            return self.to_python(data) != (initial if initial != "" else None)
        except forms.ValidationError:
            return True


class YuanInput(forms.TextInput):
    """A text box for yuan: shows stored fen as '45.10', numeric keypad on phones."""

    def __init__(self, attrs=None):
        base = {"inputmode": "decimal", "placeholder": "0.00", "class": "yuan-input"}
        super().__init__({**base, **(attrs or {})})

    def format_value(self, value):
        if isinstance(value, int):
            return format_yuan(value, symbol=False).replace(",", "")
        return super().format_value(value)


class YuanFormField(_ParsedField):
    """¥ typed by a person ('45', '45.5', '¥1,234.50'), stored as fen.

    Refuses '50,00', negative amounts (unless `allow_negative`), and amounts
    above `max_fen` with a sentence in Chinese.
    """

    widget = YuanInput

    def __init__(self, *, max_fen: int = MAX_FEN, allow_negative=False, **kwargs):
        self.max_fen, self.allow_negative = max_fen, allow_negative
        kwargs.pop("max_length", None)
        kwargs.pop("min_value", None)
        kwargs.pop("max_value", None)
        kwargs.pop("step_size", None)
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, int):
            return format_yuan(value, symbol=False).replace(",", "")
        return value

    def to_python(self, value):
        if isinstance(value, int):
            return value
        value = str(value).strip() if value is not None else ""
        if len(value) > 32:
            raise forms.ValidationError(_("输入太长"), code="max_length")
        if value in self.empty_values:
            return None
        try:
            fen = parse_yuan(value, max_fen=self.max_fen)
        except ValueError as exc:
            raise forms.ValidationError(str(exc), code="invalid") from None
        if fen < 0 and not self.allow_negative:
            raise forms.ValidationError(_("金额不能为负数"), code="min_value")
        return fen


_DISCOUNT_RE = re.compile(r"^(\d{1,2})(?:\.(\d{1,2}))?$", re.A)


class DiscountFormField(_ParsedField):
    """A discount typed as 折 ('5.5', '8折', '９.５'), stored in permille (550)."""

    def __init__(self, **kwargs):
        for key in ("max_length", "min_value", "max_value", "step_size"):
            kwargs.pop(key, None)
        kwargs.setdefault(
            "help_text", gettext_lazy("按折填写,如 8.5 表示 8.5折(付原价的 85%)")
        )
        super().__init__(**kwargs)
        self.widget.attrs.update({"inputmode": "decimal", "placeholder": "8.5"})

    def prepare_value(self, value):
        if isinstance(value, int):
            return format_discount(value).removesuffix("折")
        return value

    def to_python(self, value):
        if isinstance(value, int):
            return value
        value = str(value).strip() if value is not None else ""
        if len(value) > 32:
            raise forms.ValidationError(_("输入太长"), code="max_length")
        if value in self.empty_values:
            return None
        text = normalize(value).replace(" ", "").removesuffix("折")
        match = _DISCOUNT_RE.match(text)
        if not match:
            raise forms.ValidationError(
                _("折扣请填写如 5.5 或 8(最多两位小数)"), code="invalid"
            )
        permille = int(match.group(1)) * 100 + int(((match.group(2) or "") + "00")[:2])
        if not 0 < permille <= 1000:
            raise forms.ValidationError(_("折扣应在0.01到10折之间"), code="range")
        return permille


_CLOCK_RE = re.compile(r"^([01]?\d|2[0-4]):([0-5]\d)(?::00)?$", re.A)


class ClockInput(forms.TimeInput):
    """The browser's HH:MM picker for a time of day stored in minutes."""

    input_type = "time"

    def format_value(self, value):
        if isinstance(value, int):
            return clock(value % 1440)
        return value


class ClockFormField(_ParsedField):
    """A time of day as HH:MM, stored as minutes after midnight.

    With `end_of_day`, 00:00 and 24:00 mean midnight at the end of the day (1440),
    as a shop's closing time does.
    """

    widget = ClockInput

    def __init__(self, *, end_of_day: bool = False, **kwargs):
        for key in ("max_length", "min_value", "max_value", "step_size"):
            kwargs.pop(key, None)
        self.end_of_day = end_of_day
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, int):
            return clock(value % 1440)
        return value

    def to_python(self, value):
        if isinstance(value, int):
            return value
        value = str(value).strip() if value is not None else ""
        if len(value) > 32:
            raise forms.ValidationError(_("输入太长"), code="max_length")
        if value in self.empty_values:
            return None
        match = _CLOCK_RE.match(normalize(value).replace(" ", ""))
        minutes = int(match.group(1)) * 60 + int(match.group(2)) if match else -1
        if not 0 <= minutes <= 1440:
            raise forms.ValidationError(_("请按 时:分 填写,如 07:30"), code="invalid")
        if self.end_of_day and minutes == 0:
            return 1440
        if not self.end_of_day and minutes == 1440:
            return 0
        return minutes


def formfield_for(db_field, **kwargs):
    """A unit-aware form field for `db_field`, or None to keep Django's own."""
    unit = unit_of(db_field.name)
    if unit is None or db_field.choices or not isinstance(db_field, (_int_fields())):
        return None
    label = str(db_field.verbose_name)
    common = {
        "required": not db_field.blank,
        "label": label,
        "help_text": db_field.help_text or kwargs.get("help_text", ""),
    }
    if unit == "fen":
        common["label"] = _("%(label)s(元)") % {"label": label}
        return YuanFormField(allow_negative=db_field.name == "amount_fen", **common)
    if unit == "discount":
        common["label"] = _("%(label)s(折)") % {"label": label}
        return DiscountFormField(**common)
    if unit == "minute":
        return ClockFormField(end_of_day=db_field.name.startswith("close"), **common)
    return None


def _int_fields():
    from django.db import models

    return (models.IntegerField, models.BigIntegerField)


_DISPLAYS: dict[tuple, object] = {}


def display_for(model, name: str):
    """A list column / read-only field that shows `name` in people's units."""
    key = (model, name)
    if key not in _DISPLAYS:
        field = model._meta.get_field(name)
        unit = unit_of(name)

        @admin.display(description=field.verbose_name, ordering=name)
        def column(obj, _name=name, _unit=unit):
            return show(_unit, getattr(obj, _name))

        column.__name__ = f"{name}_shown"
        _DISPLAYS[key] = column
    return _DISPLAYS[key]


def unit_fields(model) -> set[str]:
    """Names of the concrete integer fields of `model` stored in a raw unit."""
    out = set()
    for field in model._meta.concrete_fields:
        if unit_of(field.name) and isinstance(field, _int_fields()):
            if not field.choices:
                out.add(field.name)
    return out


@admin.display(description=gettext_lazy("记录"))
def sentence(obj) -> str:
    """An audit row as its sentence ('2026-12-02 17:54 王敏 审核通过:资料齐全')."""
    return str(obj)


def has_change_json(model) -> bool:
    """Whether `model` keeps its audit values as JSON `before` and `after`."""
    from django.db import models

    names = {f.name: f for f in model._meta.concrete_fields}
    return all(isinstance(names.get(n), models.JSONField) for n in ("before", "after"))


def change_display(model):
    """A read-only field that says what changed, in place of the raw JSON."""
    key = (model, "__change__")
    if key not in _DISPLAYS:
        from quarter.core.audit import describe_change

        subject = audit_subject(model)

        @admin.display(description=gettext_lazy("变更"))
        def change(obj):
            return describe_change(subject, obj.before, obj.after) or "—"

        _DISPLAYS[key] = change
    return _DISPLAYS[key]


def audit_subject(model):
    """The model an audit row is about (whose field labels name its values)."""
    for name in ("merchant", "compound", "entry", "rule"):
        try:
            field = model._meta.get_field(name)
        except Exception:  # noqa: BLE001 - not this kind of audit row
            continue
        if field.is_relation:
            return field.related_model
    return None
