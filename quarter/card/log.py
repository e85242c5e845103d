"""Read the visit log (联系本): visits per shop per month, where customers come from.

Every figure is computed by the database (one grouped query per table,
`TruncMonth` in Asia/Shanghai), so the log of a busy community costs the
same few queries as an empty one.

How refunds count:

- A wholly refunded visit (status 已退款) counts for nothing: not as a visit,
  not as a resident or household, not in any amount. The table shows how many
  there were in their own column (全额退款笔数).
- A partly refunded visit still counts as a visit. What came back is taken
  off the bill and off what was paid (消费金额 = bill − refunded, 实付 =
  paid − refunded); the discount given (card + voucher) counts in full, as
  it was given. So 消费金额 − 优惠 = 实付 holds in every row.

Residents count the people who showed a phone card or whose voucher was used;
households also count printed household cards, which name no person.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import BigIntegerField, Count, F, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, TruncMonth

from quarter.card import log_access
from quarter.card.log_errors import VisitLogErrorCode as Code
from quarter.card.models import Visit
from quarter.core import clock, downloads
from quarter.core.errors import DomainError
from quarter.core.money import format_permille_percent, format_yuan
from quarter.core.numbers import MAX_INT, NumberProblem, normalize, parse_int
from quarter.places.models import Community, Merchant

DEFAULT_MONTHS = 6
MAX_MONTHS = 36
EARLIEST_MONTH = dt.date(2000, 1, 1)
LATEST_MONTH = dt.date(2100, 12, 1)
TOP_CHART_MERCHANTS = 8
_MONTH_RE = re.compile(r"(\d{4})-(\d{1,2})", re.A)

_KEPT = ~Q(status=Visit.Status.REFUNDED)
_REFUNDED = Q(status=Visit.Status.REFUNDED)


def _fen_sum(expression, *, kept: bool = True):
    return Coalesce(
        Sum(expression, filter=_KEPT if kept else None),
        Value(0),
        output_field=BigIntegerField(),
    )


# What each table row adds up; the same for a month row and for the totals.
FIGURES = {
    "visits": Count("id", filter=_KEPT),
    "residents": Count("resident", filter=_KEPT, distinct=True),
    "households": Count("household", filter=_KEPT, distinct=True),
    "bill_fen": _fen_sum(F("bill_fen") - F("refunded_fen")),
    "card_discount_fen": _fen_sum("card_discount_fen"),
    "voucher_face_fen": _fen_sum("voucher_face_fen"),
    "paid_fen": _fen_sum(F("payable_fen") - F("refunded_fen")),
    "refunded_visits": Count("id", filter=_REFUNDED),
}


# --- months ---


@dataclass(frozen=True)
class MonthRange:
    """Whole months from `first` to `last` (both the 1st of their month)."""

    first: dt.date
    last: dt.date

    @property
    def months(self) -> list[dt.date]:
        out, month = [], self.first
        while month <= self.last:
            out.append(month)
            month = _next_month(month)
        return out

    @property
    def starts_at(self) -> dt.datetime:
        return _midnight(self.first)

    @property
    def ends_at(self) -> dt.datetime:
        """The first moment after the range (midnight of the next month)."""
        return _midnight(_next_month(self.last))

    @property
    def label(self) -> str:
        if self.first == self.last:
            return month_label(self.first)
        return f"{month_label(self.first)}–{month_label(self.last)}"

    def as_query(self) -> dict[str, str]:
        return {"from": month_value(self.first), "to": month_value(self.last)}


def _next_month(month: dt.date) -> dt.date:
    return dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=clock.SHANGHAI)


def month_label(month: dt.date) -> str:
    """Return a month as people write it here: 2026年11月."""
    return f"{month.year}年{month.month}月"


def month_value(month: dt.date) -> str:
    """Return a month as an <input type=month> value: 2026-11."""
    return f"{month.year:04d}-{month.month:02d}"


def parse_month(text, *, label: str = "月份") -> dt.date:
    """Return the 1st of the month written as 2026-11; `NumberProblem` if not."""
    match = _MONTH_RE.fullmatch(normalize(text))
    if not match:
        raise NumberProblem(f"{label}应写成 2026-11 这样的格式")
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12:
        raise NumberProblem(f"{label}不存在:一年只有 1–12 月")
    day = dt.date(year, month, 1)
    if not EARLIEST_MONTH <= day <= LATEST_MONTH:
        raise NumberProblem(f"{label}应在 2000-01 到 2100-12 之间")
    return day


def month_range_from_query(params, *, today: dt.date | None = None) -> MonthRange:
    """Read `from` and `to` (2026-09, 2026-11) from a query string.

    Either may be left out: the range then ends this month and spans six
    months. Raises `visit_log_bad_month` (400, naming the field) for a month
    that is not one, `visit_log_bad_month_range` for a range that runs
    backwards or is longer than three years.
    """
    today = today or clock.local_now().date()
    values = {}
    for name, label in (("from", "起始月份"), ("to", "截止月份")):
        text = params.get(name)
        if text is None or normalize(text) == "":
            values[name] = None
            continue
        try:
            values[name] = parse_month(text, label=label)
        except NumberProblem as exc:
            raise DomainError(Code.BAD_MONTH, str(exc), field=name) from None
    last = values["to"] or (
        _shift(values["from"], DEFAULT_MONTHS - 1)
        if values["from"]
        else dt.date(today.year, today.month, 1)
    )
    first = values["from"] or _shift(last, -(DEFAULT_MONTHS - 1))
    if first > last:
        raise DomainError(
            Code.BAD_MONTH_RANGE, "起始月份不能晚于截止月份", field="from"
        )
    if len(MonthRange(first, last).months) > MAX_MONTHS:
        raise DomainError(
            Code.BAD_MONTH_RANGE, f"一次最多查看 {MAX_MONTHS} 个月", field="to"
        )
    return MonthRange(first, last)


def _shift(month: dt.date, months: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def merchant_id_from_query(params) -> int | None:
    """Read an optional positive merchant id; a bad one is a 400 naming `merchant`."""
    text = params.get("merchant")
    if text is None or normalize(text) == "":
        return None
    try:
        return parse_int(text, minimum=1, maximum=MAX_INT, label="商户编号")
    except NumberProblem as exc:
        raise DomainError(Code.BAD_MERCHANT, str(exc), field="merchant") from None


# --- the tables ---


@dataclass
class LogRow:
    """One shop's figures for one month (or, with `month` None, for the range)."""

    month: dt.date | None
    merchant_id: int | None
    merchant_name: str
    visits: int = 0
    residents: int = 0
    households: int = 0
    bill_fen: int = 0
    card_discount_fen: int = 0
    voucher_face_fen: int = 0
    paid_fen: int = 0
    refunded_visits: int = 0

    @property
    def discount_fen(self) -> int:
        return self.card_discount_fen + self.voucher_face_fen

    @property
    def month_label(self) -> str:
        return month_label(self.month) if self.month else "合计"


