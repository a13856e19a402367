"""Integrity-risk checkpoints (廉政风险防控): ledger, controls, reviews, rectifications."""
