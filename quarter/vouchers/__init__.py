"""Vouchers: campaigns, rounds, the flash claim, redemption, risk and settlement."""
