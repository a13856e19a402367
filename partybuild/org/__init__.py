"""Organisations, branches, party groups, departments, posts and members."""
