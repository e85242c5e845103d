"""Verbs of the places app: admission of merchants, their profile,
discounts, hours, status.

Every public service takes `actor` and checks permission itself; every change is
recorded in `MerchantEvent` (who, when, why, before and after) and runs in one
transaction. Discount rates are permille of the list price (550 = 5.5折).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from quarter.core import clock
from quarter.core.actors import is_person
from quarter.core.errors import DomainError
from quarter.core.geo import valid_lat_lng
from quarter.core.identity import phone_problem, pseudonym
from quarter.places import access, events, search
from quarter.places.errors import PlacesErrorCode as Code
from quarter.places.hours import Span, check_spans, parse_weekly_text
from quarter.places.models import (
    Admission,
    BusinessType,
    Community,
    Compound,
    Merchant,
    MerchantEvent,
    MerchantPhoto,
    MerchantSearchDocument,
    MerchantService,
    MerchantStaff,
    MerchantStatus,
    OpeningException,
    OpeningHours,
    SearchLog,
)

ALLOWED_IMAGE_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
MAX_PHOTO_BYTES = 5 * 1024 * 1024
MAX_PHOTOS = 6


# --- compounds -----------------------------------------------------------------


@dataclass
class CompoundDraft:
    """A compound to import: where it is and its (estimated) size."""

    name: str
    lat: float
    lng: float
    households: int
    population: int
    source: str = ""  # e.g. 'osm:w123', kept in the audit trail
    how: str = ""  # how households were counted, kept in the audit trail
    outline: dict | None = None  # GeoJSON Polygon/MultiPolygon, [lng, lat]


def import_compounds(
    *, actor, community: Community, drafts: list[CompoundDraft], reason: str
) -> tuple[int, int]:
    """Add the drafts as compounds of `community`; return (created, skipped).

    A draft whose name the community already has is skipped (its counts are
    the community's to edit, not the import's). Each new compound gets a
    `created` CompoundEvent with `reason` and its source. Raises
    `not_community_operator` (SYSTEM, the command line, passes). Bad
    coordinates or counts raise `invalid_location` / ValidationError and
    write nothing.
    """
    access.require_operator_of(actor, community)
    existing = set(
        Compound.objects.filter(community=community).values_list("name", flat=True)
    )
    created = skipped = 0
    with transaction.atomic():
        for draft in drafts:
            name = draft.name.strip()[:80]
            if not name or name in existing:
                skipped += 1
                continue
            _check_location(draft.lat, draft.lng)
            compound = Compound(
                community=community,
                name=name,
                lat=draft.lat,
                lng=draft.lng,
                households=max(0, int(draft.households)),
                population=max(0, int(draft.population)),
                outline=draft.outline,
            )
            compound.full_clean()
            compound.save()
            existing.add(name)
            events.compound_changed(
                compound,
                actor=actor,
                created=True,
                before={},
                after={
                    "households": compound.households,
                    "population": compound.population,
                    "source": draft.source,
                    "households_estimated": draft.how,
                },
                reason=reason,
            )
            created += 1
    return created, skipped


# --- permissions (decided in access.py) ----------------------------------------

# Re-exported for callers that still import them from here; new code imports
# quarter.places.access.
is_operator_of = access.is_operator_of
is_staff_of = access.is_staff_of


def _require_operator(actor, community: Community) -> None:
    access.require_operator_of(actor, community)


def _require_staff(actor, merchant: Merchant) -> None:
    access.require_staff_of(actor, merchant)


# --- input checks -----------------------------------------------------------


def parse_discount(text: str | None, *, field: str) -> int | None:
    """Parse '5.5', '5.5折' or '55' (tenths are not allowed above 10) into permille."""
    if text is None or str(text).strip() == "":
        return None
    raw = str(text).strip().removesuffix("折")
    try:
        value = float(raw)
    except ValueError:
        raise DomainError(
            Code.RATE_OUT_OF_RANGE, "折扣请填写如 5.5 或 8", field=field
        ) from None
    if not 0 < value <= 10:
        raise DomainError(Code.RATE_OUT_OF_RANGE, "折扣应在0.1到10折之间", field=field)
    return round(value * 100)


def check_card_rule(card_permille: int | None, vip_permille: int | None) -> None:
    """Refuse a community-card rate worse than the merchant's own VIP rate
    (seed 004)."""
    for value, field in (
        (card_permille, "card_discount"),
        (vip_permille, "vip_discount"),
    ):
        if value is not None and not 0 < value <= 1000:
            raise DomainError(
                Code.RATE_OUT_OF_RANGE, "折扣应在0.1到10折之间", field=field
            )
    if (
        card_permille is not None
        and vip_permille is not None
        and card_permille > vip_permille
    ):
        raise DomainError(
            Code.CARD_RATE_WORSE_THAN_VIP,
            f"大家卡折扣({card_permille / 100:g}折)"
            f"不如本店会员卡({vip_permille / 100:g}折)"
            "优惠:大家卡须至少与会员卡一样优惠",
            field="card_discount",
            params={"card": card_permille, "vip": vip_permille},
        )


def _check_location(lat: float, lng: float) -> None:
    if lat is None or lng is None or not valid_lat_lng(lat, lng):
        raise DomainError(
            Code.LOCATION_OUTSIDE_RANGE, "请在地图上选择店铺位置", field="location"
        )


def _check_required(**values) -> None:
    for name, value in values.items():
        if value is None or str(value).strip() == "":
            raise DomainError(Code.FIELD_REQUIRED, "此项必填", field=name)


def check_photo(upload: UploadedFile) -> None:
    """Accept only JPEG, PNG or WebP images up to 5 MB, judged by content, not name."""
    from PIL import Image, UnidentifiedImageError

    if upload.size > MAX_PHOTO_BYTES:
        raise DomainError(Code.UPLOAD_REJECTED, "照片不能超过5MB", field="photos")
    try:
        upload.seek(0)
        with Image.open(upload) as image:
            image.verify()
            kind = image.format
    except (UnidentifiedImageError, OSError, ValueError):
        raise DomainError(
            Code.UPLOAD_REJECTED, "请上传JPG、PNG或WebP图片", field="photos"
        ) from None
    finally:
        upload.seek(0)
    if kind not in ALLOWED_IMAGE_TYPES:
        raise DomainError(
            Code.UPLOAD_REJECTED, "请上传JPG、PNG或WebP图片", field="photos"
        )


# --- admission ---------------------------------------------------------------


@dataclass
class MerchantApplication:
    community: Community
    name: str
    main_type: BusinessType
    address: str
    lat: float
    lng: float
    phone: str
    contact_person: str
    introduction: str = ""
    card_discount_permille: int | None = None
    vip_discount_permille: int | None = None
    card_offer_note: str = ""
    is_chain: bool = False
    brand_name: str = ""
    employees: int | None = None
    services: list[tuple[str, int | None]] | None = None
    hours_text: str = ""


def apply_for_admission(
    *, actor, application: MerchantApplication, photos: list[UploadedFile] = ()
) -> Merchant:
    """File a merchant's application; the applicant becomes its owner.

    Raises `field_required`, `location_outside_range`, `card_rate_worse_than_vip`,
    `rate_out_of_range`, `invalid_hours`, `upload_rejected`. Writes nothing on
    error. Records an `applied` event.
    """
    access.require_signed_in(actor)
    a = application
    _check_required(
        name=a.name, address=a.address, phone=a.phone, contact_person=a.contact_person
    )
    if problem := phone_problem(a.phone) if a.phone.startswith("1") else None:
        raise DomainError(Code.FIELD_REQUIRED, problem, field="phone")
    _check_location(a.lat, a.lng)
    check_card_rule(a.card_discount_permille, a.vip_discount_permille)
    if a.is_chain and not a.brand_name.strip():
        raise DomainError(
            Code.FIELD_REQUIRED, "连锁品牌请填写品牌名", field="brand_name"
        )
    spans = parse_weekly_text(a.hours_text)
    photos = list(photos or [])
    if len(photos) > MAX_PHOTOS:
        raise DomainError(
            Code.UPLOAD_REJECTED, f"最多上传{MAX_PHOTOS}张照片", field="photos"
        )
    for photo in photos:
        check_photo(photo)
    with transaction.atomic():
        merchant = Merchant(
            community=a.community,
            name=a.name.strip(),
            main_type=a.main_type,
            address=a.address.strip(),
            lat=a.lat,
            lng=a.lng,
            phone=a.phone.strip(),
            contact_person=a.contact_person.strip(),
            introduction=a.introduction.strip(),
            card_discount_permille=a.card_discount_permille,
            vip_discount_permille=a.vip_discount_permille,
            card_offer_note=a.card_offer_note.strip(),
            is_chain=a.is_chain,
            brand_name=a.brand_name.strip(),
            employees=a.employees,
            admission=Admission.APPLIED,
            status=MerchantStatus.OPEN,
            status_since=clock.local_now().date(),
        )
        _full_clean(merchant)
        merchant.save()
        MerchantStaff.objects.create(
            merchant=merchant, user=actor, role=MerchantStaff.Role.OWNER
        )
        _add_group(actor, "merchant")
        for order, (name, price_fen) in enumerate(a.services or []):
            MerchantService.objects.create(
                merchant=merchant,
                name=name.strip(),
                price_fen=price_fen,
                sort_order=order,
            )
        _replace_hours(merchant, spans)
        for order, photo in enumerate(photos):
            MerchantPhoto.objects.create(
                merchant=merchant, image=photo, sort_order=order
            )
        events.applied(merchant, actor=actor)
    return merchant


def approve_merchant(*, actor, merchant: Merchant, reason: str = "") -> Merchant:
    """Admit an applied merchant onto the map. Raises `admission_not_pending`."""
    return _change_admission(
        actor=actor,
        merchant=merchant,
        to=Admission.APPROVED,
        kind=MerchantEvent.Kind.APPROVED,
        reason=reason,
        allowed_from={Admission.APPLIED, Admission.REJECTED},
    )


def reject_merchant(*, actor, merchant: Merchant, reason: str) -> Merchant:
    """Refuse an application; the reason is required and shown to the applicant."""
    return _change_admission(
        actor=actor,
        merchant=merchant,
        to=Admission.REJECTED,
        kind=MerchantEvent.Kind.REJECTED,
        reason=reason,
        allowed_from={Admission.APPLIED},
        reason_required=True,
    )


def remove_merchant(*, actor, merchant: Merchant, reason: str) -> Merchant:
    """Take a merchant off the map for good (清退),
    e.g. after a failed star evaluation."""
    return _change_admission(
        actor=actor,
        merchant=merchant,
        to=Admission.REMOVED,
        kind=MerchantEvent.Kind.REMOVED,
        reason=reason,
        allowed_from={Admission.APPROVED, Admission.APPLIED},
        reason_required=True,
    )


def suspend_merchant(*, actor, merchant: Merchant, reason: str) -> Merchant:
    """Hide a merchant from search and stop its offers until reinstated."""
    _require_operator(actor, merchant.community)
    return _change_status(
        actor=actor,
        merchant=merchant,
        status=MerchantStatus.SUSPENDED,
        kind=MerchantEvent.Kind.SUSPENDED,
        reason=_require_reason(reason),
    )


def reinstate_merchant(*, actor, merchant: Merchant, reason: str) -> Merchant:
    _require_operator(actor, merchant.community)
    return _change_status(
        actor=actor,
        merchant=merchant,
        status=MerchantStatus.OPEN,
        kind=MerchantEvent.Kind.REINSTATED,
        reason=_require_reason(reason),
    )


def _change_admission(
    *, actor, merchant, to, kind, reason, allowed_from, reason_required=False
) -> Merchant:
    _require_operator(actor, merchant.community)
    if reason_required:
        reason = _require_reason(reason)
    with transaction.atomic():
        merchant = Merchant.objects.select_for_update().get(pk=merchant.pk)
        if merchant.admission not in allowed_from:
            raise DomainError(
                Code.ADMISSION_NOT_PENDING,
                f"该商户当前为“{merchant.get_admission_display()}”,不能办理此操作",
            )
        before = merchant.admission
        merchant.admission = to
        merchant.save(update_fields=["admission", "updated_at"])
        events.admission_changed(
            merchant, kind, actor=actor, reason=reason, before=before
        )
        index_merchant(merchant)
        _after_map_change(merchant, actor=actor)
    return merchant


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(Code.REASON_REQUIRED, "请填写原因", field="reason")
    return reason


# --- the merchant's own console ----------------------------------------------

EDITABLE_FIELDS = (
    "name",
    "introduction",
    "address",
    "phone",
    "contact_person",
    "card_offer_note",
    "is_chain",
    "brand_name",
    "employees",
    "lat",
    "lng",
)


def update_merchant_profile(*, actor, merchant: Merchant, **changes) -> Merchant:
    """Change the merchant's own profile fields (see EDITABLE_FIELDS)."""
    _require_staff(actor, merchant)
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise DomainError(Code.FIELD_REQUIRED, f"不能修改:{', '.join(sorted(unknown))}")
    _check_required(
        **{
            k: v
            for k, v in changes.items()
            if k in ("name", "address", "phone", "contact_person")
        }
    )
    if "lat" in changes or "lng" in changes:
        _check_location(
            changes.get("lat", merchant.lat), changes.get("lng", merchant.lng)
        )
    with transaction.atomic():
        merchant = Merchant.objects.select_for_update().get(pk=merchant.pk)
        before = {k: getattr(merchant, k) for k in changes}
        for key, value in changes.items():
            setattr(merchant, key, value.strip() if isinstance(value, str) else value)
        if merchant.is_chain and not merchant.brand_name:
            raise DomainError(
                Code.FIELD_REQUIRED, "连锁品牌请填写品牌名", field="brand_name"
            )
        _full_clean(merchant)
        merchant.save()
        after = {k: getattr(merchant, k) for k in changes}
        if before != after:
            events.fields_changed(
                merchant,
                MerchantEvent.Kind.PROFILE_UPDATED,
                actor=actor,
                before=before,
                after=after,
            )
        index_merchant(merchant)
        if (
            before.get("lat", merchant.lat) != merchant.lat
            or before.get("lng", merchant.lng) != merchant.lng
        ):
            _after_map_change(merchant, actor=actor)
    return merchant


