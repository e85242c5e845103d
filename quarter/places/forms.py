"""Forms of the places pages: they parse input; services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from quarter.core.fields import (
    LatitudeField,
    LongitudeField,
    SafeModelChoiceField,
    SaneDateField,
)
from quarter.maps.widgets import CoordinateInput, LocationPicker
from quarter.places.hours import WEEKDAY_NAMES, Span
from quarter.places.inputs import (
    DiscountsInput,
    ExceptionInput,
    ProfileInput,
    ServicesInput,
    StatusInput,
    WeekSpansInput,
)
from quarter.places.models import BusinessType, Community, MerchantStatus


def phone_field() -> forms.CharField:
    """A shop's phone: a mobile or a landline, with the phone keypad and autofill."""
    return forms.CharField(
        label=_("电话"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"type": "tel", "inputmode": "tel", "autocomplete": "tel"}
        ),
    )


def employees_field() -> forms.IntegerField:
    """How many people work at the shop, as its owner declares it (optional)."""
    return forms.IntegerField(
        label=_("从业人数"),
        required=False,
        min_value=1,
        max_value=10_000,
        help_text=_("含店主在内;小微商户扶持政策按此认定"),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleImageField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if not data:
            return []
        files = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleImageField, self).clean(f, initial) for f in files]


