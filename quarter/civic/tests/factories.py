"""Builders for civic tests: a World with departments, categories and their staff."""

from __future__ import annotations

import io
import itertools

from django.core.files.uploadedfile import SimpleUploadedFile

from quarter.civic.models import Category, Department
from quarter.vouchers.tests.factories import World

_seq = itertools.count(1)


def png(name: str = "lamp.png", size=(40, 30)) -> SimpleUploadedFile:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", size, (200, 180, 40)).save(buf, format="PNG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/png")


class CivicWorld:
    """A World plus a street-lighting department with one staff member, a
    parks department, and three categories: street lamp (auto-dispatched,
    48 h), shop complaint (about a merchant, 72 h) and other (no department)."""

    def __init__(self, world: World | None = None, **kw):
        self.world = w = world or World(**kw)
        n = next(_seq)
        self.lighting = Department.objects.create(
            name=f"路灯管理所{n}", community=w.community
        )
        self.parks = Department.objects.create(name=f"市容环卫{n}", district=w.district)
        self.staff = w.user(f"lamp{n}", role="department")
        self.lighting.staff.add(self.staff)
        self.parks_staff = w.user(f"parks{n}", role="department")
        self.parks.staff.add(self.parks_staff)
        self.lamp = Category.objects.create(
            community=w.community,
            code="street-lamp",
            name="路灯损坏",
            group="市政设施",
            keywords="路灯,照明",
            department=self.lighting,
            sla_hours=48,
        )
        self.complaint = Category.objects.create(
            community=w.community,
            code="shop-complaint",
            name="商户投诉",
            group="市场监管",
            department=self.parks,
            sla_hours=72,
            about_merchant=True,
        )
        self.other = Category.objects.create(
            community=w.community, code="other", name="其他问题", sla_hours=24
        )

    def new_report(self, category=None, **kw):
        from quarter.civic.services import NewReport

        kw.setdefault("description", "3栋门口路灯不亮")
        kw.setdefault("lat", 30.2601)
        kw.setdefault("lng", 120.1702)
        return NewReport(category=category or self.lamp, **kw)
