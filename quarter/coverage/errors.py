"""Error codes of the coverage app: stable names for what went wrong."""

from enum import StrEnum


class CoverageErrorCode(StrEnum):
    OSM_FILE_NOT_FOUND = "osm_file_not_found"
    OSM_FILE_UNREADABLE = "osm_file_unreadable"
    NO_WALKABLE_WAYS = "no_walkable_ways"
    NETWORK_SMALLER = "network_smaller_than_in_use"
    INVALID_BBOX = "invalid_bbox"
    NOT_COMMUNITY_OPERATOR = "not_community_operator"
    NOT_DISTRICT_PLANNER = "not_district_planner"
    NOT_STREET_PLANNER = "not_street_planner"
    UNKNOWN_COMMUNITY = "unknown_community"
    UNKNOWN_BUSINESS_TYPE = "unknown_business_type"
    UNKNOWN_SPEED_PROFILE = "unknown_speed_profile"
    LOCATION_OUTSIDE_RANGE = "location_outside_range"
    LOCATION_TOO_FAR = "location_too_far"
    NO_COMPOUNDS = "no_compounds"
    UNKNOWN_COMPOUND = "unknown_compound"
