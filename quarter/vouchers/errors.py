"""Error codes of the vouchers app: stable names for what went wrong."""

from enum import StrEnum


class VoucherErrorCode(StrEnum):
    NOT_ISSUER = "not_issuer"
    NOT_OPERATOR = "not_operator"
    SHOP_NOT_OWNED = "shop_not_owned"
    NAME_REQUIRED = "name_required"
    AMOUNT_NOT_POSITIVE = "amount_not_positive"
    THRESHOLD_BELOW_FACE = "threshold_below_face"
    TIMES_NOT_ORDERED = "times_not_ordered"
    BUDGET_EXCEEDED = "budget_exceeded"
    PACKET_EMPTY = "packet_empty"
    UNKNOWN_PRESET = "unknown_preset"
    UNKNOWN_BUSINESS_TYPE = "unknown_business_type"
    ROUND_ALREADY_OPEN = "round_already_open"
    ROUND_NOT_STOPPABLE = "round_not_stoppable"
    ROUND_NOT_DRAWABLE = "round_not_drawable"
    REASON_REQUIRED = "reason_required"
    COMMUNITY_OUTSIDE_DISTRICT = "community_outside_district"
    UNKNOWN_STACKING = "unknown_card_stacking"
    # claim
    NOT_A_RESIDENT = "not_a_resident"
    NOT_VERIFIED = "real_name_required"
    NOT_ELIGIBLE_AREA = "not_in_campaign_area"
    TOO_YOUNG = "below_minimum_age"
    NOT_ON_REGISTER = "not_on_register"
    NOT_RELEASED = "round_not_released"
    ROUND_CLOSED = "round_closed"
    SOLD_OUT = "packet_sold_out"
    ALREADY_CLAIMED = "already_claimed"
    PERSON_ALREADY_CLAIMED = "person_already_claimed"
    WEEK_LIMIT = "weekly_limit_reached"
    RATE_LIMITED = "rate_limited"
    TICKET_INVALID = "rush_ticket_invalid"
    # The Redis engine has not loaded the round (it rebuilds it and retries once).
    ENGINE_NOT_READY = "claim_engine_not_ready"
    # Internal: the engine's answer for a lottery round, which registers instead.
    LOTTERY_ROUND = "lottery_round"
    # redemption
    CODE_INVALID = "voucher_code_invalid"
    NO_APPLICABLE_VOUCHER = "no_applicable_voucher"
    MERCHANT_NOT_ELIGIBLE = "merchant_not_eligible"
    DAILY_CAP = "daily_cap_reached"
    BILL_INVALID = "bill_invalid"
    KEY_REQUIRED = "idempotency_key_required"
    KEY_REUSED = "idempotency_key_reused"
    REDEMPTION_NOT_REFUNDABLE = "redemption_not_refundable"
    REFUND_INVALID = "refund_amount_invalid"
    REDEMPTION_NOT_HELD = "redemption_not_held"
    SETTLEMENT_DATE_INVALID = "settlement_date_invalid"
    SETTLEMENT_NOT_VISIBLE = "settlement_not_visible"
    PAYMENT_REFERENCE_REQUIRED = "payment_reference_required"
    # state machines (models.py tables)
    TRANSITION_REFUSED = "state_transition_not_allowed"
    # wallet codes at the till
    CODE_LOCKED = "voucher_code_locked"
