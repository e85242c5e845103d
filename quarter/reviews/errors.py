"""Error codes of the reviews app: stable names for what went wrong."""

from enum import StrEnum


class ReviewErrorCode(StrEnum):
    NOT_A_RESIDENT = "not_a_resident"
    NO_RECENT_VISIT = "no_recent_visit"
    OWN_MERCHANT = "cannot_rate_own_merchant"
    STARS_OUT_OF_RANGE = "stars_out_of_range"
    TEXT_TOO_LONG = "text_too_long"
    TOO_MANY_PHOTOS = "too_many_photos"
    UPLOAD_REJECTED = "upload_rejected"
    MERCHANT_NOT_LISTED = "merchant_not_listed"
    NOT_MERCHANT_STAFF = "not_merchant_staff"
    ALREADY_REPLIED = "already_replied"
    REPLY_REQUIRED = "reply_required"
    NOT_COMMUNITY_OPERATOR = "not_community_operator"
    REASON_REQUIRED = "reason_required"
    RATING_STATE = "rating_state_not_allowed"
    YEAR_OUT_OF_RANGE = "year_out_of_range"
    EVALUATION_EXISTS = "evaluation_already_open"
    UNKNOWN_COMMUNITY = "unknown_community"
    DEADLINE_NOT_PASSED = "deadline_not_passed"
    RESULT_STATE = "evaluation_result_state_not_allowed"
