"""Error codes of the benefits app (免申即享): stable, snake_case, one per problem."""

from enum import StrEnum


class BenefitErrorCode(StrEnum):
    NOT_RULE_MANAGER = "not_rule_manager"
    NAME_REQUIRED = "name_required"
    AGE_BAND_INVALID = "age_band_invalid"
    PERIOD_INVALID = "period_invalid"
    COMPOUND_OUTSIDE_COMMUNITY = "compound_outside_community"
    SCOPE_REQUIRED = "scope_required"
    CAMPAIGN_NOT_COVERING = "campaign_not_covering"
    BENEFIT_INVALID = "benefit_invalid"
    CONDITION_NOT_FOR_SUBJECT = "condition_not_for_subject"
    RULE_NOT_EDITABLE = "rule_not_editable"
    TRANSITION_REFUSED = "state_transition_not_allowed"
    RULE_NOT_FOUND = "rule_not_found"
