"""The default questionnaire a new wave starts from (editable per wave).

One 5-point question per dimension a resident judges a circle by, plus the
overall question; each scale also offers 不了解. The free-text question is
`Wave.free_text_prompt`.
"""

from __future__ import annotations

from quarter.surveys.models import Dimension

DEFAULT_QUESTIONS: tuple[tuple[str, str], ...] = (
    (Dimension.BASIC_NEEDS, "买菜、早餐、理发、维修等日常需求,步行15分钟内能否满足?"),
    (Dimension.PRICES, "身边店铺的商品和服务价格是否实惠、明码标价?"),
    (Dimension.SERVICE, "身边店铺的服务态度和质量如何?"),
    (Dimension.HOURS, "店铺的营业时间是否方便您(早晚、节假日)?"),
    (Dimension.ELDERLY_CHILDREN, "老人助餐、托育、儿童活动等一老一小服务是否方便?"),
    (Dimension.ENVIRONMENT, "街区环境卫生、经营秩序和出行安全如何?"),
    (Dimension.DIGITAL, "线上下单、移动支付、到家服务等数字化便利如何?"),
    (Dimension.OVERALL, "总体而言,您对本社区一刻钟便民生活圈是否满意?"),
)
