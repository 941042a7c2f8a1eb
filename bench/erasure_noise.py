"""Does the erased h keep its meaning when the maps change within their errors? (docs/science.md
section 23.) The erased h is a small remainder of h's variance; here each replica of the paper's
encoders embeds the survey's maps as measured, perturbed by one draw of their per-pixel errors
(as the paper's noise augmentation does), and replaced by the model-variation maps (the other
fits of the same spectra); each h averaged over rotations and flips, then erased with the
survey's own erasure (fitted on the measured maps, as placing new galaxies does). Reported for
the plain and the erased h: how far each galaxy moves against the spread of the survey, and
how many galaxies leave their k=3 cluster (K-means on the measured maps' h, ten starts).

    .venv/bin/python bench/erasure_noise.py --run results/demo --truth resources/demo/mock/truth.parquet
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))


def movement(reference: np.ndarray, perturbed: np.ndarray) -> float:
    """Median distance a galaxy moves, over the survey's median distance to its centre."""
    spread = np.median(np.linalg.norm(reference - reference.mean(0), axis=1))
    return float(np.median(np.linalg.norm(perturbed - reference, axis=1)) / spread)


def main() -> None:
    import keras
    from erasure_controls import erased_concept, load_run_config
    from sklearn.cluster import KMeans
    from sklearn.metrics import adjusted_rand_score

    from manga_ssl.analysis.clustering import prepare
    from manga_ssl.ssl.erasure import apply_erasure, erasure
    from manga_ssl.ssl.model import embed
    from manga_ssl.ssl.tensors import in_tensor_order, load_tensors

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", required=True, help="a finished run's results folder")
    ap.add_argument("--truth", required=True, help="the mock survey's truth.parquet")
    ap.add_argument("--config", default="config/demo.yaml", help="whose `erased` method's erasure")
    ap.add_argument("--seeds", default="0,1,2", help="the replicas of simclr/relative-all")
    ap.add_argument("--noise-seed", type=int, default=0)
    ap.add_argument("--out", default="results/erasure_noise.jsonl")
    args = ap.parse_args()

    run = Path(args.run)
    config = load_run_config(args.config)
    tensors = load_tensors(run / "tensors" / "relative.npz", config["channel_sets"]["all"])
    catalogue = in_tensor_order(pd.read_parquet(run / "preprocess" / "catalogue.parquet"), tensors)
    concept = erased_concept(catalogue, config)
    population = pd.read_parquet(args.truth).set_index("plateifu")["population"].reindex(tensors["plateifu"])
    rng = np.random.default_rng(args.noise_seed)
    maps = tensors["maps"]
    inputs = {
        "noise": maps * (1.0 + tensors["sigma"] * rng.normal(size=maps.shape)).astype(np.float32),
        "model variation": tensors["model_variation"],
    }
    records = []
    for seed in (int(s) for s in args.seeds.split(",")):
        encoder = keras.models.load_model(
            run / "simclr" / "relative-all" / f"seed{seed}" / "encoder.keras", compile=False
        )
        h = embed(encoder, maps, dihedral_average=True)
        mean, basis = erasure(h, concept)
        for kind in ("plain", "erased"):

            def view(x, kind=kind, mean=mean, basis=basis):
                return x if kind == "plain" else apply_erasure(x, mean, basis)

            reference = view(h)
            kmeans = KMeans(3, n_init=10, random_state=0).fit(prepare(reference, "simclr"))
            for name, perturbed_maps in inputs.items():
                perturbed = view(embed(encoder, perturbed_maps, dihedral_average=True))
                labels = kmeans.predict(prepare(perturbed, "simclr"))
                record = {
                    "run": str(run),
                    "seed": seed,
                    "h": kind,
                    "perturbation": name,
                    "movement": round(movement(reference, perturbed), 3),
                    "moved_cluster_percent": round(100 * float(np.mean(labels != kmeans.labels_)), 1),
                    "ari_truth_measured": round(adjusted_rand_score(population, kmeans.labels_), 2),
                    "ari_truth_perturbed": round(adjusted_rand_score(population, labels), 2),
                }
                records.append(record)
                print(
                    f"seed {seed} {kind:6s} {name:15s} moves {record['movement']:.3f} of the spread; "
                    f"{record['moved_cluster_percent']:4.1f}% change cluster; ARI vs truth "
                    f"{record['ari_truth_measured']:.2f} -> {record['ari_truth_perturbed']:.2f}",
                    flush=True,
                )
    with open(args.out, "a") as f:
        f.writelines(json.dumps(r) + "\n" for r in records)


if __name__ == "__main__":
    main()
