"""The annual star evaluation: scores, warnings, re-evaluation and removal (清退)."""

from __future__ import annotations

import datetime as dt

import pytest

from quarter.core import clock
from quarter.core.errors import DomainError, PermissionDenied
from quarter.notifications.models import Notification
from quarter.places import selectors as places_selectors
from quarter.places.models import MerchantEvent
from quarter.reviews import scoring, services
from quarter.reviews.complaints import count_complaints
from quarter.reviews.models import EvaluationResult, Rating, ReviewEvent
from quarter.reviews.tests.factories import (
    JUNE,
    community_with_a_bad_shop,
    rating,
    visit,
    voucher_payment,
)
from quarter.vouchers.services import campaigns, redemptions
from quarter.vouchers.tests.factories import World

pytestmark = pytest.mark.django_db


def test_scoring_thresholds_and_parts():
    assert [scoring.stars_for(s) for s in (100, 90, 89, 75, 60, 45, 44, 0)] == [
        5,
        5,
        4,
        4,
        3,
        2,
        1,
        1,
    ]
    assert scoring.trend_points(10, 10) == 15
    assert scoring.trend_points(9, 10) == 10
    assert scoring.trend_points(5, 10) == 5
    assert scoring.trend_points(4, 10) == 0
    assert scoring.trend_points(3, 0) == 10
    assert scoring.complaint_points(5) == 0 and scoring.fraud_points(1) == 10
    assert scoring.rating_points(5.0) == 50 and scoring.rating_points(1.0) == 0


def test_formula_is_published_in_chinese():
    text = "".join(scoring.formula_lines())
    for words in ("平滑均分", "投诉与问题报告", "客流趋势", "风控核实", "五星"):
        assert words in text


def test_count_complaints_is_zero_without_the_civic_app():
    w = World()
    assert count_complaints(w.shop, start=JUNE, end=JUNE) == 0


def test_open_evaluation_scores_every_listed_merchant_and_warns_below_the_bar(
    django_capture_on_commit_callbacks,
):
    w, bad, bad_cashier = community_with_a_bad_shop()
    with django_capture_on_commit_callbacks(execute=True):
        evaluation = services.open_evaluation(
            actor=w.operator_user, community=w.community, year=2026
        )
    results = {r.merchant_id: r for r in evaluation.results.all()}
    assert set(results) == {w.shop.pk, bad.pk}
    low = results[bad.pk]
    b = low.breakdown
    assert (b["visits_this_year"], b["visits_last_year"]) == (2, 34)
    assert (b["trend_points"], b["complaint_points"], b["fraud_points"]) == (0, 20, 15)
    assert b["rating_count"] == 30 and b["score"] == low.score < 45
    assert (low.stars, low.state) == (1, "warned")
    assert low.deadline == JUNE.date() + dt.timedelta(days=90)
    assert results[w.shop.pk].state == "passed" and results[w.shop.pk].stars >= 2
    warning = Notification.objects.get(
        recipient=bad_cashier, kind="reviews.star_warning"
    )
    assert "整改" in warning.title
    assert ReviewEvent.objects.filter(kind="warned", merchant=bad).count() == 1
    with pytest.raises(DomainError) as exc:
        services.open_evaluation(
            actor=w.operator_user, community=w.community, year=2026
        )
    assert exc.value.code == "evaluation_already_open"


def test_open_evaluation_only_by_the_communitys_operator_and_for_a_past_year():
    w = World()
    other = World()
    with pytest.raises(PermissionDenied):
        services.open_evaluation(
            actor=other.operator_user, community=w.community, year=2025
        )
    with pytest.raises(PermissionDenied):
        services.open_evaluation(actor=w.cashier, community=w.community, year=2025)
    with pytest.raises(DomainError) as exc:
        services.open_evaluation(
            actor=w.operator_user,
            community=w.community,
            year=clock.local_now().year + 1,
        )
    assert (exc.value.code, exc.value.field) == ("year_out_of_range", "year")


def test_upheld_fraud_flags_lower_the_score():
    w = World()
    resident = w.resident()
    held = voucher_payment(w, resident, held=True)
    year = clock.local_now().year
    before = services.compute_breakdown(merchant=w.shop, year=year, prior=3.0)
    redemptions.review_redemption(
        actor=w.operator_user, redemption=held, release=False, reason="虚假交易"
    )
    after = services.compute_breakdown(merchant=w.shop, year=year, prior=3.0)
    assert (before["fraud_flags"], after["fraud_flags"]) == (0, 1)
    assert after["fraud_points"] == before["fraud_points"] - 5


