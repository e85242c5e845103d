"""Builders for board tests: notices, job posts and suggestions in a World."""

from __future__ import annotations

import datetime as dt
import io

from quarter.board import services
from quarter.board.models import JobPost, Notice, Suggestion
from quarter.core import clock


def png_bytes(size=(64, 48)) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, "#c8102e").save(buffer, "PNG")
    return buffer.getvalue()


def pending_notice(world, *, title="本周理发8折", kind="promotion") -> Notice:
    return services.submit_notice(
        actor=world.cashier,
        merchant=world.shop,
        kind=kind,
        title=title,
        body="欢迎光临",
    )


def pending_job(world, *, title="早餐店帮工", days: int = 30, **kw) -> JobPost:
    values = {
        "pay_min_fen": 300_000,
        "pay_max_fen": 400_000,
        "pay_unit": "month",
        "hours": "每天 05:30-11:00",
        "contact": "王师傅 0571-88888888",
        "expires_on": clock.local_now().date() + dt.timedelta(days=days),
    }
    values.update(kw)
    return services.submit_job(
        actor=world.cashier, merchant=world.shop, title=title, **values
    )


def suggestion(resident, *, text="建议在小区门口增设快递柜", category="environment"):
    return services.post_suggestion(actor=resident.user, category=category, text=text)


def board_rows(world, resident) -> dict[str, int]:
    """One pending notice, one pending job and one suggestion of the world's community.

    The suggestion's author is a neighbour of `resident`, who may support it.
    For the access tests: the ids their matrix paths use.
    """
    notice = pending_notice(world)
    job = pending_job(world)
    idea: Suggestion = suggestion(world.resident())
    return {"notice": notice.pk, "job": job.pk, "suggestion": idea.pk}
