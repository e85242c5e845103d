"""Verbs of the survey: create and edit a wave, open and close it, take answers.

Every public service takes an `actor` and checks it through
`quarter.surveys.access`. Answers arrive by three channels, all through
`_record_response`:

- the resident app (`submit_app_response`): registered residents, one per
  person per wave (constraint `survey_one_response_per_resident`);
- the compound's QR poster (`submit_poster_response`): anyone, proved by an
  SMS code, one per device cookie and per phone number; flagged unverified
  and counted apart from the main figure;
- paper (`submit_paper_response`): a grid worker types in an elderly
  resident's questionnaire; recorded as paper and attributed to the worker.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Case, CharField, Count, Value, When
from django.utils.crypto import salted_hmac

from quarter.core import clock
from quarter.core.errors import DomainError
from quarter.core.identity import normalize_phone, phone_problem
from quarter.people import phone_codes
from quarter.people.models import RegisterEntry, RegisterStatus, Resident, User
from quarter.places.models import Community, Compound
from quarter.surveys import access
from quarter.surveys.errors import SurveyErrorCode as Code
from quarter.surveys.models import (
    AGE_BAND_FLOORS,
    SATISFIED_FROM,
    WAVE_TRANSITIONS,
    AgeBand,
    Answer,
    Participation,
    Question,
    Quota,
    Response,
    Source,
    Wave,
    WaveEvent,
    WaveState,
    age_band,
)
from quarter.surveys.template import DEFAULT_QUESTIONS

SMS_PURPOSE = "survey"
MAX_COMMENT = 500
MAX_QUESTION = 200


# --- waves -----------------------------------------------------------------


def create_wave(
    *, actor, name: str, communities: list[Community], target_responses: int
) -> Wave:
    """Create a draft wave with the default questionnaire.

    Raises `survey_name_required`, `survey_text_too_long`,
    `survey_no_communities`, `survey_target_invalid`, `not_survey_manager`.
    Writes a `created` event.
    """
    name = (name or "").strip()
    if not name:
        raise DomainError(Code.NAME_REQUIRED, "请填写测评名称", field="name")
    if len(name) > 80:
        raise DomainError(Code.TEXT_TOO_LONG, "名称不能超过80个字", field="name")
    communities = list(communities)
    if not communities:
        raise DomainError(
            Code.NO_COMMUNITIES, "请至少选择一个社区", field="communities"
        )
    if not 10 <= target_responses <= 100_000:
        raise DomainError(
            Code.TARGET_INVALID, "计划样本量应在10到100000之间", field="target"
        )
    access.require_communities_manager(actor, communities)
    districts = {c.street_office.district_id for c in communities}
    if len(districts) != 1:
        raise DomainError(
            Code.NO_COMMUNITIES, "一次测评的社区须在同一个区", field="communities"
        )
    now = clock.now()
    with transaction.atomic():
        wave = Wave.objects.create(
            name=name,
            district_id=districts.pop(),
            target_responses=target_responses,
            created_by=actor,
            created_at=now,
        )
        wave.communities.set(communities)
        Question.objects.bulk_create(
            Question(wave=wave, position=i, dimension=dim, text=text)
            for i, (dim, text) in enumerate(DEFAULT_QUESTIONS, start=1)
        )
        _event(wave, WaveEvent.Kind.CREATED, actor, {"name": name})
    return wave


def edit_questions(
    *, actor, wave: Wave, texts: dict[int, str], free_text_prompt: str
) -> Wave:
    """Change the wording of a draft wave's questions and its free-text prompt.

    `texts` maps question ids of the wave to their new text. Raises
    `survey_wave_not_draft`, `survey_question_text_required`,
    `survey_text_too_long`, `not_survey_manager`; changes nothing then.
    """
    access.require_wave_manager(actor, wave)
    wave.refresh_from_db(fields=["state"])
    if wave.state != WaveState.DRAFT:
        raise DomainError(
            Code.WAVE_NOT_DRAFT, "测评已开始,题目不能再修改", status_code=409
        )
    questions = {q.pk: q for q in wave.questions.all()}
    changed = {}
    for qid, text in texts.items():
        question = questions.get(qid)
        if question is None:
            continue
        text = (text or "").strip()
        if not text:
            raise DomainError(
                Code.QUESTION_TEXT_REQUIRED, "题目不能为空", field=f"q{qid}"
            )
        if len(text) > MAX_QUESTION:
            raise DomainError(
                Code.TEXT_TOO_LONG, "题目不能超过200个字", field=f"q{qid}"
            )
        if text != question.text:
            changed[qid] = (question.text, text)
            question.text = text
    prompt = (free_text_prompt or "").strip()
    if len(prompt) > MAX_QUESTION:
        raise DomainError(
            Code.TEXT_TOO_LONG, "开放题不能超过200个字", field="free_text_prompt"
        )
    with transaction.atomic():
        if changed:
            Question.objects.bulk_update([questions[q] for q in changed], ["text"])
        if prompt and prompt != wave.free_text_prompt:
            changed["free_text"] = (wave.free_text_prompt, prompt)
            wave.free_text_prompt = prompt
            wave.save(update_fields=["free_text_prompt"])
        if changed:
            _event(
                wave,
                WaveEvent.Kind.EDITED,
                actor,
                {str(k): {"before": b, "after": a} for k, (b, a) in changed.items()},
            )
    return wave


def change_wave_state(*, actor, wave: Wave, target: str) -> Wave:
    """Open a draft wave (drawing its quotas) or close an open one.

    Raises `survey_wave_bad_transition` (409) for a move the transitions
    table does not list, `not_survey_manager`. Opening writes the `Quota`
    rows: the register's population per compound and age band, and the
    target answers per cell in proportion to it.
    """
    access.require_wave_manager(actor, wave)
    with transaction.atomic():
        wave = Wave.objects.select_for_update().get(pk=wave.pk)
        WAVE_TRANSITIONS.check(wave.state, target)
        now = clock.now()
        wave.state = target
        if target == WaveState.OPEN:
            wave.opened_at = now
            wave.save(update_fields=["state", "opened_at"])
            _draw_quotas(wave)
            _event(wave, WaveEvent.Kind.OPENED, actor, {})
        else:
            wave.closed_at = now
            wave.save(update_fields=["state", "closed_at"])
            _event(wave, WaveEvent.Kind.CLOSED, actor, {})
    return wave


def _band_expression(year: int) -> Case:
    """The age band of a register entry, computed in the database."""
    return Case(
        *(
            When(birth_year__lte=year - floor, then=Value(str(band)))
            for floor, band in AGE_BAND_FLOORS
        ),
        default=Value(str(AgeBand.YOUNG)),
        output_field=CharField(),
    )


def _draw_quotas(wave: Wave) -> None:
    """Snapshot the register's population per compound × age band, set targets.

    People under 18 and entries without a birth year are left out. A cell's
    target is its share of the planned sample, at least 1 when it has people.
    """
    year = wave.year
    rows = (
        RegisterEntry.objects.filter(
            community__in=wave.communities.all(),
            status=RegisterStatus.ACTIVE,
            birth_year__isnull=False,
            birth_year__lte=year - 18,
        )
        .annotate(band=_band_expression(year))
        .values("compound_id", "band")
        .annotate(n=Count("id"))
    )
    population = {(r["compound_id"], r["band"]): r["n"] for r in rows}
    total = sum(population.values())
    compounds = Compound.objects.filter(community__in=wave.communities.all())
    quotas = []
    for compound in compounds:
        for band in AgeBand.values:
            n = population.get((compound.pk, band), 0)
            target = max(1, math.ceil(wave.target_responses * n / total)) if n else 0
            quotas.append(
                Quota(
                    wave=wave,
                    compound=compound,
                    age_band=band,
                    population=n,
                    target=target,
                )
            )
    Quota.objects.bulk_create(quotas)


def _event(wave: Wave, kind: str, actor, detail: dict) -> WaveEvent:
    return WaveEvent.objects.create(
        wave=wave,
        kind=kind,
        actor=actor if isinstance(actor, User) else None,
        detail=detail,
        created_at=clock.now(),
    )


# --- answers ------------------------------------------------------------------


@dataclass(frozen=True)
class Submitted:
    response: Response
    source: str
    verified: bool


def parse_answers(wave: Wave, raw: dict[str, str]) -> dict[int, int]:
    """Read `q<id>` fields into {question id: value}; every question needs one.

    Values are 1–5 or 0 (不了解). Raises `survey_answer_missing` naming the
    first unanswered question, `survey_answer_invalid` for anything else.
    """
    values = {}
    for question in wave.questions.all():
        key = f"q{question.pk}"
        text = str(raw.get(key, "") or "").strip()
        if not text:
            raise DomainError(
                Code.ANSWER_MISSING,
                f"请回答第{question.position}题",
                field=key,
            )
        if text not in {"0", "1", "2", "3", "4", "5"}:
            raise DomainError(
                Code.ANSWER_INVALID, f"第{question.position}题的回答无效", field=key
            )
        values[question.pk] = int(text)
    if not values:
        raise DomainError(Code.NO_QUESTIONS, "这次测评没有题目")
    return values


def _clean_comment(comment: str) -> str:
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT:
        raise DomainError(
            Code.TEXT_TOO_LONG, "意见建议不能超过500个字", field="comment"
        )
    return comment


def _require_open(wave: Wave) -> None:
    wave.refresh_from_db(fields=["state", "opened_at", "closed_at"])
    if wave.state != WaveState.OPEN:
        raise DomainError(Code.WAVE_NOT_OPEN, "这次测评未开始或已结束", status_code=409)


def _require_compound_in_wave(wave: Wave, compound: Compound) -> None:
    if not wave.communities.filter(pk=compound.community_id).exists():
        raise DomainError(
            Code.COMPOUND_NOT_IN_WAVE, "该小区不在这次测评的范围内", field="compound"
        )


def _birth_year_band(wave: Wave, birth_year) -> str:
    try:
        year = int(str(birth_year).strip())
    except (TypeError, ValueError):
        year = 0
    if not wave.year - 110 <= year <= wave.year - 18:
        raise DomainError(
            Code.BIRTH_YEAR_INVALID,
            "请填写出生年份(四位数字,年满18周岁)",
            field="birth_year",
        )
    return age_band(birth_year=year, year=wave.year)


def _already_answered() -> DomainError:
    return DomainError(
        Code.ALREADY_ANSWERED, "您已参加过这次测评,感谢您的参与", status_code=409
    )


def _record_response(
    *,
    wave: Wave,
    compound: Compound,
    band: str,
    source: str,
    values: dict[int, int],
    comment: str,
    participation: dict | None,
    entered_by=None,
) -> Submitted:
    """Write the participation (if any), the response and its answers at once."""
    dims = dict(wave.questions.values_list("pk", "dimension"))
    verified = source != Source.POSTER
    now = clock.now()
    try:
        with transaction.atomic():
            if participation is not None:
                Participation.objects.create(wave=wave, created_at=now, **participation)
            response = Response.objects.create(
                wave=wave,
                community_id=compound.community_id,
                compound=compound,
                age_band=band,
                source=source,
                verified=verified,
                satisfied=sum(1 for v in values.values() if v >= SATISFIED_FROM),
                known=sum(1 for v in values.values() if v > 0),
                comment=comment,
                entered_by=entered_by,
                submitted_on=clock.local_now().date(),
            )
            Answer.objects.bulk_create(
                Answer(response=response, question_id=q, dimension=dims[q], value=v)
                for q, v in values.items()
            )
    except IntegrityError:
        raise _already_answered() from None
    return Submitted(response=response, source=source, verified=verified)


def has_answered(*, resident: Resident, wave: Wave) -> bool:
    return Participation.objects.filter(wave=wave, resident=resident).exists()


def submit_app_response(
    *, actor, wave: Wave, raw: dict[str, str], comment: str = ""
) -> Submitted:
    """Record a registered resident's answers from the app.

    Raises `not_a_registered_resident`, `not_in_survey_wave`,
    `survey_wave_not_open`, `survey_answer_missing`/`_invalid`,
    `survey_text_too_long`, `survey_already_answered` (409). The age band
    comes from the register entry's birth year.
    """
    resident = access.require_registered_resident(actor)
    compound = resident.household.compound
    access.require_wave_resident(resident, wave)
    _require_open(wave)
    values = parse_answers(wave, raw)
    comment = _clean_comment(comment)
    if has_answered(resident=resident, wave=wave):
        raise _already_answered()
    birth_year = resident.register_entry.birth_year or resident.birth_year
    band = (
        age_band(birth_year=birth_year, year=wave.year)
        if birth_year
        else AgeBand.MIDDLE
    )
    return _record_response(
        wave=wave,
        compound=compound,
        band=band,
        source=Source.APP,
        values=values,
        comment=comment,
        participation={"resident": resident},
    )


def submit_paper_response(
    *,
    actor,
    wave: Wave,
    compound: Compound,
    birth_year,
    raw: dict[str, str],
    comment: str = "",
) -> Submitted:
    """Record a paper questionnaire typed in by a grid worker (operator).

    Raises `not_survey_entrant`, `survey_compound_not_in_wave`,
    `survey_wave_not_open`, `survey_birth_year_invalid`, answer errors.
    The response is marked `paper` and names the worker in `entered_by`.
    """
    access.require_paper_entrant(actor, compound.community)
    _require_compound_in_wave(wave, compound)
    _require_open(wave)
    band = _birth_year_band(wave, birth_year)
    values = parse_answers(wave, raw)
    comment = _clean_comment(comment)
    return _record_response(
        wave=wave,
        compound=compound,
        band=band,
        source=Source.PAPER,
        values=values,
        comment=comment,
        participation=None,
        entered_by=actor,
    )


def _digest(kind: str, value: str) -> str:
    return salted_hmac(f"quarter.surveys.{kind}", value).hexdigest()


def send_poster_code(*, wave: Wave, phone: str, ip: str | None):
    """Send the SMS code that proves a poster respondent's phone.

    Raises `survey_wave_not_open`, `survey_already_answered` when this phone
    has answered, and the phone-code errors (`phone_invalid`, `sms_too_soon`,
    `sms_limit_reached`, `sms_send_failed`).
    """
    _require_open(wave)
    phone = normalize_phone(phone)
    if problem := phone_problem(phone):
        raise DomainError("phone_invalid", problem, field="phone")
    if Participation.objects.filter(
        wave=wave, phone_hash=_digest("phone", phone)
    ).exists():
        raise _already_answered()
    return phone_codes.send_phone_code(phone=phone, ip=ip, purpose=SMS_PURPOSE)


def submit_poster_response(
    *,
    wave: Wave,
    compound: Compound,
    device: str,
    phone: str,
    code: str,
    birth_year,
    raw: dict[str, str],
    comment: str = "",
) -> Submitted:
    """Record an answer from a compound's QR poster (anyone; unverified).

    The person proves the phone with the SMS code; one response per device
    cookie and per phone number in a wave. Raises `survey_wave_not_open`,
    `survey_compound_not_in_wave`, `survey_poster_invalid` (no device
    cookie), `phone_invalid`, `survey_birth_year_invalid`, answer errors,
    `survey_already_answered` (409), and the SMS code errors. The code is
    spent only once everything else is valid.
    """
    _require_compound_in_wave(wave, compound)
    _require_open(wave)
    if not device or len(device) > 100:
        raise DomainError(
            Code.POSTER_INVALID, "请允许浏览器保存Cookie后重新扫码", field="device"
        )
    phone = normalize_phone(phone)
    if problem := phone_problem(phone):
        raise DomainError("phone_invalid", problem, field="phone")
    band = _birth_year_band(wave, birth_year)
    values = parse_answers(wave, raw)
    comment = _clean_comment(comment)
    device_hash, phone_hash = _digest("device", device), _digest("phone", phone)
    if (
        Participation.objects.filter(wave=wave).filter(device_hash=device_hash).exists()
        or Participation.objects.filter(wave=wave, phone_hash=phone_hash).exists()
    ):
        raise _already_answered()
    phone_codes.use_phone_code(phone=phone, code=code, purpose=SMS_PURPOSE)
    return _record_response(
        wave=wave,
        compound=compound,
        band=band,
        source=Source.POSTER,
        values=values,
        comment=comment,
        participation={"device_hash": device_hash, "phone_hash": phone_hash},
    )


# --- reminders ------------------------------------------------------------


def send_reminders(*, actor, wave: Wave, url: str) -> int:
    """Remind the registered residents of the wave's communities who have not
    answered, through the notification centre; return how many were new.

    Idempotent per wave and person (key `survey:<wave>:<resident>`): a second
    run reminds nobody twice. Raises `not_survey_manager`,
    `survey_wave_not_open`.
    """
    from quarter.notifications.models import Notification
    from quarter.notifications.services import notify

    access.require_wave_manager(actor, wave)
    _require_open(wave)
    answered = Participation.objects.filter(wave=wave, resident__isnull=False)
    residents = (
        Resident.objects.filter(
            verified_at__isnull=False,
            register_entry__status=RegisterStatus.ACTIVE,
            household__compound__community__in=wave.communities.all(),
        )
        .exclude(pk__in=answered.values("resident_id"))
        .select_related("user")
    )
    prefix = f"survey:{wave.pk}:"
    reminded = set(
        Notification.objects.filter(key__startswith=prefix).values_list(
            "key", flat=True
        )
    )
    sent = 0
    for resident in residents.iterator():
        key = f"{prefix}{resident.pk}"
        if key in reminded:
            continue
        notify(
            resident.user,
            kind="survey",
            title=f"邀请您参加{wave.name}",
            body="请花两分钟为身边的一刻钟便民生活圈打分,您的意见会被认真对待。",
            url=url,
            key=key,
        )
        sent += 1
    _event(wave, WaveEvent.Kind.REMINDED, actor, {"reminded": sent})
    return sent
