"""Error codes of the ledger."""

from enum import StrEnum


class LedgerErrorCode(StrEnum):
    UNBALANCED = "ledger_unbalanced"
    EMPTY = "ledger_transaction_empty"
    BAD_AMOUNT = "ledger_amount_not_integer_fen"
    INSUFFICIENT_FUNDS = "ledger_insufficient_funds"
    KEY_REUSED = "ledger_key_reused_with_other_lines"
    UNKNOWN_TRANSACTION = "ledger_unknown_transaction"