def set_merchant_services(
    *, actor, merchant: Merchant, services: list[tuple[str, int | None]]
) -> Merchant:
    """Replace the merchant's services and prices (fen, or None for 面议).

    Refuses a blank name, a duplicate name or a negative price
    (`field_required`); records the change with the prices before and after.
    """
    _require_staff(actor, merchant)
    names = [name.strip() for name, _price in services]
    if any(not n for n in names):
        raise DomainError(Code.FIELD_REQUIRED, "请填写服务名称", field="services")
    if len(set(names)) != len(names):
        raise DomainError(Code.FIELD_REQUIRED, "服务名称重复", field="services")
    if any(p is not None and p < 0 for _n, p in services):
        raise DomainError(Code.FIELD_REQUIRED, "价格不能为负数", field="services")
    with transaction.atomic():
        merchant = Merchant.objects.select_for_update().get(pk=merchant.pk)
        before = {s.name: s.price_fen for s in merchant.services.all()}
        after = {n: p for n, (_x, p) in zip(names, services, strict=True)}
        if before == after:
            return merchant
        merchant.services.all().delete()
        MerchantService.objects.bulk_create(
            MerchantService(merchant=merchant, name=n, price_fen=p, sort_order=i)
            for i, (n, p) in enumerate(after.items())
        )
        events.fields_changed(
            merchant,
            MerchantEvent.Kind.PROFILE_UPDATED,
            actor=actor,
            before={"services": _priced(before)},
            after={"services": _priced(after)},
        )
        index_merchant(merchant)
    return merchant


