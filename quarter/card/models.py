"""A visit: one payment at a till with the community card, a voucher, or both."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from quarter.people.models import Household, Resident
from quarter.places.models import Compound, Merchant


class Visit(models.Model):
    """One line of the visit log (联系本): who paid where, when, how much, how.

    Amounts are integer fen: `payable_fen = bill_fen - card_discount_fen -
    voucher_face_fen`. `resident` is the person who showed a phone card or
    whose voucher was used; a printed household card leaves it empty and
    names only the `household`. `compound` is the customer's compound at the
    time, kept so the log still says where customers came from after a move.
    """

    class Method(models.TextChoices):
        CARD = "card", _("大家卡")
        VOUCHER = "voucher", _("消费券")
        CARD_VOUCHER = "card_voucher", _("大家卡+消费券")

    class Status(models.TextChoices):
        PAID = "paid", _("已支付")
        PARTLY_REFUNDED = "part_refund", _("部分退款")
        REFUNDED = "refunded", _("已退款")

    merchant = models.ForeignKey(
        Merchant,
        on_delete=models.PROTECT,
        related_name="visits",
        verbose_name=_("商户"),
    )
    household = models.ForeignKey(
        Household,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="visits",
        verbose_name=_("家庭"),
    )
    resident = models.ForeignKey(
        Resident,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="visits",
        verbose_name=_("居民"),
    )
    compound = models.ForeignKey(
        Compound,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("小区"),
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("收银员"),
    )
    method = models.CharField(_("方式"), max_length=12, choices=Method.choices)
    # Idempotency key the till sends: a retried confirm records one visit.
    key = models.CharField(max_length=80)
    bill_fen = models.BigIntegerField(_("消费金额(分)"))
    card_discount_fen = models.BigIntegerField(_("大家卡优惠(分)"), default=0)
    voucher_face_fen = models.BigIntegerField(_("消费券抵扣(分)"), default=0)
    payable_fen = models.BigIntegerField(_("实付(分)"))
    refunded_fen = models.BigIntegerField(_("已退(分)"), default=0)
    redemption = models.OneToOneField(
        "vouchers.Redemption",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="visit",
        verbose_name=_("核销记录"),
    )
    status = models.CharField(
        _("状态"), max_length=12, choices=Status.choices, default=Status.PAID
    )
    occurred_at = models.DateTimeField(_("时间"), db_index=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("到店记录")
        verbose_name_plural = _("到店记录")
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "key"], name="visit_key_per_merchant"
            ),
            models.CheckConstraint(
                condition=models.Q(
                    bill_fen__gt=0,
                    card_discount_fen__gte=0,
                    voucher_face_fen__gte=0,
                    payable_fen__gte=0,
                    payable_fen=models.F("bill_fen")
                    - models.F("card_discount_fen")
                    - models.F("voucher_face_fen"),
                ),
                name="visit_amounts_add_up",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    refunded_fen__gte=0, refunded_fen__lte=models.F("payable_fen")
                ),
                name="visit_refund_within_paid",
            ),
            models.CheckConstraint(
                condition=models.Q(household__isnull=False)
                | models.Q(resident__isnull=False),
                name="visit_has_customer",
            ),
        ]
        indexes = [
            models.Index(
                fields=["merchant", "occurred_at"], name="visit_merchant_time"
            ),
            models.Index(
                fields=["resident", "occurred_at"], name="visit_resident_time"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.merchant} {self.occurred_at:%Y-%m-%d %H:%M}"

    @property
    def discount_fen(self) -> int:
        """The whole discount the customer got: card price cut plus voucher face."""
        return self.card_discount_fen + self.voucher_face_fen


class CardPin(models.Model):
    """The PIN of a household's printed card: only its hash is kept.

    Set or reset by a resident of the household or by an operator of its
    community (`card.access`); typed at the till with the card number.
    """

    household = models.OneToOneField(
        Household,
        on_delete=models.CASCADE,
        related_name="card_pin",
        verbose_name=_("家庭"),
    )
    pin_hash = models.CharField(max_length=128)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("设置人"),
    )
    set_at = models.DateTimeField(_("设置时间"))

    class Meta:
        verbose_name = _("家庭卡密码")
        verbose_name_plural = _("家庭卡密码")

    def __str__(self) -> str:
        return str(self.household)


class CardEvent(models.Model):
    """Audit of the card: PINs set or reset, cards locked after wrong PINs."""

    class Kind(models.TextChoices):
        PIN_SET = "pin_set", _("设置密码")
        PIN_RESET = "pin_reset", _("重置密码")
        CARD_LOCKED = "card_locked", _("输错锁定")

    household = models.ForeignKey(
        Household, on_delete=models.CASCADE, related_name="card_events"
    )
    kind = models.CharField(_("事项"), max_length=12, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    reason = models.CharField(_("说明"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("时间"))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("大家卡记录")
        verbose_name_plural = _("大家卡记录")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.created_at:%Y-%m-%d %H:%M}"
