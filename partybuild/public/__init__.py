"""The public board: published commitments and satisfaction ratings, no login."""
