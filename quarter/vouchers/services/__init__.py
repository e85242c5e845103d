"""Verbs of the vouchers app, one module per concept.

campaigns   create campaigns and rounds, change future rounds, stop rounds, pledges
claims      the claim (through a claim engine), eligibility, the rush ticket
redemptions the till: quote, redeem, refund, review of held redemptions, expiry
settlement  T+1 payouts and statements
"""
