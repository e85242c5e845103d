"""Error codes of the visit log (联系本): stable names for what went wrong."""

from enum import StrEnum


class VisitLogErrorCode(StrEnum):
    BAD_MONTH = "visit_log_bad_month"
    BAD_MONTH_RANGE = "visit_log_bad_month_range"
    BAD_MERCHANT = "visit_log_bad_merchant"
    BAD_PAGE = "visit_log_bad_page"
    NOT_LOG_OPERATOR = "not_community_operator"
    NOT_SHOP_STAFF = "merchant_not_owned"
    NOT_A_RESIDENT = "not_a_resident"
    UNKNOWN_COMMUNITY = "unknown_community"
    UNKNOWN_MERCHANT = "unknown_merchant"
