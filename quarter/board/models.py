"""The notice board: notices (热点信息, 消费主张), jobs (招工专栏), suggestions.

Three state machines, each one transitions table (see `quarter.core.states`):

A **notice** is written by an operator (published at once, or later with
`publish_at`), submitted by a shop's staff (`pending` until an operator
approves or rejects it with a reason), or drafted by the platform when a
merchant joins, changes status or improves its card rate (`draft` until an
operator publishes or discards it). A published notice is shown from
`publish_at` until `expire_at`; an operator may withdraw it.

A **job post** is submitted by a shop's staff (`pending`), approved or
rejected by an operator, and leaves the list on its expiry date (or when
withdrawn).

A **suggestion** is posted by a resident (`submitted`); operators answer with
a status and a reply, each answer kept as a `SuggestionAnswer` row and sent
to the author. `declined` and `done` are final.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from quarter.core.states import Transitions
from quarter.core.uploads import UnguessableName
from quarter.places.models import Community, Merchant, MerchantEvent

MAX_TITLE = 80
MAX_BODY = 2000


class NoticeKind(models.TextChoices):
    NEW_SHOP = "new_shop", _("新店加入")
    PROMOTION = "promotion", _("促销活动")
    CLOSURE = "closure", _("停业/装修公告")
    CONSUMER_TIP = "consumer_tip", _("消费主张")
    COMMUNITY = "community", _("社区通知")


# Kinds a shop may submit about itself; tips and community notices are operators'.
MERCHANT_KINDS = (NoticeKind.NEW_SHOP, NoticeKind.PROMOTION, NoticeKind.CLOSURE)


class NoticeStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PENDING = "pending", _("待审核")
    PUBLISHED = "published", _("已发布")
    REJECTED = "rejected", _("已驳回")
    WITHDRAWN = "withdrawn", _("已撤下")


NOTICE_TRANSITIONS = Transitions(
    "notice",
    {
        NoticeStatus.DRAFT: [NoticeStatus.PUBLISHED, NoticeStatus.WITHDRAWN],
        NoticeStatus.PENDING: [NoticeStatus.PUBLISHED, NoticeStatus.REJECTED],
        NoticeStatus.PUBLISHED: [NoticeStatus.WITHDRAWN],
        NoticeStatus.REJECTED: [],
        NoticeStatus.WITHDRAWN: [],
    },
    code="notice_state_conflict",
    message="这条公告当前状态下不能进行这项操作",
)


class Notice(models.Model):
    community = models.ForeignKey(
        Community,
        on_delete=models.CASCADE,
        related_name="notices",
        verbose_name=_("社区"),
    )
    merchant = models.ForeignKey(
        Merchant,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notices",
        verbose_name=_("商户"),
    )
    kind = models.CharField(_("类别"), max_length=20, choices=NoticeKind.choices)
    title = models.CharField(_("标题"), max_length=MAX_TITLE)
    body = models.TextField(_("内容"), max_length=MAX_BODY, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=NoticeStatus.choices)
    pinned = models.BooleanField(_("置顶"), default=False)
    publish_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    expire_at = models.DateTimeField(_("下线时间"), null=True, blank=True)
    reject_reason = models.CharField(_("驳回原因"), max_length=500, blank=True)
    # The merchant event an automatic draft came from: one draft per event.
    source_event = models.OneToOneField(
        MerchantEvent,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="notice",
        verbose_name=_("来源事件"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("提交人"),
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("审核人"),
    )
    created_at = models.DateTimeField(_("提交时间"))
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)

    class Meta:
        ordering = ["-pinned", "-publish_at", "-id"]
        verbose_name = _("公告")
        verbose_name_plural = _("公告")
        indexes = [
            models.Index(
                fields=["community", "status", "publish_at"], name="notice_feed"
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expire_at__isnull=True)
                | models.Q(publish_at__isnull=True)
                | models.Q(expire_at__gt=models.F("publish_at")),
                name="notice_expires_after_publish",
            )
        ]

    def __str__(self) -> str:
        return self.title


class PayUnit(models.TextChoices):
    MONTH = "month", _("月")
    DAY = "day", _("天")
    HOUR = "hour", _("小时")


class JobStatus(models.TextChoices):
    PENDING = "pending", _("待审核")
    APPROVED = "approved", _("已发布")
    REJECTED = "rejected", _("已驳回")
    WITHDRAWN = "withdrawn", _("已撤下")


JOB_TRANSITIONS = Transitions(
    "job",
    {
        JobStatus.PENDING: [
            JobStatus.APPROVED,
            JobStatus.REJECTED,
            JobStatus.WITHDRAWN,
        ],
        JobStatus.APPROVED: [JobStatus.WITHDRAWN],
        JobStatus.REJECTED: [],
        JobStatus.WITHDRAWN: [],
    },
    code="job_state_conflict",
    message="这条招工信息当前状态下不能进行这项操作",
)


class JobPost(models.Model):
    merchant = models.ForeignKey(
        Merchant, on_delete=models.CASCADE, related_name="jobs", verbose_name=_("商户")
    )
    # Copied from the merchant so the back office scopes it like a notice.
    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, related_name="jobs", verbose_name=_("社区")
    )
    title = models.CharField(_("岗位"), max_length=60)
    pay_min_fen = models.BigIntegerField(_("最低薪资"))
    pay_max_fen = models.BigIntegerField(_("最高薪资"))
    pay_unit = models.CharField(_("计薪"), max_length=5, choices=PayUnit.choices)
    hours = models.CharField(_("工作时间"), max_length=100)
    contact = models.CharField(_("联系方式"), max_length=60)
    description = models.TextField(_("说明"), max_length=MAX_BODY, blank=True)
    expires_on = models.DateField(_("截止日期"))
    status = models.CharField(
        _("状态"), max_length=10, choices=JobStatus.choices, default=JobStatus.PENDING
    )
    reject_reason = models.CharField(_("驳回原因"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("提交人"),
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("审核人"),
    )
    created_at = models.DateTimeField(_("提交时间"))
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("招工信息")
        verbose_name_plural = _("招工信息")
        indexes = [
            models.Index(fields=["status", "expires_on"], name="job_open"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(pay_min_fen__gt=0)
                & models.Q(pay_max_fen__gte=models.F("pay_min_fen")),
                name="job_pay_range",
            )
        ]

    def __str__(self) -> str:
        return self.title


class SuggestionCategory(models.TextChoices):
    SHOPS = "shops", _("商户与服务")
    PRICES = "prices", _("价格与优惠")
    MISSING = "missing", _("缺少的业态")
    ENVIRONMENT = "environment", _("环境与设施")
    PLATFORM = "platform", _("平台使用")
    OTHER = "other", _("其他")


class SuggestionStatus(models.TextChoices):
    SUBMITTED = "submitted", _("待回复")
    RECEIVED = "received", _("收到")
    ADOPTED = "adopted", _("采纳")
    DECLINED = "declined", _("不采纳")
    IN_PROGRESS = "in_progress", _("处理中")
    DONE = "done", _("已完成")


# The statuses an operator may answer with (the first is set by posting).
ANSWER_STATUSES = [s for s in SuggestionStatus if s != SuggestionStatus.SUBMITTED]

SUGGESTION_TRANSITIONS = Transitions(
    "suggestion",
    {
        SuggestionStatus.SUBMITTED: ANSWER_STATUSES,
        SuggestionStatus.RECEIVED: [
            SuggestionStatus.RECEIVED,
            SuggestionStatus.ADOPTED,
            SuggestionStatus.DECLINED,
            SuggestionStatus.IN_PROGRESS,
            SuggestionStatus.DONE,
        ],
        SuggestionStatus.ADOPTED: [
            SuggestionStatus.ADOPTED,
            SuggestionStatus.IN_PROGRESS,
            SuggestionStatus.DONE,
        ],
        SuggestionStatus.IN_PROGRESS: [
            SuggestionStatus.IN_PROGRESS,
            SuggestionStatus.DONE,
        ],
        SuggestionStatus.DECLINED: [],
        SuggestionStatus.DONE: [],
    },
    code="suggestion_state_conflict",
    message="这条建议当前状态下不能这样答复",
)


class Suggestion(models.Model):
    community = models.ForeignKey(
        Community,
        on_delete=models.CASCADE,
        related_name="suggestions",
        verbose_name=_("社区"),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="suggestions",
        verbose_name=_("提出人"),
    )
    category = models.CharField(
        _("类别"), max_length=12, choices=SuggestionCategory.choices
    )
    text = models.TextField(_("内容"), max_length=MAX_BODY)
    photo = models.ImageField(
        _("照片"), upload_to=UnguessableName("suggestions"), null=True, blank=True
    )
    status = models.CharField(
        _("状态"),
        max_length=12,
        choices=SuggestionStatus.choices,
        default=SuggestionStatus.SUBMITTED,
    )
    created_at = models.DateTimeField(_("提出时间"))
    answered_at = models.DateTimeField(_("最近答复"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("居民建议")
        verbose_name_plural = _("居民建议")

    def __str__(self) -> str:
        return self.text[:30]


class SuggestionAnswer(models.Model):
    """One answer of an operator: the status it set and the reply (who, when, why)."""

    suggestion = models.ForeignKey(
        Suggestion,
        on_delete=models.CASCADE,
        related_name="answers",
        verbose_name=_("建议"),
    )
    status_before = models.CharField(
        max_length=12, choices=SuggestionStatus.choices, verbose_name=_("答复前状态")
    )
    status = models.CharField(
        _("答复状态"), max_length=12, choices=SuggestionStatus.choices
    )
    reply = models.TextField(_("答复"), max_length=MAX_BODY)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("答复人"),
    )
    created_at = models.DateTimeField(_("答复时间"))

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("建议答复")
        verbose_name_plural = _("建议答复")

    def __str__(self) -> str:
        return self.get_status_display()


class SuggestionSupport(models.Model):
    """One resident's support (附议) of a suggestion; at most one per resident."""

    suggestion = models.ForeignKey(
        Suggestion, on_delete=models.CASCADE, related_name="supports"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("附议")
        verbose_name_plural = _("附议")
        constraints = [
            models.UniqueConstraint(
                fields=["suggestion", "user"], name="suggestion_support_once"
            )
        ]

    def __str__(self) -> str:
        return f"附议 {self.suggestion_id}"
