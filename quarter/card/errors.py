"""Error codes of the community card: stable names for what went wrong."""

from enum import StrEnum


class CardErrorCode(StrEnum):
    NOT_CARD_MANAGER = "not_card_manager"
    NO_CARD = "no_community_card"
    CARD_CODE_INVALID = "card_code_invalid"
    CARD_CODE_EXPIRED = "card_code_expired"
    CARD_PIN_WRONG = "card_pin_wrong"
    CARD_PIN_NOT_SET = "card_pin_not_set"
    CARD_PIN_REQUIRED = "card_pin_required"
    CARD_PIN_INVALID = "card_pin_invalid"
    NOTHING_TO_APPLY = "no_card_or_voucher"
    QUOTE_CHANGED = "quote_changed"
    VISIT_NOT_REFUNDABLE = "visit_not_refundable"