@dataclass
class CompoundRow:
    """Where one shop's customers live: a compound, its visits, its share."""

    merchant_id: int
    merchant_name: str
    compound_name: str
    visits: int
    share_permille: int

    @property
    def share(self) -> str:
        return format_permille_percent(self.share_permille)


@dataclass
class VisitLog:
    """The log of some shops over some months, ready for a page or a file."""

    title: str
    months: MonthRange
    rows: list[LogRow]
    total: LogRow
    compounds: list[CompoundRow]
    merchants: list[Merchant] = field(default_factory=list)
    merchant: Merchant | None = None

    def chart(self) -> dict:
        """Figures for the page's charts (rendered with json_script)."""
        return chart_data(self)


def _visits_in(qs: QuerySet[Visit], months: MonthRange) -> QuerySet[Visit]:
    return qs.filter(
        occurred_at__gte=months.starts_at, occurred_at__lt=months.ends_at
    ).order_by()


def _rows(qs: QuerySet[Visit]) -> list[LogRow]:
    grouped = (
        qs.annotate(month=TruncMonth("occurred_at", tzinfo=clock.SHANGHAI))
        .values("month", "merchant_id", "merchant__name")
        .annotate(**FIGURES)
        .order_by("month", "merchant__name", "merchant_id")
    )
    rows = []
    for g in grouped:
        month = g.pop("month").astimezone(clock.SHANGHAI).date()
        rows.append(
            LogRow(
                month=month,
                merchant_id=g.pop("merchant_id"),
                merchant_name=g.pop("merchant__name"),
                **_ints(g),
            )
        )
    return rows


