"""Survey waves, their questions, quotas, and the answers residents give.

A `Wave` is one round of the satisfaction survey over one or more
communities (circles). Its states, in `WAVE_TRANSITIONS`:

    draft  -> open     the questions are fixed, quotas are drawn from the
                       register, residents may answer
    open   -> closed   no more answers; results are final
    closed -> (final)

Questions may be edited only while the wave is a draft.

Privacy by construction: who took part (`Participation`: a resident, a
device, a phone number) and what was answered (`Response`, `Answer`) are
separate tables with no link between them, and a response keeps only its
day, never its time. A response knows its compound, age band and channel
(`source`) — enough to weight it, never enough to say whose it is.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from quarter.core.states import Transitions
from quarter.places.models import Community, Compound, District


class Dimension(models.TextChoices):
    BASIC_NEEDS = "basic_needs", _("基本生活需求就近满足")
    PRICES = "prices", _("价格")
    SERVICE = "service", _("服务质量")
    HOURS = "hours", _("营业时间")
    ELDERLY_CHILDREN = "elderly_children", _("一老一小")
    ENVIRONMENT = "environment", _("环境与秩序")
    DIGITAL = "digital", _("数字化便利")
    OVERALL = "overall", _("总体评价")


class AgeBand(models.TextChoices):
    """Age bands of quotas and weights; the age is the wave's year minus birth year."""

    YOUNG = "18-39", _("18–39岁")
    MIDDLE = "40-59", _("40–59岁")
    SENIOR = "60-74", _("60–74岁")
    ELDER = "75+", _("75岁及以上")


AGE_BAND_FLOORS = ((75, AgeBand.ELDER), (60, AgeBand.SENIOR), (40, AgeBand.MIDDLE))


def age_band(*, birth_year: int, year: int) -> str:
    """Return the age band of someone born in `birth_year`, in `year`."""
    age = year - birth_year
    for floor, band in AGE_BAND_FLOORS:
        if age >= floor:
            return band
    return AgeBand.YOUNG


class WaveState(models.TextChoices):
    DRAFT = "draft", _("草稿")
    OPEN = "open", _("进行中")
    CLOSED = "closed", _("已结束")


WAVE_TRANSITIONS = Transitions(
    "survey_wave",
    {
        WaveState.DRAFT: [WaveState.OPEN],
        WaveState.OPEN: [WaveState.CLOSED],
        WaveState.CLOSED: [],
    },
    code="survey_wave_bad_transition",
    message="测评当前状态下不能进行这项操作",
)


class Source(models.TextChoices):
    APP = "app", _("居民端(在册)")
    POSTER = "poster", _("扫码(未核验)")
    PAPER = "paper", _("纸质代录")


# Scale values: 1 很不满意 … 5 很满意; 0 is 不了解 (excluded from every rate).
DONT_KNOW = 0
SCALE = (
    (5, _("很满意")),
    (4, _("比较满意")),
    (3, _("一般")),
    (2, _("不太满意")),
    (1, _("很不满意")),
    (DONT_KNOW, _("不了解")),
)
SATISFIED_FROM = 4


class Wave(models.Model):
    """One round of the satisfaction survey over some communities."""

    name = models.CharField(_("名称"), max_length=80)
    communities = models.ManyToManyField(
        Community, related_name="survey_waves", verbose_name=_("社区")
    )
    # Every community of a wave lies in this district (the roll-up's unit).
    district = models.ForeignKey(
        District, on_delete=models.PROTECT, related_name="survey_waves"
    )
    state = models.CharField(
        _("状态"), max_length=8, choices=WaveState.choices, default=WaveState.DRAFT
    )
    free_text_prompt = models.CharField(
        _("开放题"), max_length=200, default="您对身边的生活圈还有什么意见和建议?"
    )
    target_responses = models.PositiveIntegerField(_("计划样本量"), default=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"))
    opened_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("测评")
        verbose_name_plural = _("测评")

    def __str__(self) -> str:
        return self.name

    @property
    def is_open(self) -> bool:
        return self.state == WaveState.OPEN

    @property
    def year(self) -> int:
        from quarter.core import clock

        when = self.opened_at or self.created_at or clock.now()
        return when.year


class Question(models.Model):
    """A 5-point question (with 不了解) of a wave, about one dimension."""

    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField()
    dimension = models.CharField(_("维度"), max_length=20, choices=Dimension.choices)
    text = models.CharField(_("题目"), max_length=200)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["wave", "position"], name="survey_question_position_once"
            )
        ]

    def __str__(self) -> str:
        return self.text


