"""Is an outlier replica (docs/science.md sections 34-35) made by its initial weights or by
its draws of batches and augmentations? From a finished run with ten replicas of the paper's
relative method and its erased representation, this trains the replica again with the two
seeds split (--pairs init:augmentation), embeds it as the run's `erased` method does (h
averaged over the rotations and flips, the run's instrument concept erased), divides it with
K-means (k=3, seed 0, the paper's ten starts) and scores it against the consensus of the
run's other replicas and against the truth. The pair i:i is the run's own replica i.

    .venv/bin/python bench/replica_seeds.py --run results/s3-ten --truth resources/s3-ten/mock/truth.parquet \
        --config config/demo.yaml --outlier 4 --pairs 4:4,4:0,0:4
    # the same replicas with other training settings (section 36), e.g. twice the steps:
    .venv/bin/python bench/replica_seeds.py --run results/s3-ten --truth resources/s3-ten/mock/truth.parquet \
        --config config/demo.yaml --outlier 4 --pairs 4:4,0:0 --set epochs=20
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
from erasure_controls import erased_concept, load_run_config  # bench/ is the script's folder
from replica_count import replica_labels
from science_study import set_option
from sklearn.metrics import adjusted_rand_score

from manga_ssl.analysis.clustering import PAPER_N_INIT, agreement_score, kmeans_labels, l2_normalise, matched_to
from manga_ssl.ssl.device import configure_threads

ERASED = "simclr-relative-all+erased"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", type=Path, required=True)
    ap.add_argument("--truth", type=Path, required=True, help="the mock survey's truth.parquet")
    ap.add_argument("--config", default="config/demo.yaml", help="the run's config (simclr, erased)")
    ap.add_argument("--outlier", type=int, required=True, help="the replica left out of the others' consensus")
    ap.add_argument("--pairs", default="4:4,4:0,0:4", help="comma-separated init:augmentation seeds")
    ap.add_argument("--threads", type=int, default=1, help="as the run trained (simclr.threads_per_replica)")
    ap.add_argument("--set", action="append", default=[], help="simclr key=value (YAML), repeatable")
    args = ap.parse_args()
    configure_threads(args.threads)

    from manga_ssl.ssl import training
    from manga_ssl.ssl.erasure import erase_linear
    from manga_ssl.ssl.model import embed
    from manga_ssl.ssl.tensors import in_tensor_order, load_tensors

    config = load_run_config(args.config)  # validated, defaults filled, as the workflow reads it
    for assignment in args.set:  # the training only: the erased concept stays the run's
        set_option(config["simclr"], assignment)
    settings = training.TrainingSettings.from_config(config["simclr"])

    frame = pd.read_parquet(args.run / "clusters" / ERASED / "labels.parquet")
    replicas, labels = replica_labels(frame, 3, 0)
    galaxies = np.sort(frame["plateifu"].unique())
    others = labels[[i for i, r in enumerate(replicas) if r != args.outlier]]
    consensus = agreement_score(matched_to(others[0], others[1:], 3))[1].astype(np.int64)
    population = pd.read_parquet(args.truth).set_index("plateifu").loc[galaxies, "population"].to_numpy()

    npz = args.run / "tensors" / "relative.npz"
    tensors = load_tensors(npz)
    catalogue = in_tensor_order(pd.read_parquet(args.run / "preprocess" / "catalogue.parquet"), tensors)
    concept = erased_concept(catalogue, config)
    order = np.argsort(tensors["plateifu"].astype(str))  # tensor order -> sorted plateifu, as the labels
    for pair in args.pairs.split(","):
        init, augmentation = (int(s) for s in pair.split(":"))
        encoder, _, history = training.train_simclr(tensors, settings, augmentation, weights_seed=init)
        h = erase_linear(embed(encoder, tensors["maps"], dihedral_average=True), concept)[order]
        own = kmeans_labels(l2_normalise(h), 3, 0, PAPER_N_INIT)
        print(
            f"init {init}, augmentation {augmentation}: final loss {history['loss'].iloc[-1]:.4f}; erased k=3 ARI "
            f"against the other replicas' consensus {adjusted_rand_score(consensus, own):.2f}, against the truth "
            f"{adjusted_rand_score(population, own):.2f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
