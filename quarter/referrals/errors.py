"""Error codes of the sharing rewards (stable; messages may change)."""

from enum import StrEnum


class ReferralErrorCode(StrEnum):
    NOT_A_RESIDENT = "not_a_resident"
    REFERRER_NOT_VERIFIED = "referrer_not_verified"
    CODE_UNKNOWN = "referral_code_unknown"
    SELF_REFERRAL = "self_referral"
    SAME_PERSON = "referral_same_person"
    CIRCULAR = "referral_circular"
    ALREADY_BOUND = "referee_already_bound"
    BINDING_IMMUTABLE = "referral_binding_immutable"
    NOT_MERCHANT_STAFF = "merchant_not_owned"
    NOT_OPERATOR = "not_community_operator"
    RATE_INVALID = "promotion_rate_invalid"
    AMOUNT_INVALID = "amount_invalid"
    NOTE_REQUIRED = "note_required"
    REASON_REQUIRED = "reason_required"
    DECISION_INVALID = "decision_invalid"
    INSUFFICIENT_WITHDRAWABLE = "withdrawable_insufficient"
    WITHDRAWAL_DECIDED = "withdrawal_already_decided"