class Quota(models.Model):
    """How many answers a wave wants from one compound and age band.

    `population` is the register's active people of the cell when the wave
    opened: the weight of the cell in every result (post-stratification).
    """

    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="quotas")
    compound = models.ForeignKey(Compound, on_delete=models.PROTECT, related_name="+")
    age_band = models.CharField(max_length=8, choices=AgeBand.choices)
    population = models.PositiveIntegerField(default=0)
    target = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["wave", "compound", "age_band"], name="survey_quota_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.compound_id} {self.age_band}"


class Response(models.Model):
    """One filled questionnaire: channel, cell and answers, never the person.

    `satisfied` and `known` count the response's scale answers of 4–5 and of
    1–5 (不了解 excluded), so overall rates are one aggregate over responses.
    """

    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="responses")
    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    compound = models.ForeignKey(Compound, on_delete=models.PROTECT, related_name="+")
    age_band = models.CharField(max_length=8, choices=AgeBand.choices)
    source = models.CharField(max_length=8, choices=Source.choices)
    verified = models.BooleanField()
    satisfied = models.PositiveSmallIntegerField()
    known = models.PositiveSmallIntegerField()
    comment = models.TextField(blank=True)
    # Paper questionnaires name the worker who typed them in (else null).
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    submitted_on = models.DateField()

    class Meta:
        indexes = [models.Index(fields=["wave", "community", "verified"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.source}"


class Answer(models.Model):
    """One scale answer of a response (0 = 不了解)."""

    response = models.ForeignKey(
        Response, on_delete=models.CASCADE, related_name="answers"
    )
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="+")
    dimension = models.CharField(max_length=20, choices=Dimension.choices)
    value = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(value__lte=5), name="survey_answer_on_scale"
            ),
            models.UniqueConstraint(
                fields=["response", "question"], name="survey_answer_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.question_id}={self.value}"


class Participation(models.Model):
    """That someone took part in a wave: a resident, or a poster's device and phone.

    The unique constraints are the rule "one response per person per wave":
    per registered resident, and for the poster per device cookie and per
    phone number (both kept as keyed hashes). Holds no link to the answers.
    """

    wave = models.ForeignKey(
        Wave, on_delete=models.CASCADE, related_name="participations"
    )
    resident = models.ForeignKey(
        "people.Resident", on_delete=models.CASCADE, null=True, related_name="+"
    )
    device_hash = models.CharField(max_length=64, blank=True)
    phone_hash = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["wave", "resident"],
                condition=Q(resident__isnull=False),
                name="survey_one_response_per_resident",
            ),
            models.UniqueConstraint(
                fields=["wave", "device_hash"],
                condition=~Q(device_hash=""),
                name="survey_one_response_per_device",
            ),
            models.UniqueConstraint(
                fields=["wave", "phone_hash"],
                condition=~Q(phone_hash=""),
                name="survey_one_response_per_phone",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} @ {self.wave_id}"


class WaveEvent(models.Model):
    """Audit of a wave: created, questions edited, opened, closed, reminded."""

    class Kind(models.TextChoices):
        CREATED = "created", _("创建")
        EDITED = "edited", _("修改题目")
        OPENED = "opened", _("开始")
        CLOSED = "closed", _("结束")
        REMINDED = "reminded", _("提醒居民")
        EXPORTED = "exported", _("导出")

    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.created_at:%Y-%m-%d %H:%M}"
