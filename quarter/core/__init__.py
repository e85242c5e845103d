"""Shared, app-free building blocks: errors, the clock seam,
money and identity helpers."""