def test_remove_below_bar_after_deadline_takes_the_merchant_out_of_everything():
    w, bad, bad_cashier = community_with_a_bad_shop()
    evaluation = services.open_evaluation(
        actor=w.operator_user, community=w.community, year=2026
    )
    result = evaluation.results.get(merchant=bad)
    with pytest.raises(DomainError) as exc:
        services.remove_below_bar(actor=w.operator_user, result=result, reason="未整改")
    assert exc.value.code == "evaluation_result_state_not_allowed"
    with pytest.raises(DomainError) as exc:
        services.reevaluate_result(actor=w.operator_user, result=result)
    assert exc.value.code == "deadline_not_passed"
    clock.freeze(JUNE + dt.timedelta(days=91))
    result = services.reevaluate_result(actor=w.operator_user, result=result)
    assert result.state == "still_below"
    with pytest.raises(DomainError) as exc:
        services.remove_below_bar(actor=w.operator_user, result=result, reason="")
    assert exc.value.code == "reason_required"
    services.remove_below_bar(
        actor=w.operator_user, result=result, reason="整改期满复评仍为一星"
    )
    bad.refresh_from_db()
    assert bad.admission == "removed"
    event = MerchantEvent.objects.get(merchant=bad, kind="removed")
    assert event.actor == w.operator_user and "整改期满复评仍为一星" in event.reason
    assert bad.pk not in {m["id"] for m in places_selectors.list_map_merchants()}
    assert EvaluationResult.objects.get(pk=result.pk).state == "removed"
    assert Rating.objects.filter(merchant=bad).count() == 30  # history kept
    # The voucher programme refuses it: no pledge, no redemption at its till.
    campaign = w.campaign()
    with pytest.raises(DomainError) as exc:
        campaigns.sign_pledge(actor=bad_cashier, campaign=campaign, merchant=bad)
    assert exc.value.code == "merchant_not_eligible"
    with pytest.raises(DomainError) as exc:
        redemptions.quote_redemption(
            actor=bad_cashier, merchant=bad, code="000000000000000000", bill_fen=4500
        )
    assert exc.value.code == "merchant_not_eligible"
    with pytest.raises(DomainError) as exc:
        redemptions.redeem_voucher(
            actor=bad_cashier, merchant=bad, code="0" * 18, bill_fen=4500, key="k1"
        )
    assert exc.value.code == "merchant_not_eligible"


def test_reevaluate_after_improvement_passes():
    w, bad, _ = community_with_a_bad_shop()
    evaluation = services.open_evaluation(
        actor=w.operator_user, community=w.community, year=2026
    )
    result = evaluation.results.get(merchant=bad)
    clock.freeze(JUNE + dt.timedelta(days=91))
    resident = w.resident()
    for _ in range(40):  # customers came back, and liked it
        rating(visit(w, resident, shop=bad), stars=(5, 5, 5))
    result = services.reevaluate_result(actor=w.operator_user, result=result)
    assert result.state == "improved" and result.stars >= 2
    assert result.breakdown["first"]["stars"] == 1


def test_complaints_filed_on_the_civic_map_lower_the_score():
    """Two residents report the shop on 民情地图; one report is rejected as unfounded:
    the evaluation counts one complaint and the complaint points drop."""
    from django.test import TestCase

    from quarter.civic import services as civic
    from quarter.civic.tests.factories import CivicWorld

    cw = CivicWorld()
    w = cw.world
    year = clock.local_now().year
    before = services.compute_breakdown(merchant=w.shop, year=year, prior=3.0)
    reports = []
    for _ in range(2):
        resident = w.resident()
        with TestCase.captureOnCommitCallbacks(execute=True):
            reports.append(
                civic.submit_report(
                    actor=resident.user,
                    report=cw.new_report(
                        category=cw.complaint, merchant=w.shop, description="缺斤少两"
                    ),
                )
            )
    civic.reject_report(actor=w.operator_user, report=reports[1], reason="查无实据")
    after = services.compute_breakdown(merchant=w.shop, year=year, prior=3.0)
    assert (before["complaints"], after["complaints"]) == (0, 1)
    assert after["complaint_points"] < before["complaint_points"]
