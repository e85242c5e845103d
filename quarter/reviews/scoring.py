"""The published formulas: the smoothed rating average and the annual stars.

Smoothed average (贝叶斯平滑). A merchant with n counted ratings whose
overall stars (mean of 质量, 服务, 价格) sum to S shows

    (m × C + S) ÷ (m + n)

where C is the mean of every counted rating in the merchant's community (3.0
when it has none) and m is QUARTER_REVIEWS_PRIOR_WEIGHT (10). Each merchant
starts as if it had m ratings at the community mean, so two 5-star ratings
cannot outrank fifty 4.8s. Counted: visible ratings; hidden ones and those
flagged for review are left out.

Annual stars (年度评星): a score out of 100 from four parts, then stars by
thresholds. `FORMULA_ZH` is the text the pages show; keep it in step.
"""

from __future__ import annotations

from django.conf import settings

RATING_POINTS = 50
COMPLAINT_POINTS = 20
COMPLAINT_STEP = 5
TREND_POINTS = 15
FRAUD_POINTS = 15
FRAUD_STEP = 5
# Lowest score for 5, 4, 3 and 2 stars; anything lower is 1 star.
STAR_THRESHOLDS = ((90, 5), (75, 4), (60, 3), (45, 2))

FORMULA_ZH = [
    "总分100分,由四部分组成:",
    "① 居民评分(50分):50 ×(平滑均分 − 1)÷ 4,四舍五入。"
    "平滑均分 =(m × 社区平均分 + 本店各条评分之和)÷(m + 本店评价数),"
    "m = {m};隐藏和待核查的评价不计入。",
    "② 投诉与问题报告(20分):每件扣5分,扣完为止。",
    "③ 客流趋势(15分):本年度到店人次与上年度相比,持平或增长15分;"
    "下降不到20%得10分;下降20%至50%得5分;下降超过50%得0分;"
    "上年度没有记录的新店得10分。",
    "④ 风控核实(15分):本年度经风控审核驳回的消费券核销,每笔扣5分,扣完为止。",
    "星级:90分及以上五星,75分及以上四星,60分及以上三星,45分及以上二星,其余一星。",
    "低于{bar}星的商户收到预警,须在{days}天内整改;"
    "期满复评仍低于{bar}星的,社区可将其清退。",
]


def prior_weight() -> int:
    return int(getattr(settings, "QUARTER_REVIEWS_PRIOR_WEIGHT", 10))


def star_bar() -> int:
    return int(getattr(settings, "QUARTER_REVIEWS_STAR_BAR", 2))


def improve_days() -> int:
    return int(getattr(settings, "QUARTER_REVIEWS_IMPROVE_DAYS", 90))


def formula_lines() -> list[str]:
    """Return the published formula in Chinese, with today's settings filled in."""
    return [
        line.format(m=prior_weight(), bar=star_bar(), days=improve_days())
        for line in FORMULA_ZH
    ]


def smoothed(*, total: float, count: int, prior: float, weight: int) -> float:
    """Return (weight × prior + total) ÷ (weight + count)."""
    return (weight * prior + total) / (weight + count)


def rating_points(average: float) -> int:
    return round(RATING_POINTS * (average - 1) / 4)


def complaint_points(complaints: int) -> int:
    return max(0, COMPLAINT_POINTS - COMPLAINT_STEP * complaints)


def trend_points(this_year: int, last_year: int) -> int:
    if last_year == 0:
        return 10
    if this_year >= last_year:
        return TREND_POINTS
    drop = (last_year - this_year) / last_year
    if drop < 0.2:
        return 10
    if drop <= 0.5:
        return 5
    return 0


def fraud_points(flags: int) -> int:
    return max(0, FRAUD_POINTS - FRAUD_STEP * flags)


def stars_for(score: int) -> int:
    for lowest, stars in STAR_THRESHOLDS:
        if score >= lowest:
            return stars
    return 1


def breakdown(
    *,
    average: float,
    rating_count: int,
    complaints: int,
    visits_this_year: int,
    visits_last_year: int,
    fraud_flags: int,
) -> dict:
    """Return every input and part of the score, and the score and stars."""
    parts = {
        "rating_points": rating_points(average),
        "complaint_points": complaint_points(complaints),
        "trend_points": trend_points(visits_this_year, visits_last_year),
        "fraud_points": fraud_points(fraud_flags),
    }
    score = sum(parts.values())
    return {
        "average": round(average, 2),
        "rating_count": rating_count,
        "complaints": complaints,
        "visits_this_year": visits_this_year,
        "visits_last_year": visits_last_year,
        "fraud_flags": fraud_flags,
        **parts,
        "score": score,
        "stars": stars_for(score),
    }
