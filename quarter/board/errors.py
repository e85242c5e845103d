"""Error codes of the board app: stable names for what went wrong."""

from enum import StrEnum


class BoardErrorCode(StrEnum):
    FIELD_REQUIRED = "field_required"
    TEXT_TOO_LONG = "text_too_long"
    UNKNOWN_KIND = "unknown_notice_kind"
    KIND_NOT_FOR_MERCHANTS = "notice_kind_not_for_merchants"
    BAD_SCHEDULE = "notice_schedule_invalid"
    PAY_RANGE_INVALID = "job_pay_range_invalid"
    EXPIRY_IN_PAST = "job_expiry_in_past"
    UNKNOWN_CATEGORY = "unknown_suggestion_category"
    UNKNOWN_STATUS = "unknown_answer_status"
    NOT_A_RESIDENT = "not_a_resident"
    NOT_COMMUNITY_OPERATOR = "not_community_operator"
    MERCHANT_NOT_OWNED = "merchant_not_owned"
    MERCHANT_NOT_LISTED = "merchant_not_listed"
    OTHER_COMMUNITY = "other_community"
    OWN_SUGGESTION = "own_suggestion"
    NOT_FOUND = "not_found"
    REASON_REQUIRED = "reason_required"