class ApplicationForm(forms.Form):
    community = SafeModelChoiceField(Community.objects.all(), label=_("所属社区"))
    name = forms.CharField(label=_("店名"), max_length=80)
    main_type = SafeModelChoiceField(BusinessType.objects.all(), label=_("业态"))
    address = forms.CharField(label=_("地址"), max_length=200)
    lat = LatitudeField(
        label=_("纬度"),
        widget=LocationPicker(
            legend=_("在地图上点选店铺位置"),
            centers_script="community-centers",
            centers_select="id_community",
        ),
    )
    lng = LongitudeField(label=_("经度"), widget=CoordinateInput())
    phone = phone_field()
    contact_person = forms.CharField(label=_("联系人"), max_length=40)
    introduction = forms.CharField(
        label=_("简介"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    services = forms.CharField(
        label=_("服务项目"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("每行一项,可加价格,如:理发 30"),
    )
    hours = forms.CharField(
        label=_("营业时间"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        initial="1-7 08:00-20:00",
        help_text=_("如:1-5 07:00-21:00(1为周一,7为周日)"),
    )
    card_discount = forms.CharField(
        label=_("大家卡折扣"), required=False, help_text=_("如 5.5 表示5.5折")
    )
    vip_discount = forms.CharField(label=_("本店会员卡折扣"), required=False)
    card_offer_note = forms.CharField(
        label=_("优惠说明"), required=False, max_length=200
    )
    is_chain = forms.BooleanField(label=_("连锁品牌"), required=False)
    brand_name = forms.CharField(label=_("品牌名"), required=False, max_length=60)
    employees = employees_field()
    photos = MultipleImageField(label=_("店铺照片"), required=False)

    def to_input(self):
        """The application as `services.apply_for_admission` takes it.

        Photos go beside it (`cleaned_data["photos"]`). Raises DomainError
        `rate_out_of_range` for a discount it cannot read.
        """
        from quarter.places import services

        d = self.cleaned_data
        return services.MerchantApplication(
            community=d["community"],
            name=d["name"],
            main_type=d["main_type"],
            address=d["address"],
            lat=d["lat"],
            lng=d["lng"],
            phone=d["phone"],
            contact_person=d["contact_person"],
            introduction=d["introduction"],
            card_discount_permille=services.parse_discount(
                d["card_discount"], field="card_discount"
            ),
            vip_discount_permille=services.parse_discount(
                d["vip_discount"], field="vip_discount"
            ),
            card_offer_note=d["card_offer_note"],
            is_chain=d["is_chain"],
            brand_name=d["brand_name"],
            employees=d.get("employees"),
            services=parse_services(d["services"]),
            hours_text=d["hours"],
        )


class DiscountForm(forms.Form):
    card_discount = forms.CharField(label=_("大家卡折扣"), required=False)
    vip_discount = forms.CharField(label=_("本店会员卡折扣"), required=False)

    def to_input(self) -> DiscountsInput:
        from quarter.places.services import parse_discount

        d = self.cleaned_data
        return DiscountsInput(
            card_discount_permille=parse_discount(
                d["card_discount"], field="card_discount"
            ),
            vip_discount_permille=parse_discount(
                d["vip_discount"], field="vip_discount"
            ),
        )


class WeekHoursForm(forms.Form):
    """The hours editor: per weekday 休息 or up to `periods` HH:MM open/close rows.

    Field names are `d{weekday}_closed`, `d{weekday}_open{n}`, `d{weekday}_close{n}`
    (n from 1). A row left blank is no period; a closing time of 00:00 is
    midnight at the end of the day. Overlapping periods of a day are refused by
    the service (`places.hours.check_spans`).
    """

    PERIODS = 2

    def __init__(self, *args, periods: int = PERIODS, **kwargs):
        super().__init__(*args, **kwargs)
        from quarter.core.admin_units import ClockFormField

        self.periods = max(periods, self.PERIODS)
        self.days = []
        for day, name in enumerate(WEEKDAY_NAMES):
            closed = f"d{day}_closed"
            self.fields[closed] = forms.BooleanField(
                label=_("%(day)s休息") % {"day": name}, required=False
            )
            rows = []
            for n in range(1, self.periods + 1):
                pair = (f"d{day}_open{n}", f"d{day}_close{n}")
                self.fields[pair[0]] = ClockFormField(
                    label=_("%(day)s第%(n)s段开门") % {"day": name, "n": n},
                    required=False,
                )
                self.fields[pair[1]] = ClockFormField(
                    label=_("%(day)s第%(n)s段关门") % {"day": name, "n": n},
                    required=False,
                    end_of_day=True,
                )
                rows.append(pair)
            self.days.append((day, name, closed, rows))

    @classmethod
    def initial_for(cls, hours) -> tuple[dict, int]:
        """Initial values and the number of period rows for stored spans."""
        by_day: dict[int, list] = {}
        for h in sorted(hours, key=lambda h: (h.weekday, h.open_minute)):
            by_day.setdefault(h.weekday, []).append(h)
        periods = max([cls.PERIODS, *(len(v) for v in by_day.values())])
        initial = {}
        for day in range(7):
            spans = by_day.get(day, [])
            initial[f"d{day}_closed"] = not spans
            for n, h in enumerate(spans, start=1):
                initial[f"d{day}_open{n}"] = h.open_minute
                initial[f"d{day}_close{n}"] = h.close_minute
        return initial, periods

    def bound_days(self):
        """Rows for the template: (name, closed field, [(open, close) fields])."""
        return [
            (name, self[closed], [(self[o], self[c]) for o, c in rows])
            for _day, name, closed, rows in self.days
        ]

    def clean(self):
        data = super().clean()
        spans = []
        for day, name, closed, rows in self.days:
            if data.get(closed):
                continue
            for n, (o, c) in enumerate(rows, start=1):
                start, end = data.get(o), data.get(c)
                if start is None and end is None:
                    continue
                if start is None or end is None:
                    raise forms.ValidationError(
                        _("%(day)s第%(n)s段请同时填写开门和关门时间")
                        % {"day": name, "n": n}
                    )
                spans.append(Span(day, start, end))
        data["spans"] = spans
        return data

    def to_input(self) -> WeekSpansInput:
        return WeekSpansInput(spans=self.cleaned_data["spans"])


class ServicesForm(forms.Form):
    """Service names with prices in ¥: one row per service, blank rows to add.

    Field names are `s{n}_name` and `s{n}_price`; a row with a blank name is
    removed (or not added).
    """

    EXTRA = 2

    def __init__(self, *args, rows: int = EXTRA, **kwargs):
        super().__init__(*args, **kwargs)
        from quarter.core.admin_units import YuanFormField

        self.rows = []
        for n in range(rows):
            name, price = f"s{n}_name", f"s{n}_price"
            self.fields[name] = forms.CharField(
                label=_("服务%(n)s名称") % {"n": n + 1}, required=False, max_length=60
            )
            self.fields[price] = YuanFormField(
                label=_("服务%(n)s价格(元)") % {"n": n + 1}, required=False
            )
            self.rows.append((name, price))

    @classmethod
    def initial_for(cls, services) -> tuple[dict, int]:
        initial = {}
        for n, s in enumerate(services):
            initial[f"s{n}_name"] = s.name
            initial[f"s{n}_price"] = s.price_fen
        return initial, len(services) + cls.EXTRA

    def bound_rows(self):
        return [(self[n], self[p]) for n, p in self.rows]

    def clean(self):
        data = super().clean()
        services = []
        for name, price in self.rows:
            text = (data.get(name) or "").strip()
            if text:
                services.append((text, data.get(price)))
            elif data.get(price) is not None:
                self.add_error(name, _("请填写服务名称"))
        data["services"] = services
        return data

    def to_input(self) -> ServicesInput:
        return ServicesInput(services=self.cleaned_data["services"])


class StatusForm(forms.Form):
    status = forms.ChoiceField(
        label=_("经营状态"),
        choices=[
            (s.value, s.label) for s in MerchantStatus if s != MerchantStatus.SUSPENDED
        ],
    )
    until = SaneDateField(
        label=_("预计结束"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    reason = forms.CharField(label=_("说明"), required=False, max_length=200)

    def to_input(self) -> StatusInput:
        d = self.cleaned_data
        return StatusInput(status=d["status"], until=d["until"], reason=d["reason"])


class ProfileForm(forms.Form):
    name = forms.CharField(label=_("店名"), max_length=80)
    introduction = forms.CharField(
        label=_("简介"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    address = forms.CharField(label=_("地址"), max_length=200)
    phone = phone_field()
    contact_person = forms.CharField(label=_("联系人"), max_length=40)
    card_offer_note = forms.CharField(
        label=_("优惠说明"), required=False, max_length=200
    )
    employees = employees_field()
    lat = LatitudeField(
        label=_("纬度"),
        widget=LocationPicker(legend=_("店铺位置(在地图上点选或拖动标记)")),
    )
    lng = LongitudeField(label=_("经度"), widget=CoordinateInput())

    def to_input(self) -> ProfileInput:
        return ProfileInput(**{f: self.cleaned_data[f] for f in self.base_fields})


def parse_services(text: str) -> list[tuple[str, int | None]]:
    """Parse lines 'name price' where price is yuan; a bad price raises ValueError."""
    from quarter.core.money import parse_yuan

    items = []
    for line in (text or "").splitlines():
        parts = line.strip().rsplit(maxsplit=1)
        if not parts:
            continue
        if len(parts) == 2:
            try:
                items.append((parts[0], parse_yuan(parts[1])))
                continue
            except ValueError:
                pass
        items.append((line.strip(), None))
    return items


class ExceptionForm(forms.Form):
    date = SaneDateField(
        label=_("日期"), widget=forms.DateInput(attrs={"type": "date"})
    )
    closed = forms.BooleanField(label=_("全天休息"), required=False, initial=True)
    hours = forms.CharField(
        label=_("当天营业时间"),
        required=False,
        help_text=_("不休息时填写,如 09:00-12:00,14:00-18:00"),
    )
    note = forms.CharField(
        label=_("说明"), required=False, max_length=80, help_text=_("如:春节休息、盘点")
    )

    def to_input(self) -> ExceptionInput:
        d = self.cleaned_data
        return ExceptionInput(
            date=d["date"], closed=d["closed"], hours_text=d["hours"], note=d["note"]
        )
