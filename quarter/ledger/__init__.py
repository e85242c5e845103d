"""Ledger: the double-entry, append-only money ledger in integer fen."""
