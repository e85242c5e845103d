"""Street networks and the stored walking reach of compounds and merchants.

Distances are stored in metres, not minutes: a speed profile (standard 1.2 m/s,
elderly 0.8 m/s) turns them into minutes when read, so one computation serves
every profile. `CoverageRun` holds a fingerprint of the inputs a community's
figures were computed from; a page that finds it stale recomputes first.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from quarter.core.geo import METERS_PER_DEG_LAT, meters_per_deg_lng
from quarter.places.models import BusinessType, Community, Merchant


class StreetNetwork(models.Model):
    """A walking graph imported from OpenStreetMap, stored as a compressed blob.

    The blob (numpy .npz: node lat/lng, edge u/v, edge length in metres) lives in
    the database so that a network is written in the same transaction as its
    row, and every app server reads the same one.
    """

    name = models.CharField(_("名称"), max_length=120)
    source_name = models.CharField(_("来源文件"), max_length=255)
    source_sha256 = models.CharField(max_length=64, verbose_name=_("源文件 SHA-256"))
    # The --bbox the import was cut to ("" for the whole file): with the file's
    # hash it identifies an import, so importing the same again is a no-op.
    clip = models.CharField(_("裁剪范围"), max_length=120, blank=True, default="")
    min_lat = models.FloatField(verbose_name=_("最小纬度"))
    min_lng = models.FloatField(verbose_name=_("最小经度"))
    max_lat = models.FloatField(verbose_name=_("最大纬度"))
    max_lng = models.FloatField(verbose_name=_("最大经度"))
    node_count = models.PositiveIntegerField(_("节点数"))
    edge_count = models.PositiveIntegerField(_("路段数"))
    length_km = models.FloatField(_("步行路网长度(公里)"))
    data = models.BinaryField(verbose_name=_("路网数据"))
    imported_at = models.DateTimeField(_("导入时间"))
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("导入人"),
    )

    class Meta:
        ordering = ["-imported_at", "-id"]
        verbose_name = _("步行路网")
        verbose_name_plural = _("步行路网")

    def __str__(self) -> str:
        return self.name

    def covers(self, lat: float, lng: float, *, margin_m: float = 0.0) -> bool:
        """Whether (lat, lng) lies in the network's extent, widened by `margin_m`."""
        dlat = margin_m / METERS_PER_DEG_LAT
        dlng = margin_m / meters_per_deg_lng(lat)
        return (
            self.min_lat - dlat <= lat <= self.max_lat + dlat
            and self.min_lng - dlng <= lng <= self.max_lng + dlng
        )

    def contains(self, other: StreetNetwork) -> bool:
        """Whether this network's extent holds all of `other`'s."""
        return (
            self.min_lat <= other.min_lat
            and self.min_lng <= other.min_lng
            and self.max_lat >= other.max_lat
            and self.max_lng >= other.max_lng
        )


class CoverageRun(models.Model):
    """The state a community's stored reach was computed from."""

    community = models.OneToOneField(
        Community,
        on_delete=models.CASCADE,
        related_name="coverage_run",
        verbose_name=_("社区"),
    )
    network = models.ForeignKey(
        StreetNetwork,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("步行路网"),
    )
    estimated = models.BooleanField(_("估算"), default=True)
    fingerprint = models.CharField(max_length=64, verbose_name=_("数据指纹"))
    computed_at = models.DateTimeField(verbose_name=_("计算时间"))
    # How each compound meets the street network: metres to its nearest
    # walkable edge, as raw numpy bytes in `compound_ids` order (reach_store).
    compound_ids = models.BinaryField(_("小区编号"), default=b"")
    off_street_m = models.BinaryField(_("小区离街道的米数"), default=b"")

    class Meta:
        verbose_name = _("覆盖计算")
        verbose_name_plural = _("覆盖计算")

    def __str__(self) -> str:
        return f"{self.community} @ {self.computed_at:%Y-%m-%d %H:%M}"


class ReachArray(models.Model):
    """Walking metres from each compound of a community to the nearest open
    merchant of one type, stored as one array per (community, type).

    `compound_ids` (int64) and `distances` (float64 metres, rounded to 0.1 m;
    NaN: none within the computation cap) are raw little-endian numpy bytes
    in the same order. One row per type instead of one per compound × type:
    a recompute writes 27 rows, not 51,000 (see reach_store.py).
    """

    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, related_name="reach_arrays"
    )
    business_type = models.ForeignKey(
        BusinessType, on_delete=models.CASCADE, related_name="+"
    )
    compound_ids = models.BinaryField()
    distances = models.BinaryField()
    estimated = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["community", "business_type"], name="reach_array_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.community_id}→{self.business_type_id}"


class MerchantReach(models.Model):
    """Households within 5/10/15 minutes of a merchant, per speed profile.

    `households` is {"standard": [h5, h10, h15], "elderly": [...]}. The merchant's
    position, type and status as computed are kept, so a later change can be
    recomputed incrementally (see services.refresh_for_merchant).
    """

    merchant = models.OneToOneField(
        Merchant, on_delete=models.CASCADE, related_name="reach"
    )
    households = models.JSONField(default=dict)
    lat = models.FloatField()
    lng = models.FloatField()
    business_type = models.ForeignKey(
        BusinessType, on_delete=models.CASCADE, related_name="+"
    )
    admission = models.CharField(max_length=10)
    status = models.CharField(max_length=12)
    estimated = models.BooleanField(default=True)

    def __str__(self) -> str:
        return f"{self.merchant_id}: {self.households}"
