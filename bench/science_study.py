"""The science study of docs/science.md: train SimCLR replicas on a finished run's tensors with
settings overridden, and score them against the mock survey's truth as the pipeline does.

    .venv/bin/python bench/science_study.py --run results/demo --truth resources/demo/mock/truth.parquet \
        --config config/demo.yaml --set epochs=60 --set augmentations.p_footprint=0.5 --label footprint

For each trial, per normalisation: agreement of the k-divisions over the replicas (the paper's
score), ARI against the true populations, Acc_max non-phys (the paper's bias regression) and the
mean instrumental probe R^2; one JSON line per trial appended to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml


def set_option(cfg: dict, assignment: str) -> None:
    """One --set: "a.b=value" sets cfg["a"]["b"] to the YAML value."""
    key, value = assignment.split("=", 1)
    *path, last = key.split(".")
    for p in path:
        cfg = cfg.setdefault(p, {})
    cfg[last] = yaml.safe_load(value)


def _embedding_settings(spec: str) -> dict:
    """'dihedral_average=true,central_aperture=5' -> embed()'s keywords."""
    return {k: yaml.safe_load(v) for k, v in (item.split("=", 1) for item in spec.split(","))}


def score(features, plateifu, catalogue, truth, k_values, kmeans_seeds, seed=0):
    from manga_ssl.analysis import bias
    from manga_ssl.analysis.bias_regression import bias_table
    from manga_ssl.analysis.kmeans import cluster_runs
    from manga_ssl.analysis.labels import labels_frame
    from manga_ssl.analysis.probes import cluster_scores, linear_probe_r2, probe_targets

    cat = bias.derived_columns(catalogue).set_index("plateifu").loc[plateifu]
    labels, agreement = cluster_runs(
        features, "simclr", k_values, kmeans_seeds, list(range(len(features))), cat[["lambda_re", "age_lw_re"]]
    )
    labels = labels_frame(plateifu, labels)
    pop = truth.set_index("plateifu")["population"].reindex(plateifu).to_numpy()
    acc, _ = bias_table(labels, cat.reset_index(), k_values, range(len(features)), kmeans_seeds[:3], seed)
    out = {}
    for k in k_values:
        sub = labels[labels["k"] == k]
        ari = [
            cluster_scores(g["label"].to_numpy(), pop)["ari"]
            for _, g in sub.groupby(["replica", "kmeans_seed"], observed=True)
        ]
        out[f"k{k}"] = {
            "agreement": 100 * agreement.loc[agreement["k"] == k, "agreement"].mean(),
            "ari": float(np.mean(ari)),
            "acc_max_nonphys": 100 * acc.loc[acc["k"] == k, "acc_max_nonphys"].mean(),
            "acc_mean_phys": 100 * acc.loc[acc["k"] == k, "acc_mean_phys"].mean(),
            "acc_gain_nonphys": 100 * acc.loc[acc["k"] == k, "acc_gain_nonphys"].mean(),
        }
    targets, groups = probe_targets(cat.reset_index(), truth)
    r2 = np.mean([linear_probe_r2(f, targets, seed) for f in features], axis=0)
    out["probe_r2"] = {name: round(float(v), 3) for (name, _), v in zip(groups, r2)}
    out["mean_r2_physical"] = float(np.mean([v for (n, g), v in zip(groups, r2) if g == "physical"]))
    out["mean_r2_instrumental"] = float(np.mean([v for (n, g), v in zip(groups, r2) if g == "instrumental"]))
    physics = targets[:, [g == "physical" for _, g in groups]]
    given = np.mean([linear_probe_r2(f, targets, seed, given=physics) for f in features], axis=0)
    instrumental = [(name, v) for (name, g), v in zip(groups, given) if g == "instrumental"]
    out["probe_r2_given_physical"] = {name: round(float(v), 3) for name, v in instrumental}
    out["mean_r2_instrumental_given_physical"] = float(np.mean([v for _, v in instrumental]))
    return out