def change_merchant_photos(
    *,
    actor,
    merchant: Merchant,
    add: list[UploadedFile] = (),
    remove_ids: list[int] = (),
) -> Merchant:
    """Add photos to the shop's page and take others off it (its staff only).

    Each upload is checked by content (JPG, PNG or WebP, at most 5 MB); the
    shop keeps at most MAX_PHOTOS. Raises `merchant_not_owned`,
    `upload_rejected` (400, field `photos`); writes nothing when it raises.
    Records the change (how many photos before and after).
    """
    _require_staff(actor, merchant)
    add = list(add or [])
    for photo in add:
        check_photo(photo)
    with transaction.atomic():
        merchant = Merchant.objects.select_for_update().get(pk=merchant.pk)
        photos = merchant.photos.all()
        before = photos.count()
        removing = photos.filter(pk__in=list(remove_ids or []))
        if before - removing.count() + len(add) > MAX_PHOTOS:
            raise DomainError(
                Code.UPLOAD_REJECTED, f"最多上传{MAX_PHOTOS}张照片", field="photos"
            )
        for old in removing:
            old.image.delete(save=False)
        removing.delete()
        last = photos.order_by("-sort_order").values_list("sort_order", flat=True)
        start = (last.first() or 0) + 1
        for order, upload in enumerate(add, start=start):
            MerchantPhoto.objects.create(
                merchant=merchant, image=upload, sort_order=order
            )
        after = merchant.photos.count()
        if after != before or add:
            events.fields_changed(
                merchant,
                MerchantEvent.Kind.PROFILE_UPDATED,
                actor=actor,
                before={"photos": before},
                after={"photos": after},
            )
    return merchant


