"""The bar a circle is measured against, and where each circle stands.

From the national action plan (商务部等13部门, 2023–2025) and its 2025
follow-up: every household reaches every basic type within 15 minutes, the
four "一" pairs (一店一早, 一菜一修, 一老一小, 一收一洗) are in place for every
household, and residents are satisfied (综合满意度 ≥ 90 %).

A circle's score is the mean of the parts it can be judged on (share of
households with every basic type, share of the four pairs met, satisfaction
over 90 % capped at 1 — left out while the circle is not measured). It is
"done" when every part is met, "close" from CLOSE_SCORE, otherwise "gap".
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

SATISFACTION_BAR = 0.90
CLOSE_SCORE = 0.85

DONE, CLOSE, GAP = "done", "close", "gap"
STATUS_LABELS = {
    DONE: _("达标"),
    CLOSE: _("接近达标"),
    GAP: _("差距较大"),
}


def score(share_all_basic: float, groupings_met: int, groupings_total: int, rate):
    """Return the circle's score in [0, 1] (see the module docstring)."""
    parts = [share_all_basic, groupings_met / groupings_total if groupings_total else 1]
    if rate is not None:
        parts.append(min(1.0, rate / SATISFACTION_BAR))
    return sum(parts) / len(parts)


def status(*, computed: bool, households: int, all_met: bool, value: float) -> str:
    if computed and households and all_met:
        return DONE
    return CLOSE if value >= CLOSE_SCORE else GAP
