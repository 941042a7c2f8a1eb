"""Analysis (paper Sections 4-5): baselines, projection, K-means over replicas, agreement,
the bias regression, the division studied, overlaps, probes and the tables."""
