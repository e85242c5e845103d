"""The back office a community worker reads: Chinese, ¥, 折, HH:MM, sentences.

Walks every registered ModelAdmin (as tests/access/test_backoffice.py does):
each changelist and one change page render for an operator with Chinese
column headers and labels and no raw 分 / 千分比 / minutes; the ¥, 折 and HH:MM
inputs round-trip and refuse bad input without changing anything; audit rows
read as sentences; the operator home counts only the operator's community.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from quarter.core import scope
from quarter.core.money import format_yuan
from quarter.places import services as place_services
from quarter.places.models import Admission, Merchant, MerchantEvent, OpeningHours
from tests.access.test_backoffice import _form_data
from tests.access.worlds import build_two_worlds

pytestmark = pytest.mark.django_db

CJK = re.compile(r"[\u4e00-\u9fff]")
RAW_UNITS = ("(分)", "千分比", "(‰)", "_fen", "_permille", "_minute")


class _Labels(HTMLParser):
    """Collect the texts of column headers, form labels and headings."""

    def __init__(self):
        super().__init__()
        self.stack: list[str] = []
        self.texts: list[tuple[str, str]] = []
        self._buf: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("th", "label", "h1", "h2", "h3"):
            self.stack.append(tag)
            self._buf = []

    def handle_endtag(self, tag):
        if self.stack and self.stack[-1] == tag:
            self.stack.pop()
            text = " ".join("".join(self._buf).split())
            self.texts.append((tag, text))

    def handle_data(self, data):
        if self.stack:
            self._buf.append(data)


def _labels(html: str) -> list[tuple[str, str]]:
    parser = _Labels()
    parser.feed(html)
    return parser.texts


def _visible(html: str) -> str:
    """The text a person sees: no tags, scripts, styles or attribute values."""
    html = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", html)
    return re.sub(r"<[^>]+>", " ", html)


def _non_chinese(html: str) -> list[tuple[str, str]]:
    """Headers/labels with letters but no Chinese (a row's data cells are skipped)."""
    bad = []
    for tag, text in _labels(html):
        if not text or CJK.search(text) or not re.search(r"[A-Za-z]{3,}", text):
            continue
        if tag == "th" and text.isascii() and re.fullmatch(r"[\w .:@#-]+", text):
            # a data row's first cell (an object's own name, e.g. a code) is a th
            continue
        bad.append((tag, text))
    return bad


@pytest.fixture
def two(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    a, b, root = build_two_worlds()
    perms = list(Permission.objects.all())
    a.world.operator_user.user_permissions.set(perms)
    return a, b, root


def _url(model, view, *args):
    meta = model._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_{view}", args=args)


def _admin_models():
    out = set()
    for model, model_admin in admin.site._registry.items():
        out.add(model)
        out.update(inline.model for inline in model_admin.inlines)
    return sorted(out, key=lambda m: m._meta.label)


def test_every_admin_model_and_field_has_a_chinese_name():
    missing = []
    for model in _admin_models():
        meta = model._meta
        for name in (meta.verbose_name, meta.verbose_name_plural):
            if not CJK.search(str(name)):
                missing.append((meta.label, str(name)))
        for f in meta.concrete_fields:
            if f.name != "id" and not CJK.search(str(f.verbose_name)):
                missing.append((meta.label, f.name))
            if any(unit in str(f.verbose_name) for unit in RAW_UNITS):
                missing.append((meta.label, f.name, str(f.verbose_name)))
    assert missing == []


def test_every_changelist_and_change_page_reads_in_chinese(two, client):
    a, _, _ = two
    client.force_login(a.world.operator_user)
    checked = 0
    for model in sorted(admin.site._registry, key=lambda m: m._meta.label):
        resp = client.get(_url(model, "changelist"))
        if scope.scope_of(model).superuser_only and resp.status_code == 403:
            continue
        assert resp.status_code == 200, model
        html = resp.content.decode()
        assert _non_chinese(html) == [], (model, _non_chinese(html))
        for raw in RAW_UNITS + (" object (",):
            assert raw not in _visible(html), (model, raw)
        row = resp.context["cl"].queryset.first()
        if row is None:
            continue
        resp = client.get(_url(model, "change", row.pk))
        assert resp.status_code == 200, model
        html = resp.content.decode()
        assert _non_chinese(html) == [], (model, _non_chinese(html))
        for raw in RAW_UNITS + (" object (", "&quot;before", "{&quot;"):
            assert raw not in _visible(html), (model, raw)
        checked += 1
    assert checked >= 15


def test_money_and_discounts_show_as_yuan_and_zhe(two, client):
    a, _, _ = two
    client.force_login(a.world.operator_user)
    shop = a.world.shop
    Merchant.objects.filter(pk=shop.pk).update(
        card_discount_permille=850, vip_discount_permille=900
    )
    html = client.get(_url(Merchant, "changelist")).content.decode()
    assert "8.5折" in html
    change = client.get(_url(Merchant, "change", shop.pk)).content.decode()
    assert 'value="8.5"' in change and 'value="3.00"' in change  # 豆浆 ¥3.00
    settlement = a.settlement
    page = client.get(_url(type(settlement), "change", settlement.pk)).content.decode()
    assert format_yuan(settlement.amount_fen) in page


def _merchant_post(client, shop, **changes):
    url = _url(Merchant, "change", shop.pk)
    data = _form_data(client.get(url))
    data.update(changes)
    return client.post(url, data)


def test_yuan_and_zhe_inputs_round_trip(two, client):
    a, _, _ = two
    client.force_login(a.world.operator_user)
    shop = a.world.shop
    resp = _merchant_post(
        client,
        shop,
        **{
            "card_discount_permille": "8.5折",
            "vip_discount_permille": "9",
            "services-0-price_fen": "¥12.50",
        },
    )
    assert resp.status_code == 302
    shop.refresh_from_db()
    assert (shop.card_discount_permille, shop.vip_discount_permille) == (850, 900)
    assert shop.services.get().price_fen == 1250
    event = MerchantEvent.objects.filter(merchant=shop, kind="admin_changed").first()
    assert "8.5折" in str(event) and "{" not in str(event)


BAD_INPUTS = [
    ("services-0-price_fen", "50,00", "不用逗号作小数点"),
    ("services-0-price_fen", "-3", "金额不能为负数"),
    ("services-0-price_fen", "10000000000001", "金额不能超过"),
    ("card_discount_permille", "11", "折扣应在"),
    ("card_discount_permille", "0", "折扣应在"),
    ("card_discount_permille", "5.5.5", "折扣请填写"),
]


def test_bad_yuan_or_zhe_is_refused_and_changes_nothing(two, client):
    a, _, _ = two
    client.force_login(a.world.operator_user)
    shop = a.world.shop
    before = (shop.name, shop.card_discount_permille, shop.services.get().price_fen)
    for field, value, message in BAD_INPUTS:
        resp = _merchant_post(client, shop, **{field: value, "name": "改名"})
        assert resp.status_code == 200, (field, value)
        assert message in resp.content.decode(), (field, value)
        shop.refresh_from_db()
        after = (shop.name, shop.card_discount_permille, shop.services.get().price_fen)
        assert after == before, (field, value)


def _hours_rows(data, rows):
    keys = [k for k in data if k.startswith("hours-")]
    for k in keys:
        del data[k]
    existing = list(OpeningHours.objects.filter(merchant_id=data["_shop"]))
    data.update(
        {
            "hours-TOTAL_FORMS": str(len(existing) + len(rows)),
            "hours-INITIAL_FORMS": str(len(existing)),
            "hours-MIN_NUM_FORMS": "0",
            "hours-MAX_NUM_FORMS": "1000",
        }
    )
    for i, h in enumerate(existing):
        data.update(
            {
                f"hours-{i}-id": str(h.pk),
                f"hours-{i}-merchant": str(h.merchant_id),
                f"hours-{i}-DELETE": "on",
            }
        )
    for j, (day, start, end) in enumerate(rows, start=len(existing)):
        data.update(
            {
                f"hours-{j}-weekday": str(day),
                f"hours-{j}-open_minute": start,
                f"hours-{j}-close_minute": end,
            }
        )
    del data["_shop"]
    return data


def test_hours_inline_takes_hhmm_and_refuses_overlaps(two, client):
    a, _, _ = two
    client.force_login(a.world.operator_user)
    shop = a.world.shop
    url = _url(Merchant, "change", shop.pk)
    page = client.get(url)
    html = page.content.decode()
    assert 'type="time"' in html and 'value="07:00"' in html and "周一" in html
    data = _hours_rows(
        {**_form_data(page), "_shop": shop.pk},
        [(0, "07:00", "12:00"), (0, "11:00", "14:00")],
    )
    resp = client.post(url, data)
    assert resp.status_code == 200
    assert "周一 07:00-12:00 与 11:00-14:00 重叠" in resp.content.decode()
    assert list(shop.hours.values_list("weekday", "open_minute", "close_minute")) == [
        (0, 420, 1260)
    ]
    data = _hours_rows(
        {**_form_data(client.get(url)), "_shop": shop.pk},
        [(0, "07:00", "11:30"), (0, "17:00", "00:00"), (5, "09:30", "18:00")],
    )
    assert client.post(url, data).status_code == 302
    assert sorted(shop.hours.values_list("weekday", "open_minute", "close_minute")) == [
        (0, 420, 690),
        (0, 1020, 1440),
        (5, 570, 1080),
    ]
    bad = _hours_rows(
        {**_form_data(client.get(url)), "_shop": shop.pk}, [(1, "25:00", "26:00")]
    )
    resp = client.post(url, bad)
    assert resp.status_code == 200 and "请按 时:分 填写" in resp.content.decode()


def test_audit_entries_read_as_sentences(two):
    a, _, _ = two
    operator = a.world.operator_user
    operator.first_name, operator.last_name = "敏", "王"
    operator.save()
    shop = a.world.shop
    Merchant.objects.filter(pk=shop.pk).update(admission=Admission.APPLIED)
    shop.refresh_from_db()
    place_services.approve_merchant(actor=operator, merchant=shop, reason="资料齐全")
    event = MerchantEvent.objects.filter(merchant=shop, kind="approved").get()
    when = timezone.localtime(event.created_at)
    assert str(event) == f"{when:%Y-%m-%d %H:%M} 王敏 审核通过:资料齐全"
    place_services.set_weekly_hours(
        actor=a.world.cashier, merchant=shop, text="1 08:00-12:00\n1 14:00-20:00"
    )
    hours = MerchantEvent.objects.filter(merchant=shop, kind="hours_changed").get()
    assert str(hours).endswith(
        "营业时间变更:营业时间:周一 07:00-21:00 → 周一 08:00-12:00、周一 14:00-20:00"
    )
    for model in _admin_models():
        for row in model._default_manager.all()[:3]:
            text = str(row)
            assert " object (" not in text and "{" not in text, (model, text)


def test_operator_home_counts_what_waits_in_own_community(two, client):
    a, b, _ = two
    for side in (a, b):
        Merchant.objects.filter(pk=side.world.shop.pk).update(
            admission=Admission.APPLIED
        )
    client.force_login(a.world.operator_user)
    resp = client.get(reverse("admin:index"))
    assert resp.status_code == 200
    tasks = {t.key: t for t in resp.context["tasks"]}
    assert tasks["merchants"].waiting == 1
    assert tasks["civic"].waiting == 1  # A's open report only, not B's
    html = resp.content.decode()
    for title in ("商户审核", "风控审核", "规划", "居民名册", "消费券", "民情", "建议"):
        assert title in html
    assert "?admission__exact=applied" in html
    listing = client.get(tasks["merchants"].url)
    assert [m.pk for m in listing.context["cl"].queryset] == [a.world.shop.pk]
