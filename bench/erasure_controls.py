"""Controls for the erasure of docs/science.md section 21 (section 23): is what it does
specific to the instrument? On a finished run's averaged h of the paper's encoders, each
replica's h with the demo's concept erased, beside the same number of directions taken from
a shuffled concept (the galaxies' rows permuted), at random, or along h's leading principal
components; and how many of the erased directions covary with the concept beyond chance
(permutations of the galaxies: the j-th singular value against the j-th of the shuffles, and
against their largest), and the erasure limited to those.

    .venv/bin/python bench/erasure_controls.py --run results/demo --truth resources/demo/mock/truth.parquet
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd

SCHEMA = Path(__file__).resolve().parents[1] / "workflow" / "schemas" / "config.schema.yaml"


def load_run_config(path) -> dict:
    """A config file as the workflow reads it: validated, defaults filled."""
    from manga_ssl.core.config import load_config

    return load_config(path, SCHEMA)


def erased_concept(catalogue: pd.DataFrame, config: dict) -> np.ndarray:
    """The instrument concept of the config's ``erased`` method (the demo's erasure), for the
    catalogue's rows in their order."""
    from manga_ssl.core.config import method_settings
    from manga_ssl.ssl.erasure import instrument_concept

    erased = method_settings(config["simclr"], "erased")
    return instrument_concept(
        catalogue,
        erased["erase_instrument"],
        erased["erase_given"],
        "catalogue",
        erased["erase_categorical"],
        erased["erase_interactions"],
    )


def chance_counts(h, concept, rank, seed, permutations=100, level=0.95) -> dict:
    """Directions whose cross-covariance singular value exceeds the ``level`` quantile of the
    shuffles' j-th (a parallel analysis) and of the shuffles' largest (a max-statistic test),
    among the ``rank`` directions the erasure removes (the others are at round-off)."""
    centred, concept = h - h.mean(0), concept - concept.mean(0)
    observed = np.linalg.svd(centred.T @ concept, compute_uv=False)[:rank]
    rng = np.random.default_rng(seed)
    null = np.array(
        [np.linalg.svd(centred.T @ concept[rng.permutation(len(h))], compute_uv=False) for _ in range(permutations)]
    )
    per_rank = np.quantile(null, level, axis=0)[:rank]
    return {
        "parallel_analysis": int(np.argmin(np.append(observed > per_rank, False))),
        "max_statistic": int(np.sum(observed > np.quantile(null[:, 0], level))),
    }


def main() -> None:
    from sklearn.metrics import adjusted_rand_score

    from manga_ssl.analysis import bias
    from manga_ssl.analysis.kmeans import cluster_runs
    from manga_ssl.analysis.labels import labels_frame
    from manga_ssl.ssl.erasure import apply_erasure, erasure
    from manga_ssl.ssl.representations import read_representation

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", required=True, help="a finished run's results folder")
    ap.add_argument("--truth", required=True, help="the mock survey's truth.parquet")
    ap.add_argument("--config", default="config/demo.yaml", help="whose `erased` method's erasure")
    ap.add_argument("--representation", default="simclr-relative-all+averaged")
    ap.add_argument("--kmeans-seeds", type=int, default=3)
    ap.add_argument("--out", default="results/erasure_controls.jsonl")
    args = ap.parse_args()

    run = Path(args.run)
    config = load_run_config(args.config)
    catalogue = pd.read_parquet(run / "preprocess" / "catalogue.parquet")
    truth = pd.read_parquet(args.truth)
    paths = sorted((run / "embeddings").glob(f"{args.representation}-seed*.parquet"))
    features, kept, counts = {}, {}, []
    for replica, path in enumerate(paths):
        plateifu, h, _ = read_representation(path)
        rows = catalogue.set_index("plateifu").loc[plateifu].reset_index()
        concept = erased_concept(rows, config)
        mean, basis = erasure(h, concept)
        k = basis.shape[1]
        rng = np.random.default_rng(100 + replica)
        centred = h - mean
        pcs = np.linalg.svd(centred, full_matrices=False)[2][:k].T
        counts.append({"erased": k, **chance_counts(h, concept, k, replica)})
        bases = {
            "the demo's erasure": basis,
            # the erasure's directions come in order of covariance: the first n are those kept
            "only beyond chance (parallel)": basis[:, : counts[-1]["parallel_analysis"]],
            "only beyond chance (max)": basis[:, : counts[-1]["max_statistic"]],
            "shuffled concept": erasure(h, concept[rng.permutation(len(h))])[1],
            "random directions": np.linalg.qr(rng.normal(size=(h.shape[1], k)))[0],
            "leading principal components": pcs,
        }
        for name, b in bases.items():
            features.setdefault(name, []).append(apply_erasure(h, mean, b))
            kept.setdefault(name, []).append(1 - np.sum((centred @ b) ** 2) / np.sum(centred**2))
    cat = bias.derived_columns(catalogue).set_index("plateifu").loc[plateifu]
    population = truth.set_index("plateifu")["population"].reindex(plateifu).to_numpy()
    seeds = list(range(args.kmeans_seeds))
    print(f"{run}: directions erased / beyond chance (parallel analysis, max statistic) per replica: {counts}")
    records = []
    for name, feats in features.items():
        labels, agreement = cluster_runs(
            feats, "simclr", [3], seeds, list(range(len(feats))), cat[["lambda_re", "age_lw_re"]]
        )
        labels = labels_frame(plateifu, labels)
        ari = [
            adjusted_rand_score(population, g["label"])
            for _, g in labels.groupby(["replica", "kmeans_seed"], observed=True)
        ]
        record = {
            "run": str(run),
            "control": name,
            "k3_agreement": round(100 * float(agreement["agreement"].mean()), 1),
            "k3_ari": round(float(np.mean(ari)), 2),
            "variance_kept": [float(f"{v:.2g}") for v in kept[name]],
            "directions": counts,
        }
        records.append(record)
        print(
            f"  {name:30s} k=3 agreement {record['k3_agreement']:5.1f}%  ARI {record['k3_ari']:.2f}  "
            f"h's variance kept {record['variance_kept']}",
            flush=True,
        )
    with open(args.out, "a") as f:
        f.writelines(json.dumps(r) + "\n" for r in records)


if __name__ == "__main__":
    main()
