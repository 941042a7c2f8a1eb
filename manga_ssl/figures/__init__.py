"""Figures (every figure of the paper), their style, and the survey explorer page."""
