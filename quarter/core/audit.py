"""Audit entries read as sentences: "2026-12-02 17:54 王敏 审核通过:资料齐全".

Every audit model (merchant, compound, voucher, register, rule, civic events,
the personal-data access log) renders through `sentence`, and the before and
after values through `describe_change`, which shows money in ¥, discounts as
折, minutes after midnight as HH:MM and choices by their label, never JSON.
"""

from __future__ import annotations

import re
from functools import cache

from django.utils import timezone
from django.utils.translation import gettext as _

from quarter.core.money import format_discount, format_yuan


def actor_name(user) -> str:
    """How a person who acted is named in the trail; nobody is 系统."""
    if user is None:
        return _("系统")
    last, first = (user.last_name or "").strip(), (user.first_name or "").strip()
    if re.search(r"[\u4e00-\u9fff]", last + first):
        return last + first  # 王 + 敏 -> 王敏, family name first
    full = f"{first} {last}".strip()
    return full or str(user)


def when(moment) -> str:
    if moment is None:
        return ""
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return f"{moment:%Y-%m-%d %H:%M}"


def sentence(moment, actor, action, detail: str = "") -> str:
    """'2026-12-02 17:54 王敏 审核通过:资料齐全' (detail after a full-width colon)."""
    text = f"{when(moment)} {actor_name(actor)} {action}".strip()
    detail = (detail or "").strip()
    return f"{text}:{detail}" if detail else text


def clock(minute) -> str:
    """Minutes after midnight as HH:MM (1440 is 24:00)."""
    minute = int(minute)
    return f"{minute // 60:02d}:{minute % 60:02d}"


def show_value(key: str, value, field=None) -> str:
    """One stored value as a person reads it, by the field's name and choices."""
    if value is None or value == "" or value == {} or value == []:
        return _("(空)")
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, dict) and "name" in value:
        return str(value["name"])
    if isinstance(value, dict):
        return ",".join(f"{k} {show_value(k, v)}" for k, v in value.items())
    if key == "hours" and isinstance(value, list):
        return "、".join(_span(v) for v in value) or _("全周休息")
    if isinstance(value, list):
        return "、".join(show_value(key, v) for v in value)
    if isinstance(value, int) and not isinstance(value, bool):
        if key.endswith("_fen"):
            return format_yuan(value)
        if key.endswith("discount_permille"):
            return format_discount(value)
        if key.endswith("_permille"):
            return f"{value / 10:g}%"
        if key.endswith("_minute"):
            return clock(value)
    choices = getattr(field, "flatchoices", None) if field is not None else None
    if choices:
        return str(dict(choices).get(value, value))
    return str(value)


WEEKDAYS = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"]


def _span(value) -> str:
    """A stored weekly span [weekday, open, close] as '周一 07:00-21:00'."""
    try:
        day, start, end = (int(v) for v in value)
        return f"{_(WEEKDAYS[day])} {clock(start)}-{clock(end)}"
    except (TypeError, ValueError, IndexError):
        return str(value)


def label_of(model, key: str) -> str:
    field = _field(model, key)
    if field is not None:
        return str(field.verbose_name)
    if key == "hours":
        return _("营业时间")
    related = _related_model(model, key)
    if related is not None:
        return str(related._meta.verbose_name)
    if (label := _label_anywhere(key)) is not None:
        return label
    return key


def describe_change(model, before: dict | None, after: dict | None) -> str:
    """'户数:200 → 210;大家卡折扣:9折 → 8.5折' — one clause per changed value."""
    before, after = before or {}, after or {}
    if not isinstance(before, dict) or not isinstance(after, dict):
        return ""
    parts = []
    keys = list(after) + [k for k in before if k not in after]
    for key in keys:
        field = _field(model, key)
        old, new = before.get(key), after.get(key)
        if key in before and key in after:
            parts.append(
                f"{label_of(model, key)}:{show_value(key, old, field)}"
                f" → {show_value(key, new, field)}"
            )
        elif key in after:
            parts.append(f"{label_of(model, key)}:{show_value(key, new, field)}")
        else:
            parts.append(
                _("%(label)s:%(value)s → (删除)")
                % {"label": label_of(model, key), "value": show_value(key, old, field)}
            )
    return ";".join(parts)


@cache
def _label_anywhere(key: str) -> str | None:
    """The Chinese label of a field named `key` on any model (for rows with no
    single subject, such as voucher events)."""
    from django.apps import apps

    for model in apps.get_models():
        field = _field(model, key)
        if field is not None and re.search(r"[\u4e00-\u9fff]", str(field.verbose_name)):
            return str(field.verbose_name)
    return None


def event_detail(event, model) -> str:
    """What follows the colon: the reason given, else what changed."""
    reason = (event.reason or "").strip()
    if reason and reason != str(event.get_kind_display()):
        return reason
    return describe_change(model, event.before, event.after) or reason


def _field(model, key):
    if model is None:
        return None
    try:
        field = model._meta.get_field(key)
    except Exception:  # noqa: BLE001 - an inline's name, or a field since removed
        return None
    return field if hasattr(field, "verbose_name") else None


def _related_model(model, key):
    if model is None:
        return None
    for rel in model._meta.related_objects:
        if key in (rel.related_model._meta.model_name, rel.get_accessor_name()):
            return rel.related_model
    return None
