"""Signals other parts listen to (referral rewards, ratings, the feed).

Both are sent inside the database transaction that writes the visit, so a
receiver's ledger postings commit or roll back with the payment.
"""

from django.dispatch import Signal

# Sent with `visit` once, when a payment is first recorded.
visit_recorded = Signal()
# Sent with `visit` and `refunded_fen` (this refund's amount) on each refund.
visit_refunded = Signal()
