"""Shared building blocks that know no domain."""
