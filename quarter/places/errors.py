"""Error codes of the places app: stable names for what went wrong."""

from enum import StrEnum


class PlacesErrorCode(StrEnum):
    CARD_RATE_WORSE_THAN_VIP = "card_rate_worse_than_vip"
    RATE_OUT_OF_RANGE = "rate_out_of_range"
    MERCHANT_NOT_OWNED = "merchant_not_owned"
    NOT_COMMUNITY_OPERATOR = "not_community_operator"
    ADMISSION_NOT_PENDING = "admission_not_pending"
    REASON_REQUIRED = "reason_required"
    MERCHANT_NOT_LISTED = "merchant_not_listed"
    INVALID_STATUS = "invalid_status"
    INVALID_HOURS = "invalid_hours"
    LOCATION_OUTSIDE_RANGE = "location_outside_range"
    UNKNOWN_BUSINESS_TYPE = "unknown_business_type"
    UNKNOWN_COMMUNITY = "unknown_community"
    FIELD_REQUIRED = "field_required"
    UPLOAD_REJECTED = "upload_rejected"
    QUERY_TOO_LONG = "query_too_long"
    INVALID_DISTANCE = "invalid_distance"
    QUERY_INVALID = "query_invalid"
    INVALID_SCOPE = "invalid_scope"