def _priced(services: dict) -> list[str]:
    """'豆浆 ¥3.00' per service, as the audit trail shows them."""
    from quarter.core.money import format_yuan

    return [
        f"{n} {format_yuan(p)}" if p is not None else n for n, p in services.items()
    ]


def set_merchant_discounts(
    *,
    actor,
    merchant: Merchant,
    card_discount_permille: int | None,
    vip_discount_permille: int | None,
) -> Merchant:
    """Set the community-card and VIP rates. Raises `card_rate_worse_than_vip`."""
    _require_staff(actor, merchant)
    check_card_rule(card_discount_permille, vip_discount_permille)
    with transaction.atomic():
        merchant = Merchant.objects.select_for_update().get(pk=merchant.pk)
        before = {
            "card": merchant.card_discount_permille,
            "vip": merchant.vip_discount_permille,
        }
        merchant.card_discount_permille = card_discount_permille
        merchant.vip_discount_permille = vip_discount_permille
        merchant.save(
            update_fields=[
                "card_discount_permille",
                "vip_discount_permille",
                "updated_at",
            ]
        )
        events.fields_changed(
            merchant,
            MerchantEvent.Kind.DISCOUNT_CHANGED,
            actor=actor,
            before=before,
            after={"card": card_discount_permille, "vip": vip_discount_permille},
        )
    return merchant


