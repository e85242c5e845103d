"""The board's demo data: both communities' homes and desks have something to show."""

import pytest

from quarter.board import selectors
from quarter.board.models import JobPost, Notice, Suggestion
from quarter.demo.services import load_demo
from quarter.notifications.models import Notification
from quarter.people.models import User

pytestmark = pytest.mark.django_db


def test_demo_fills_the_board_for_both_communities():
    load_demo()
    resident = User.objects.get(username="13800000002")  # 东河社区
    shown = list(
        selectors.visible_notices(community_ids=selectors.home_community_ids(resident))
    )
    assert shown[0].pinned and shown[0].kind == "consumer_tip"
    assert "阿明理发店:老人理发周二半价" in [n.title for n in shown]
    assert Notice.objects.filter(status="pending").count() == 1
    assert JobPost.objects.filter(status="approved").count() == 1
    assert JobPost.objects.filter(status="pending").count() == 1
    assert Suggestion.objects.filter(status="received").count() == 2
    assert Notification.objects.filter(
        recipient=resident, kind="board.suggestion_answered"
    ).exists()
