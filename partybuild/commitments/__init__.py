"""Commitments: 承诺 → 亮诺 → 践诺 → 评诺, with public ratings."""
