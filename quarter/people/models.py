"""Accounts and roles.

Every person logs in as a `User`. Roles are Django groups (see `Role`) plus an
object that says where the role applies: a resident's household, an operator's
community, an issuer's district, a merchant's staff list (in `places`).
"""

from __future__ import annotations

import secrets

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from quarter.places.models import Community, Compound, District


class Role(models.TextChoices):
    RESIDENT = "resident", _("居民")
    MERCHANT = "merchant", _("商户")
    OPERATOR = "operator", _("社区工作者")
    ISSUER = "issuer", _("发券机构")
    DEPARTMENT = "department", _("职能部门")


class User(AbstractUser):
    """A login. Residents use their phone number as username."""

    phone = models.CharField(_("手机号"), max_length=20, blank=True)

    def has_role(self, role: str) -> bool:
        return self.groups.filter(name=role).exists()


def _new_card_number() -> str:
    return "DJ" + "".join(secrets.choice("0123456789") for _ in range(10))


class Household(models.Model):
    """A household (户) in a compound; it holds the community card (大家卡)."""

    compound = models.ForeignKey(
        Compound, on_delete=models.PROTECT, related_name="household_set"
    )
    address = models.CharField(_("门牌"), max_length=80)
    card_number = models.CharField(max_length=16, unique=True, default=_new_card_number)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        unique_together = [("compound", "address")]
        verbose_name = _("家庭")
        verbose_name_plural = _("家庭")

    def __str__(self) -> str:
        return f"{self.compound.name} {self.address}"


class Resident(models.Model):
    """A resident's profile; real-name data is kept only as a keyed hash and a mask."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="resident")
    phone = models.CharField(max_length=20, unique=True)
    household = models.ForeignKey(
        Household,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="residents",
    )
    real_name = models.CharField(_("姓名"), max_length=40, blank=True)
    id_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    id_masked = models.CharField(_("身份证号"), max_length=18, blank=True)
    birth_date = models.DateField(null=True, blank=True)
    verified_at = models.DateTimeField(_("实名时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("居民")
        verbose_name_plural = _("居民")

    def __str__(self) -> str:
        return self.real_name or self.user.username

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None

    @property
    def compound(self) -> Compound | None:
        return self.household.compound if self.household_id else None


class Operator(models.Model):
    """A community worker (社区工作者): sees and manages one community."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="operator_roles"
    )
    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, related_name="operators"
    )

    class Meta:
        unique_together = [("user", "community")]
        verbose_name = _("社区工作者")
        verbose_name_plural = _("社区工作者")


class Issuer(models.Model):
    """A commerce bureau or street office that funds vouchers for a district."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="issuer_roles"
    )
    organisation = models.CharField(_("机构"), max_length=80)
    district = models.ForeignKey(
        District, on_delete=models.CASCADE, related_name="issuers"
    )

    class Meta:
        unique_together = [("user", "district")]
        verbose_name = _("发券机构")
        verbose_name_plural = _("发券机构")


class LoginAttempt(models.Model):
    """Failed logins, counted per username and IP to rate-limit guessing."""

    username = models.CharField(max_length=150, db_index=True)
    ip = models.GenericIPAddressField(null=True)
    created_at = models.DateTimeField(db_index=True)
