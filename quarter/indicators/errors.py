"""Error codes of the indicators app: stable names for what went wrong."""

from enum import StrEnum


class IndicatorsErrorCode(StrEnum):
    NOT_DISTRICT_PLANNER = "not_district_planner"
    NOT_CIRCLE_VIEWER = "not_circle_viewer"
    UNKNOWN_DISTRICT = "unknown_district"
    UNKNOWN_COMMUNITY = "unknown_community"