def _head_layer_outputs(head, h):
    """Each Dense layer's output of a projection head applied to h, in order (z last)."""
    import keras

    x, outputs = h, []
    for layer in head.layers:
        if isinstance(layer, keras.layers.Dense):
            x = np.asarray(layer(x))
            outputs.append(x)
    return outputs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", required=True, help="a finished run's results folder (tensors, catalogue)")
    ap.add_argument("--truth", required=True, help="the mock survey's truth.parquet")
    ap.add_argument("--config", default="config/demo.yaml")
    ap.add_argument("--set", action="append", default=[], help="simclr key=value (YAML value), repeatable")
    ap.add_argument("--normalisations", default="relative,individual")
    ap.add_argument("--seeds", default=None, help="comma-separated replica seeds (default: the config's)")
    ap.add_argument("--label", default="trial")
    ap.add_argument("--out", default="results/science_study.jsonl")
    ap.add_argument("--truth-rows", action="store_true", help="also score the true populations (Table 1's truth rows)")
    ap.add_argument(
        "--encoders",
        default=None,
        help="score the run's own encoders of this channel set and method (e.g. 'all+footprint') instead of training",
    )
    ap.add_argument(
        "--embedding",
        action="append",
        default=[],
        help="also score h computed with these embed() settings from the same encoders, e.g. "
        "'dihedral_average=true,central_aperture=5' (repeatable)",
    )
    ap.add_argument(
        "--head-layers",
        action="store_true",
        help="with --encoders, also score each Dense layer of the run's projection heads (z last) applied to h",
    )
    ap.add_argument(
        "--save", default=None, help="folder for each normalisation's h (NPZ; bench/erasure_study.py --saved reads it)"
    )
    args = ap.parse_args()
    if args.head_layers and not args.encoders:
        ap.error("--head-layers scores the run's own projection heads: give --encoders")

    import keras

    from manga_ssl.core.config import channel_set_seeds, load_config
    from manga_ssl.core.names import split_tag
    from manga_ssl.ssl.model import embed
    from manga_ssl.ssl.negatives import negative_strata
    from manga_ssl.ssl.tensors import in_tensor_order, load_tensors
    from manga_ssl.ssl.training import TrainingSettings, train_simclr

    cfg = yaml.safe_load(Path(args.config).read_text())
    simclr = dict(cfg["simclr"])
    for s in args.set:
        set_option(simclr, s)
    seeds = [int(s) for s in args.seeds.split(",")] if args.seeds else simclr.get("seeds", [0, 1, 2])
    if not args.seeds and args.encoders and split_tag(args.encoders)[0] != "all":
        seeds = channel_set_seeds(seeds, simclr.get("channel_set_replicas", 1))  # the schema's default: 1
    settings = TrainingSettings.from_config(simclr)
    run = Path(args.run)
    catalogue = pd.read_parquet(run / "preprocess" / "catalogue.parquet")
    truth = pd.read_parquet(args.truth)
    record = {"label": args.label, "set": args.set, "seeds": seeds, "run": str(run)}
    if args.truth_rows:
        from manga_ssl.analysis.bias_regression import truth_bias

        rows = truth_bias(truth, catalogue, n_draws=9, seed=0).groupby("k").mean(numeric_only=True)
        record["truth"] = {
            f"k{k}": {c: 100 * float(rows.loc[k, c]) for c in ("acc_max_nonphys", "acc_gain_nonphys")}
            for k in rows.index
        }
        print(f"truth rows: {record['truth']}", flush=True)
    # the maps the encoders see: the channel set of --encoders (config 'channel_sets'), else all
    channels = None
    if args.encoders:
        schema = Path(__file__).resolve().parents[1] / "workflow" / "schemas" / "config.schema.yaml"
        channels = load_config(args.config, schema)["channel_sets"][split_tag(args.encoders)[0]]
    for norm in args.normalisations.split(","):
        path = run / "tensors" / f"{norm}.npz"
        tensors = load_tensors(path, channels)
        embeddings = {spec: _embedding_settings(spec) for spec in args.embedding}
        strata = None
        if settings.negatives_within:  # conditional negatives, as the train_simclr rule draws them
            aligned = in_tensor_order(catalogue, tensors)
            strata = negative_strata(aligned, settings.negatives_within, settings.negatives_bins)
        features, other, t0, losses = [], {spec: [] for spec in embeddings}, time.perf_counter(), []
        layers = {}  # scored name -> each head layer's output, per replica
        for seed in seeds:
            if args.encoders:  # the run's own replicas, trained by the workflow
                replica = run / "simclr" / f"{norm}-{args.encoders}" / f"seed{seed}"
                encoder = keras.models.load_model(replica / "encoder.keras", compile=False)
                history = pd.read_csv(replica / "history.csv")
            else:
                encoder, _, history = train_simclr(tensors, settings, seed, strata=strata)
            features.append(embed(encoder, tensors["maps"]))
            for spec, keywords in embeddings.items():  # not `settings`: the training's, used next seed
                other[spec].append(embed(encoder, tensors["maps"], **keywords))
            if args.head_layers:
                head = keras.models.load_model(replica / "projection_head.keras", compile=False)
                for name, h in ((norm, features[-1]), *((f"{norm}[{s}]", v[-1]) for s, v in other.items())):
                    for i, out in enumerate(_head_layer_outputs(head, h)):
                        layers.setdefault(f"{name}[head layer {i + 1}]", []).append(out)
            losses.append(float(history["loss"].iloc[-1]))
        train_s = time.perf_counter() - t0
        if args.save:
            Path(args.save).mkdir(parents=True, exist_ok=True)
            # h as trained, and as each --embedding computed it (key 'h[<spec>]')
            extra = {f"h[{spec}]": np.stack(v) for spec, v in other.items()}
            saved = Path(args.save) / f"{args.label}-{norm}.npz"
            np.savez(saved, h=np.stack(features), plateifu=tensors["plateifu"], **extra)
        k_values = [2, 3]
        scored = {norm: features, **{f"{norm}[{spec}]": h for spec, h in other.items()}, **layers}
        for name, h in scored.items():
            record[name] = {
                "train_s": round(train_s, 1),
                "final_loss": losses,
                **score(h, tensors["plateifu"].astype(str), catalogue, truth, k_values, [0, 1, 2]),
            }
            r = record[name]
            print(
                f"{args.label} {name}: train {train_s:.0f} s, loss {np.mean(losses):.3f}; "
                + "; ".join(
                    f"k={k}: agree {r[f'k{k}']['agreement']:.0f}% ARI {r[f'k{k}']['ari']:.2f} "
                    f"nonphys {r[f'k{k}']['acc_max_nonphys']:.0f}% gain {r[f'k{k}']['acc_gain_nonphys']:.1f}"
                    for k in k_values
                )
                + f"; R2 phys {r['mean_r2_physical']:.2f} instr {r['mean_r2_instrumental']:.2f}"
                + f" (given phys {r['mean_r2_instrumental_given_physical']:.2f})",
                flush=True,
            )
    with open(args.out, "a") as fh:
        fh.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    main()
