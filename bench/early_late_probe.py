"""Does a representation hold the mock's early / late split, or does its K-means division
only miss it? (docs/science.md section 29.) For each representation of a run on the mock
survey: the cross-validated accuracy of a linear probe of early against late types
(:func:`manga_ssl.analysis.probes.linear_probe_accuracy`, on the features as K-means sees
them, :func:`manga_ssl.analysis.clustering.prepare`; first ``--replicas`` replicas, mean and std),
beside the ARI of its k=2 K-means division against the same split, read from the run's
``validation/divisions_vs_truth.csv``. A high probe accuracy with a low ARI says that the
representation holds the split in a direction that does not dominate its variance.

    .venv/bin/python bench/early_late_probe.py --run results/demo --truth resources/demo/mock/truth.parquet
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from manga_ssl.analysis.bias_regression import true_labels
from manga_ssl.analysis.clustering import prepare
from manga_ssl.analysis.labels import load_replicas
from manga_ssl.analysis.probes import linear_probe_accuracy
from manga_ssl.core.names import kind_of


def representation_paths(run: Path) -> dict[str, list[Path]]:
    """{representation: its embedding tables (replicas in seed order)}."""
    out: dict[str, list[Path]] = {}
    for path in sorted((run / "embeddings").glob("*.parquet")):
        name = path.stem.rsplit("-seed", 1)[0] if "-seed" in path.stem else path.stem
        out.setdefault(name, []).append(path)
    return {
        name: sorted(paths, key=lambda p: int(p.stem.rsplit("-seed", 1)[-1]) if "-seed" in p.stem else 0)
        for name, paths in out.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--run", type=Path, required=True, help="results/<run> of a run on the mock survey")
    parser.add_argument("--truth", type=Path, required=True, help="the mock's truth.parquet")
    parser.add_argument("--replicas", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0, help="the probe's fold seed")
    args = parser.parse_args()

    truth = pd.read_parquet(args.truth)
    divisions = pd.read_csv(args.run / "validation/divisions_vs_truth.csv")
    ari = divisions[divisions["k"] == 2].set_index("representation")["ari"]
    rows = []
    for name, paths in representation_paths(args.run).items():
        plateifu, features, _ = load_replicas(paths[: args.replicas])
        early = true_labels(truth, plateifu, 2).astype(bool)
        seen = [prepare(f, kind_of(name)) for f in features]
        accuracy = np.array([linear_probe_accuracy(f, early, args.seed) for f in seen])
        rows.append(
            {
                "representation": name,
                "replicas": len(paths[: args.replicas]),
                "early_late_probe": accuracy.mean(),
                "early_late_probe_std": accuracy.std(),
                "kmeans_k2_ari": ari.get(name, np.nan),
                "majority": max(early.mean(), 1 - early.mean()),
            }
        )
    print(pd.DataFrame(rows).to_markdown(index=False, floatfmt=".3f"))


if __name__ == "__main__":
    main()
