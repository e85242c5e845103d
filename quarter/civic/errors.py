"""Error codes of the civic app: stable names for what went wrong."""

from enum import StrEnum


class CivicErrorCode(StrEnum):
    NOT_A_REPORTER = "not_a_reporter"
    NOT_YOUR_REPORT = "not_your_report"
    NOT_OPERATOR_OF_COMMUNITY = "not_operator_of_community"
    NOT_DEPARTMENT_STAFF = "not_department_staff"
    CATEGORY_REQUIRED = "category_required"
    CATEGORY_UNKNOWN = "category_unknown"
    DESCRIPTION_REQUIRED = "description_required"
    DESCRIPTION_TOO_LONG = "description_too_long"
    LOCATION_REQUIRED = "location_required"
    LOCATION_OUTSIDE_RANGE = "location_outside_range"
    PHOTO_REJECTED = "photo_rejected"
    MERCHANT_OUTSIDE_COMMUNITY = "merchant_outside_community"
    MEDIA_URL_INVALID = "media_url_invalid"
    DEPARTMENT_REQUIRED = "department_required"
    DEPARTMENT_OUTSIDE_AREA = "department_outside_area"
    REPLY_REQUIRED = "reply_required"
    REASON_REQUIRED = "reason_required"
    ALREADY_REOPENED = "already_reopened"
    WRONG_STATE = "report_state_not_allowed"
    BAD_FILTER = "bad_filter"
