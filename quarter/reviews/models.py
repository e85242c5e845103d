"""Ratings of merchants by residents who were there, and the annual star evaluation.

A `Rating` is born from one visit (`card.Visit`) or one voucher redemption
(`vouchers.Redemption`) and each of those can carry one rating. Its state
machine (`RATING_TRANSITIONS`):

    visible  -> hidden    an operator hides it, with a reason
    hidden   -> visible   an operator shows it again
    flagged  -> visible   an operator clears a burst flag
    flagged  -> hidden    an operator hides a flagged rating

A rating is `flagged` when it is part of a burst of ratings from new accounts
(see `services._flag_burst`); flagged and hidden ratings count in no average.

An `Evaluation` is one community's star evaluation for one year. Each listed
merchant gets an `EvaluationResult` whose state machine
(`RESULT_TRANSITIONS`) is:

    passed                                 at or above the bar
    warned       -> improved | still_below re-evaluated after the deadline
    still_below  -> removed                the operator removes the merchant

Every change is recorded in `ReviewEvent` (who, when, why, before, after).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from quarter.core.states import Transitions
from quarter.core.uploads import UnguessableName
from quarter.places.models import Community, Merchant


class RatingStatus(models.TextChoices):
    VISIBLE = "visible", _("公开")
    HIDDEN = "hidden", _("已隐藏")
    FLAGGED = "flagged", _("待核查")


RATING_TRANSITIONS = Transitions(
    "rating",
    {
        RatingStatus.VISIBLE: [RatingStatus.HIDDEN],
        RatingStatus.HIDDEN: [RatingStatus.VISIBLE],
        RatingStatus.FLAGGED: [RatingStatus.VISIBLE, RatingStatus.HIDDEN],
    },
    code="rating_state_not_allowed",
    message="这条评价当前的状态不能进行这项操作",
)


class Rating(models.Model):
    """One resident's stars and words about one visit or voucher payment."""

    merchant = models.ForeignKey(
        Merchant,
        on_delete=models.PROTECT,
        related_name="ratings",
        verbose_name=_("商户"),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="ratings",
        verbose_name=_("评价人"),
    )
    visit = models.OneToOneField(
        "card.Visit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="rating",
    )
    redemption = models.OneToOneField(
        "vouchers.Redemption",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="rating",
    )
    quality = models.PositiveSmallIntegerField(_("质量"))
    service = models.PositiveSmallIntegerField(_("服务"))
    price = models.PositiveSmallIntegerField(_("价格"))
    text = models.TextField(_("评价内容"), max_length=1000, blank=True)
    status = models.CharField(
        _("状态"),
        max_length=10,
        choices=RatingStatus.choices,
        default=RatingStatus.VISIBLE,
    )
    status_reason = models.CharField(_("原因"), max_length=200, blank=True)
    reply_text = models.TextField(_("商户回复"), max_length=500, blank=True)
    reply_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reply_at = models.DateTimeField(_("回复时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("评价时间"), db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("评价")
        verbose_name_plural = _("评价")
        indexes = [
            models.Index(
                fields=["merchant", "status", "created_at"],
                name="rating_merchant_status",
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    quality__gte=1,
                    quality__lte=5,
                    service__gte=1,
                    service__lte=5,
                    price__gte=1,
                    price__lte=5,
                ),
                name="rating_stars_1_to_5",
            ),
            models.CheckConstraint(
                condition=models.Q(visit__isnull=False)
                | models.Q(redemption__isnull=False),
                name="rating_has_visit_or_redemption",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.merchant} {self.score:.1f}★"

    @property
    def score(self) -> float:
        """The rating's overall stars: the mean of 质量, 服务 and 价格."""
        return (self.quality + self.service + self.price) / 3


class RatingPhoto(models.Model):
    rating = models.ForeignKey(Rating, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(upload_to=UnguessableName("ratings"))
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "id"]

    def __str__(self) -> str:
        return f"评价{self.rating_id}的照片"


class Evaluation(models.Model):
    """One community's annual star evaluation (评星) for one year."""

    community = models.ForeignKey(
        Community,
        on_delete=models.PROTECT,
        related_name="evaluations",
        verbose_name=_("社区"),
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    opened_at = models.DateTimeField(_("开启时间"))
    improve_until = models.DateField(_("整改期限"))

    class Meta:
        ordering = ["-year", "-id"]
        verbose_name = _("年度评星")
        verbose_name_plural = _("年度评星")
        constraints = [
            models.UniqueConstraint(
                fields=["community", "year"], name="evaluation_one_per_year"
            )
        ]

    def __str__(self) -> str:
        return f"{self.community} {self.year}年度评星"


class ResultState(models.TextChoices):
    PASSED = "passed", _("达标")
    WARNED = "warned", _("已预警,整改中")
    IMPROVED = "improved", _("整改后达标")
    STILL_BELOW = "still_below", _("复评仍未达标")
    REMOVED = "removed", _("已清退")


RESULT_TRANSITIONS = Transitions(
    "evaluation_result",
    {
        ResultState.PASSED: [],
        ResultState.WARNED: [ResultState.IMPROVED, ResultState.STILL_BELOW],
        ResultState.IMPROVED: [],
        ResultState.STILL_BELOW: [ResultState.REMOVED, ResultState.IMPROVED],
        ResultState.REMOVED: [],
    },
    code="evaluation_result_state_not_allowed",
    message="该商户当前的评星状态不能进行这项操作",
)


class EvaluationResult(models.Model):
    """One merchant's stars in one evaluation, with the breakdown behind them."""

    evaluation = models.ForeignKey(
        Evaluation, on_delete=models.CASCADE, related_name="results"
    )
    merchant = models.ForeignKey(
        Merchant,
        on_delete=models.PROTECT,
        related_name="evaluation_results",
        verbose_name=_("商户"),
    )
    stars = models.PositiveSmallIntegerField(_("星级"))
    score = models.PositiveSmallIntegerField(_("得分"))
    # What the score was made of: see `scoring.breakdown` for the keys.
    breakdown = models.JSONField(default=dict)
    state = models.CharField(_("状态"), max_length=12, choices=ResultState.choices)
    deadline = models.DateField(_("整改期限"), null=True, blank=True)
    reevaluated_at = models.DateTimeField(_("复评时间"), null=True, blank=True)
    removal_reason = models.TextField(_("清退原因"), blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["stars", "score", "merchant_id"]
        verbose_name = _("评星结果")
        verbose_name_plural = _("评星结果")
        constraints = [
            models.UniqueConstraint(
                fields=["evaluation", "merchant"], name="evaluation_result_once"
            ),
            models.CheckConstraint(
                condition=models.Q(stars__gte=1, stars__lte=5),
                name="evaluation_stars_1_to_5",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.merchant} {self.stars}★"


class ReviewEvent(models.Model):
    """Audit trail of ratings and evaluations (who, when, why, before, after)."""

    class Kind(models.TextChoices):
        RATED = "rated", _("发表评价")
        FLAGGED = "flagged", _("集中评价待核查")
        CLEARED = "cleared", _("核查通过")
        HIDDEN = "hidden", _("隐藏评价")
        SHOWN = "shown", _("恢复显示")
        REPLIED = "replied", _("商户回复")
        OPENED = "opened", _("开启年度评星")
        WARNED = "warned", _("评星预警")
        REEVALUATED = "reevaluated", _("复评")
        REMOVED = "removed", _("评星清退")

    kind = models.CharField(max_length=12, choices=Kind.choices)
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    merchant = models.ForeignKey(
        Merchant, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    rating = models.ForeignKey(
        Rating, on_delete=models.CASCADE, null=True, blank=True, related_name="events"
    )
    result = models.ForeignKey(
        EvaluationResult,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="events",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    reason = models.TextField(blank=True)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("评价记录")
        verbose_name_plural = _("评价记录")

    def __str__(self) -> str:
        return self.get_kind_display()
