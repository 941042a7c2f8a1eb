"""Preprocessing (paper Section 2): maps to 32x32 tensors in two normalisations, and the
per-galaxy catalogue with the parameters measured from the maps."""