def set_weekly_hours(*, actor, merchant: Merchant, text: str) -> Merchant:
    """Replace the weekly schedule from text lines ('1-5 07:00-21:00').
    `invalid_hours`."""
    _require_staff(actor, merchant)
    spans = parse_weekly_text(text)
    return set_weekly_spans(actor=actor, merchant=merchant, spans=spans)


def set_weekly_spans(*, actor, merchant: Merchant, spans: list[Span]) -> Merchant:
    """Replace the weekly schedule with `spans` (weekday, open and close minutes).

    Raises `invalid_hours` when two spans of a day overlap; writes nothing then.
    """
    _require_staff(actor, merchant)
    spans = check_spans(spans)
    with transaction.atomic():
        before = [
            (h.weekday, h.open_minute, h.close_minute) for h in merchant.hours.all()
        ]
        _replace_hours(merchant, spans)
        events.fields_changed(
            merchant,
            MerchantEvent.Kind.HOURS_CHANGED,
            actor=actor,
            before={"hours": before},
            after={
                "hours": [(s.weekday, s.open_minute, s.close_minute) for s in spans]
            },
        )
    return merchant


def add_opening_exception(
    *,
    actor,
    merchant: Merchant,
    date: dt.date,
    closed: bool,
    hours_text: str = "",
    note: str = "",
) -> list[OpeningException]:
    """Set one date's hours apart from the week: closed all day, or special spans.

    `hours_text` is like '09:00-12:00' (several spans separated by commas).
    Replaces any exception already set for that date. Raises `invalid_hours`.
    """
    _require_staff(actor, merchant)
    if date < clock.local_now().date():
        raise DomainError(Code.INVALID_HOURS, "日期不能早于今天", field="date")
    spans = []
    if not closed:
        text = "\n".join(
            f"1 {part.strip()}" for part in hours_text.split(",") if part.strip()
        )
        spans = [s for s in parse_weekly_text(text) if s.weekday == 0]
        if not spans:
            raise DomainError(
                Code.INVALID_HOURS, "请填写当天的营业时间,如 09:00-12:00", field="hours"
            )
    with transaction.atomic():
        merchant.exceptions.filter(date=date).delete()
        rows = (
            [OpeningException(merchant=merchant, date=date, closed=True, note=note)]
            if closed
            else [
                OpeningException(
                    merchant=merchant,
                    date=date,
                    closed=False,
                    note=note,
                    open_minute=s.open_minute,
                    close_minute=s.close_minute,
                )
                for s in spans
            ]
        )
        OpeningException.objects.bulk_create(rows)
        events.fields_changed(
            merchant,
            MerchantEvent.Kind.HOURS_CHANGED,
            actor=actor,
            reason=note,
            before={},
            after={"date": date.isoformat(), "closed": closed, "hours": hours_text},
        )
    return rows