def _ints(figures: dict) -> dict:
    # PostgreSQL sums bigints as numeric (Decimal); the figures are whole fen.
    return {name: int(value) for name, value in figures.items()}


def _total(qs: QuerySet[Visit]) -> LogRow:
    return LogRow(
        month=None, merchant_id=None, merchant_name="", **_ints(qs.aggregate(**FIGURES))
    )


def _compounds(qs: QuerySet[Visit]) -> list[CompoundRow]:
    grouped = list(
        qs.filter(_KEPT)
        .values(
            "merchant_id",
            "merchant__name",
            "compound_id",
            "compound__name",
            "compound__community__name",
        )
        .annotate(visits=Count("id"))
        .order_by("merchant__name", "merchant_id", "-visits", "compound__name")
    )
    per_shop: dict[int, int] = {}
    for g in grouped:
        per_shop[g["merchant_id"]] = per_shop.get(g["merchant_id"], 0) + g["visits"]
    out = []
    for g in grouped:
        total = per_shop[g["merchant_id"]]
        out.append(
            CompoundRow(
                merchant_id=g["merchant_id"],
                merchant_name=g["merchant__name"],
                compound_name=_compound_name(g),
                visits=g["visits"],
                # Rounded half up, in integers: 1 of 3 is 333‰ (33.3%).
                share_permille=(g["visits"] * 1000 + total // 2) // total,
            )
        )
    return out


def _compound_name(g: dict) -> str:
    if g["compound_id"] is None:
        return "未登记小区"
    return f"{g['compound__name']}({g['compound__community__name']})"


def get_community_log(
    actor, *, community: Community, months: MonthRange, merchant_id: int | None = None
) -> VisitLog:
    """Return the visit log of `community`'s shops over `months`.

    `merchant_id` narrows it to one shop, which must be the community's.
    Raises `not_community_operator` (403) unless `actor` works for the
    community, `visit_log_bad_merchant` (400) for a shop of another community.
    """
    log_access.require_log_operator_of(actor, community)
    merchants = list(
        Merchant.objects.filter(community=community).order_by("name", "pk")
    )
    qs = Visit.objects.filter(merchant__community=community)
    merchant = None
    if merchant_id is not None:
        merchant = next((m for m in merchants if m.pk == merchant_id), None)
        if merchant is None:
            raise DomainError(Code.BAD_MERCHANT, "本社区没有这家商户", field="merchant")
        qs = qs.filter(merchant=merchant)
    qs = _visits_in(qs, months)
    return VisitLog(
        title=community.name,
        months=months,
        rows=_rows(qs),
        total=_total(qs),
        compounds=_compounds(qs),
        merchants=merchants,
        merchant=merchant,
    )


def get_shop_log(actor, *, merchant: Merchant, months: MonthRange) -> VisitLog:
    """Return one shop's own visit log over `months`.

    Raises `merchant_not_owned` (403) unless `actor` works at the shop.
    """
    log_access.require_shop_staff(actor, merchant)
    qs = _visits_in(Visit.objects.filter(merchant=merchant), months)
    return VisitLog(
        title=merchant.name,
        months=months,
        rows=_rows(qs),
        total=_total(qs),
        compounds=_compounds(qs),
        merchant=merchant,
    )


def list_my_visits(actor) -> QuerySet[Visit]:
    """Return the resident's own visits, newest first, with their shops.

    Includes their household's printed-card visits. Raises `not_a_resident`.
    """
    return (
        log_access.visits_of_resident(actor)
        .select_related("merchant")
        .order_by("-occurred_at", "-id")
    )


# --- the chart ---


def chart_data(log: VisitLog) -> dict:
    """Visits per month per shop (the busiest shops, the rest as 其他) and money."""
    months = log.months.months
    index = {m: i for i, m in enumerate(months)}
    by_shop: dict[int, dict] = {}
    for row in log.rows:
        shop = by_shop.setdefault(
            row.merchant_id,
            {"label": row.merchant_name, "total": 0, "data": [0] * len(months)},
        )
        shop["data"][index[row.month]] += row.visits
        shop["total"] += row.visits
    ranked = sorted(by_shop.values(), key=lambda s: (-s["total"], s["label"]))
    datasets = ranked[:TOP_CHART_MERCHANTS]
    if len(ranked) > TOP_CHART_MERCHANTS:
        rest = [0] * len(months)
        for shop in ranked[TOP_CHART_MERCHANTS:]:
            rest = [a + b for a, b in zip(rest, shop["data"], strict=True)]
        datasets.append({"label": "其他", "total": sum(rest), "data": rest})
    bill, discount = [0] * len(months), [0] * len(months)
    for row in log.rows:
        bill[index[row.month]] += row.bill_fen
        discount[index[row.month]] += row.discount_fen
    return {
        "months": [month_label(m) for m in months],
        "visits": [{"label": d["label"], "data": d["data"]} for d in datasets],
        # Yuan for the chart's axis only; the table and files print from fen.
        "bill": [fen / 100 for fen in bill],
        "discount": [fen / 100 for fen in discount],
    }


# --- files ---

HEADER = [
    "月份",
    "商户",
    "到店笔数",
    "居民人数",
    "户数",
    "消费金额(元)",
    "大家卡优惠(元)",
    "消费券抵扣(元)",
    "优惠合计(元)",
    "实付(元)",
    "全额退款笔数",
]
COMPOUND_HEADER = ["商户", "小区", "到店笔数", "占比"]


def _cells(row: LogRow, money) -> list:
    return [
        row.month_label,
        row.merchant_name,
        row.visits,
        row.residents,
        row.households,
        money(row.bill_fen),
        money(row.card_discount_fen),
        money(row.voucher_face_fen),
        money(row.discount_fen),
        money(row.paid_fen),
        row.refunded_visits,
    ]


def log_csv(log: VisitLog) -> bytes:
    """Return the monthly table as CSV (UTF-8 with BOM, so Excel reads Chinese)."""
    out = io.StringIO()
    writer = downloads.csv_writer(out)
    writer.writerow(HEADER)
    text_yuan = lambda fen: format_yuan(fen, symbol=False).replace(",", "")  # noqa: E731
    for row in log.rows:
        writer.writerow(_cells(row, text_yuan))
    writer.writerow(_cells(log.total, text_yuan))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def log_xlsx(log: VisitLog) -> bytes:
    """Return the monthly table and the customers' compounds as an XLSX workbook."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "按月到店"
    downloads.xlsx_append(sheet, [f"{log.title} 联系本 {log.months.label}"])
    downloads.xlsx_append(sheet, HEADER)
    for row in [*log.rows, log.total]:
        downloads.xlsx_append(sheet, _cells(row, _decimal_yuan))
        for cell in sheet[sheet.max_row][5:10]:
            cell.number_format = "0.00"
    sources = book.create_sheet("顾客来源")
    downloads.xlsx_append(sources, COMPOUND_HEADER)
    for c in log.compounds:
        downloads.xlsx_append(
            sources, [c.merchant_name, c.compound_name, c.visits, c.share]
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _decimal_yuan(fen: int) -> Decimal:
    return Decimal(fen) / 100
