"""The erasure study of docs/science.md sections 20-21: a finished run's replicas of one SimCLR
representation, with the instrument erased linearly from h (``manga_ssl.ssl.erasure``), scored
against the mock survey's truth as bench/science_study.py scores a trial.

    .venv/bin/python bench/erasure_study.py --run results/demo --truth resources/demo/mock/truth.parquet \\
        --representation simclr-relative-all --erase n_fibres,re_arcsec \\
        --given log_mass,sigma_cen,lambda_re,age_lw_re,zh_lw_re,re_kpc --label erase-given-nf-re
        # section 21: add --categorical n_fibres --interactions

Without --erase, the representation as the run computed it (the reference row). With --saved,
the replicas' h of a bench/science_study.py trial (its --save NPZ; --saved-key 'h[<spec>]' for
an --embedding's h) instead of the run's embeddings. One JSON line per trial appended to ``--out``.
Each replica's line says how many directions the erasure removed and what share of h's
variance they held (docs/science.md section 35).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))


def replica_ari(features, population, k: int = 3) -> dict:
    """Each replica's own k-division (K-means seed 0, the paper's ten starts): the ARI between
    every two replicas and against the true populations, which shows whether a low agreement
    is one replica apart or all of them."""
    from replica_count import subset_agreements
    from sklearn.metrics import adjusted_rand_score

    from manga_ssl.analysis.clustering import PAPER_N_INIT, kmeans_labels, matched_to, prepare

    labels = [kmeans_labels(prepare(h, "simclr"), k, 0, PAPER_N_INIT) for h in features]
    between = [[round(adjusted_rand_score(a, b), 2) for b in labels] for a in labels]
    out = {"between": between, "truth": [round(adjusted_rand_score(population, a), 2) for a in labels]}
    if len(labels) > 3:  # what a three-replica run (the demo) would report, over every three
        draws = subset_agreements(matched_to(labels[0], labels[1:], k), k, 3)
        out["three_replica_draws_85"] = round(float(np.mean(draws >= 0.85)), 3)
    return out


def main() -> None:
    from science_study import score

    from manga_ssl.ssl.erasure import apply_erasure, erasure, instrument_concept
    from manga_ssl.ssl.representations import read_representation

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", required=True, help="a finished run's results folder")
    ap.add_argument("--truth", required=True, help="the mock survey's truth.parquet")
    ap.add_argument("--representation", default="simclr-relative-all")
    ap.add_argument("--erase", default="", help="comma-separated catalogue columns to erase (none: the reference)")
    ap.add_argument("--given", default="", help="comma-separated physical catalogue columns")
    ap.add_argument("--categorical", default="", help="comma-separated --erase columns erased as categories")
    ap.add_argument("--interactions", action="store_true", help="also erase each term times each --given column")
    ap.add_argument("--saved", default=None, help="a bench/science_study.py --save NPZ, scored instead")
    ap.add_argument("--saved-key", default="h", help="which h of --saved: 'h', or 'h[<--embedding spec>]'")
    ap.add_argument("--label", default="trial")
    ap.add_argument("--out", default="results/erasure_study.jsonl")
    args = ap.parse_args()
    split = lambda text: [c for c in text.split(",") if c]  # noqa: E731
    erase, given, categorical = split(args.erase), split(args.given), split(args.categorical)

    run = Path(args.run)
    catalogue = pd.read_parquet(run / "preprocess" / "catalogue.parquet")
    truth = pd.read_parquet(args.truth)
    if args.saved:
        with np.load(args.saved) as saved:
            plateifu, replicas = saved["plateifu"].astype(str), list(saved[args.saved_key])
    else:
        paths = sorted((run / "embeddings").glob(f"{args.representation}-seed*.parquet"))
        if not paths:
            sys.exit(f"{run / 'embeddings'}: no replica of {args.representation}")
        replicas = []
        for path in paths:
            plateifu, h, _ = read_representation(path)
            replicas.append(h)
    if erase:  # the same galaxies in every replica: one concept
        rows = catalogue.set_index("plateifu").loc[plateifu].reset_index()
        concept = instrument_concept(rows, erase, given, "catalogue", categorical, args.interactions)
    features = []
    for i, h in enumerate(replicas):
        if erase:
            h = np.asarray(h, np.float64)
            mean, basis = erasure(h, concept)
            held = np.sum(((h - mean) @ basis) ** 2) / np.sum((h - mean) ** 2)
            print(f"replica {i}: {basis.shape[1]} directions erased, {100 * held:.2f}% of h's variance")
            h = apply_erasure(h, mean, basis)
        features.append(h)
    out = score(features, plateifu, catalogue, truth, [2, 3], [0, 1, 2])
    out["replica_ari"] = replica_ari(features, truth.set_index("plateifu")["population"].reindex(plateifu))
    ra = out["replica_ari"]
    print(f"k=3 ARI between replicas {ra['between']}, against the truth {ra['truth']}")
    if "three_replica_draws_85" in ra:
        print(f"k=3, K-means seed 0: {100 * ra['three_replica_draws_85']:.0f}% of the three-replica draws agree >= 85%")
    p, g = out["probe_r2"], out["probe_r2_given_physical"]
    print(
        f"{args.label} {args.representation}: k=2 agree {out['k2']['agreement']:.0f}%; k=3 agree "
        f"{out['k3']['agreement']:.0f}% ARI {out['k3']['ari']:.2f} nonphys {out['k3']['acc_max_nonphys']:.0f}% "
        f"gain {out['k3']['acc_gain_nonphys']:.1f}; R2 N fibres {p['n_fibres']:.2f} Re {p['re_arcsec']:.2f} "
        f"z {p['z']:.2f} (given phys {g['n_fibres']:.2f} / {g['re_arcsec']:.2f} / {g['z']:.2f}); "
        f"mean R2 physical {out['mean_r2_physical']:.3f}",
        flush=True,
    )
    record = {"label": args.label, "representation": args.representation, "erase": erase, "given": given}
    record |= {"categorical": categorical, "interactions": args.interactions}
    with open(args.out, "a") as f:
        f.write(json.dumps({**record, "run": str(run), "replicas": len(features), **out}) + "\n")


if __name__ == "__main__":
    main()