MERCHANT_SETTABLE_STATUSES = {
    MerchantStatus.OPEN,
    MerchantStatus.RENOVATING,
    MerchantStatus.CLOSED,
}


def set_merchant_status(
    *,
    actor,
    merchant: Merchant,
    status: str,
    until: dt.date | None = None,
    reason: str = "",
) -> Merchant:
    """Set open / renovating / closed from the merchant console;
    suspension is operators'."""
    _require_staff(actor, merchant)
    if status not in MERCHANT_SETTABLE_STATUSES:
        raise DomainError(
            Code.INVALID_STATUS, "只能设为营业中、装修中或已停业", field="status"
        )
    if merchant.status == MerchantStatus.SUSPENDED:
        raise DomainError(
            Code.INVALID_STATUS, "本店已被社区暂停,请联系社区恢复", field="status"
        )
    today = clock.local_now().date()
    if until is not None and until < today:
        raise DomainError(
            Code.INVALID_STATUS, "预计结束日期不能早于今天", field="until"
        )
    return _change_status(
        actor=actor,
        merchant=merchant,
        status=status,
        kind=MerchantEvent.Kind.STATUS_CHANGED,
        reason=reason,
        until=until,
    )


def _change_status(*, actor, merchant, status, kind, reason, until=None) -> Merchant:
    with transaction.atomic():
        merchant = Merchant.objects.select_for_update().get(pk=merchant.pk)
        before = {"status": merchant.status, "until": _iso(merchant.status_until)}
        merchant.status = status
        merchant.status_since = clock.local_now().date()
        merchant.status_until = until
        merchant.save(
            update_fields=["status", "status_since", "status_until", "updated_at"]
        )
        events.fields_changed(
            merchant,
            kind,
            actor=actor,
            reason=reason,
            before=before,
            after={"status": status, "until": _iso(until)},
        )
        index_merchant(merchant)
        _after_map_change(merchant, actor=actor)
    return merchant


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


# --- helpers -------------------------------------------------------------------


