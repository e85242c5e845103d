"""Indicators: each circle's indicator sheet (指标表), rolled up for a district.

A circle is a community and its 15-minute walking area. Its sheet is read
from what quarter.coverage already stores (compound reach, merchants), with
database aggregates over every circle at once, never walking again.
"""