def _replace_hours(merchant: Merchant, spans) -> None:
    merchant.hours.all().delete()
    OpeningHours.objects.bulk_create(
        OpeningHours(
            merchant=merchant,
            weekday=s.weekday,
            open_minute=s.open_minute,
            close_minute=s.close_minute,
        )
        for s in spans
    )


def _full_clean(merchant: Merchant) -> None:
    try:
        merchant.full_clean(exclude=["community", "main_type"])
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise DomainError(Code.FIELD_REQUIRED, messages[0], field=field) from None


def _add_group(user, name: str) -> None:
    from django.contrib.auth.models import Group

    group, _ = Group.objects.get_or_create(name=name)
    user.groups.add(group)


def _after_map_change(merchant: Merchant, *, actor) -> None:
    """Tell coverage that a merchant opened, closed or moved,
    once the change commits."""
    from quarter.coverage import services as coverage_services

    coverage_services.refresh_after_commit(merchant.pk, actor=actor)


def _search_fields(merchant: Merchant) -> list[str]:
    t = merchant.main_type
    return [
        merchant.name,
        t.name_zh,
        t.name_en,
        t.keywords,
        merchant.brand_name,
        " ".join(s.name for s in merchant.services.all()),
        merchant.introduction,
        merchant.address,
    ]


def _is_searchable(merchant: Merchant) -> bool:
    from quarter.places.selectors import HIDDEN_FROM_SEARCH

    return (
        merchant.admission == Admission.APPROVED
        and merchant.status not in HIDDEN_FROM_SEARCH
    )


def _document(merchant: Merchant) -> MerchantSearchDocument:
    words = search.filter_words(
        type_code=merchant.main_type.code,
        tier=merchant.main_type.tier,
        community_id=merchant.community_id,
    )
    fields = _search_fields(merchant)
    return MerchantSearchDocument(
        merchant=merchant,
        tokens=search.document_tokens(*fields),
        grams=f"{search.document_grams(*fields)} {words}",
        name_grams=search.document_grams(merchant.name),
        lat=merchant.lat,
        lng=merchant.lng,
        type_code=merchant.main_type.code,
        tier=merchant.main_type.tier,
        community_ref=merchant.community_id,
    )


def index_merchant(merchant: Merchant) -> None:
    """Write the merchant's search document,
    or drop it when residents may not see it."""
    MerchantSearchDocument.objects.filter(merchant_id=merchant.pk).delete()
    if _is_searchable(merchant):
        _document(merchant).save(force_insert=True)


def reindex_merchants(merchant_ids=None, *, batch_size: int = 2000) -> int:
    """Rebuild search documents in bulk (demo data, imports, benchmarks)."""
    qs = Merchant.objects.select_related("main_type").prefetch_related("services")
    if merchant_ids is not None:
        qs = qs.filter(pk__in=list(merchant_ids))
    count = 0
    with transaction.atomic():
        batch, ids = [], []
        for merchant in qs.iterator(chunk_size=batch_size):
            ids.append(merchant.pk)
            if _is_searchable(merchant):
                batch.append(_document(merchant))
            if len(ids) >= batch_size:
                count += _flush_documents(ids, batch)
                batch, ids = [], []
        count += _flush_documents(ids, batch)
    return count


def _flush_documents(ids, batch) -> int:
    MerchantSearchDocument.objects.filter(merchant_id__in=ids).delete()
    MerchantSearchDocument.objects.bulk_create(batch)
    return len(batch)


def log_search(
    *, actor, query: str, result_count: int, compound: Compound | None = None
):
    """Record a search by `actor` (anyone, even anonymous); zero-result ones feed
    the planning demand signal. A signed-in person is stored only as a keyed
    pseudonym, never as the account (whose username may be a phone number)."""
    if not query.strip():
        return None
    return SearchLog.objects.create(
        query=query.strip()[:100],
        result_count=result_count,
        visitor=pseudonym("user", actor.pk) if is_person(actor) else "",
        compound=compound,
        created_at=clock.now(),
    )
