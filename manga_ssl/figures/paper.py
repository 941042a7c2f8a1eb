"""Each paper figure from the files the analysis wrote: load, plot (plots.py), save,
and return the key numbers its report caption quotes."""

from __future__ import annotations

import numpy as np
import pandas as pd

from manga_ssl.analysis.clustering import cluster_name, lettered, nearest_to_centroids
from manga_ssl.analysis.divisions import summary
from manga_ssl.analysis.labels import consensus_division
from manga_ssl.core.files import write_json
from manga_ssl.core.names import kind_of
from manga_ssl.figures.loss import loss_curves as loss_curves_figure
from manga_ssl.figures.loss import replica_group
from manga_ssl.figures.plots import (
    INSTRUMENTAL_LABELS,
    PHYSICAL_LABELS,
    augmentation_examples,
    centroid_examples,
    cluster_properties,
    division_performance_figure,
    overlap_matrix_figure,
    physical_planes,
    ttype_histograms,
    umap_grid,
)
from manga_ssl.figures.style import save


def _save(fig, outputs):
    save(fig, outputs.pdf, outputs.png)


def _umap(path, name):
    frame = pd.read_parquet(path)
    frame.attrs["name"] = name
    return frame


def _sizes(labels, k):
    return [int(np.sum(labels == c)) for c in range(k)]


def fig1(tensors_path, catalogue_path, outputs, seed=0):
    """The five maps of the best-covered 127-fibre galaxy and each augmentation."""
    cat = pd.read_parquet(catalogue_path)
    with np.load(tensors_path) as npz:
        ids = list(npz["plateifu"])
        pool = cat[cat["n_fibres"] == cat["n_fibres"].max()]
        pid = pool.sort_values("n_zero_pixels")["plateifu"].iloc[0]
        i = ids.index(pid)
        fig = augmentation_examples(
            npz["maps"][i], npz["sigma"][i], npz["model_variation"][i], [str(c) for c in npz["channels"]], pid, seed
        )
    _save(fig, outputs)
    write_json({"plateifu": pid, "n_galaxies": len(ids)}, outputs.numbers)


def fig2(pca_umap, simclr_umap, catalogue_path, outputs):
    cat = pd.read_parquet(catalogue_path)
    pca, simclr = _umap(pca_umap, "PCA-1024"), _umap(simclr_umap, "SimCLR")
    fig = umap_grid(
        [
            ("a", pca, INSTRUMENTAL_LABELS),
            ("b", simclr, INSTRUMENTAL_LABELS),
            ("a", pca, PHYSICAL_LABELS),
            ("b", simclr, PHYSICAL_LABELS),
        ],
        cat,
        "UMAP of PCA-1024 (a) and SimCLR (b): instrumental (left), physical (right)",
    )
    _save(fig, outputs)
    write_json({"n_galaxies": len(simclr)}, outputs.numbers)


def fig5(relative_umap, individual_umap, catalogue_path, outputs):
    cat = pd.read_parquet(catalogue_path)
    rel, ind = _umap(relative_umap, "relative norm"), _umap(individual_umap, "individual norm")
    fig = umap_grid(
        [("R", rel, PHYSICAL_LABELS), ("I", ind, PHYSICAL_LABELS)],
        cat,
        "SimCLR UMAP, relative (R) and individual (I) normalisation",
    )
    _save(fig, outputs)
    write_json({"n_galaxies": len(rel)}, outputs.numbers)


def fig3(simclr_rel_labels, pca_labels, simclr_ind_labels, catalogue_path, divisions: dict, outputs):
    """``divisions``: {normalisation: Division} (:mod:`manga_ssl.divisions`)."""
    cat = pd.read_parquet(catalogue_path)
    k_rel, k_ind = divisions["relative"].k, divisions["individual"].k
    rows, numbers = {}, {"division": summary(divisions)}
    for title, path, k, letters, key in (
        (f"SimCLR, relative norm ({k_rel} clusters)", simclr_rel_labels, k_rel, False, "simclr_relative"),
        (f"PCA-1024 ({k_rel} clusters)", pca_labels, k_rel, False, "pca1024"),
        (f"SimCLR, individual norm ({k_ind} clusters)", simclr_ind_labels, k_ind, True, "simclr_individual"),
    ):
        ids, labels = consensus_division(path, k)
        rows[title] = (ids, labels, k, letters)
        sub = cat.set_index("plateifu").reindex(ids)
        numbers[key] = {
            "sizes": _sizes(labels, k),
            "mean_log_mass": [float(np.nanmean(sub["log_mass"][labels == c])) for c in range(k)],
            "mean_age": [float(np.nanmean(sub["age_lw_re"][labels == c])) for c in range(k)],
            "mean_zh": [float(np.nanmean(sub["zh_lw_re"][labels == c])) for c in range(k)],
        }
    _save(physical_planes(cat, rows), outputs)
    write_json(numbers, outputs.numbers)


def fig4(labels_path, catalogue_path, division, outputs):
    cat = pd.read_parquet(catalogue_path)
    k = division.k
    ids, labels = consensus_division(labels_path, k)
    fig = ttype_histograms(cat, {"SimCLR, relative norm": [(ids, labels, k, False, "-", "")]})
    _save(fig, outputs)
    t = cat.set_index("plateifu").reindex(ids)["t_type"].to_numpy()
    early = np.isfinite(t) & (t < 0)
    write_json(
        {
            "early_type_fraction_per_cluster": [float(np.mean(early[labels == c])) for c in range(k)],
            "sizes": _sizes(labels, k),
            "division": division.note,
        },
        outputs.numbers,
    )


def fig6(embedding_path, labels_path, tensors_path, division, outputs, n=5):
    from manga_ssl.ssl.representations import read_representation

    k = division.k
    ids_h, h, _ = read_representation(embedding_path)
    ids, labels = consensus_division(labels_path, k)
    h = h[pd.Index(ids_h).get_indexer(ids)]
    nearest = nearest_to_centroids(h, labels, k, n)
    with np.load(tensors_path) as npz:
        order = pd.Index(npz["plateifu"]).get_indexer(ids)
        examples = {
            f"cluster {cluster_name(c, letters=True)}": [(ids[i], order[i]) for i in idx] for c, idx in nearest.items()
        }
        fig = centroid_examples(npz["maps"], [str(c) for c in npz["channels"]], examples)
    _save(fig, outputs)
    write_json(
        {"examples": {name: [p for p, _ in gal] for name, gal in examples.items()}, "division": division.note},
        outputs.numbers,
    )


def fig7(overlaps_path, divisions: dict, outputs):
    """``divisions``: {normalisation: Division}."""
    o = pd.read_csv(overlaps_path, dtype={"cluster_a": str, "cluster_b": str})
    o = o[o["kind"] == "matrix"]
    rows, cols = list(pd.unique(o["cluster_a"])), list(pd.unique(o["cluster_b"]))  # cluster order
    m = o.pivot(index="cluster_a", columns="cluster_b", values="overlap").loc[rows, cols].to_numpy()
    s = o.pivot(index="cluster_a", columns="cluster_b", values="overlap_std").loc[rows, cols].to_numpy()
    fig = overlap_matrix_figure(
        m, s, [f"cluster {r}" for r in rows], [f"cluster {c}" for c in cols], "relative norm", "individual norm"
    )
    _save(fig, outputs)
    write_json(
        {"overlap": {r: dict(zip(cols, map(float, row))) for r, row in zip(rows, m)}, "division": summary(divisions)},
        outputs.numbers,
    )


def fig8(catalogue_path, panels: dict, outputs):
    """``panels``: {title: (five-map labels, no-V-band labels, Division)}."""
    cat = pd.read_parquet(catalogue_path)
    plot, numbers = {}, {}
    for title, (base, variant, studied) in panels.items():
        k, letters = studied.k, lettered(studied.normalisation)
        ids, labels = consensus_division(base, k)
        v_ids, v_labels = consensus_division(variant, k, reference=(ids, labels))
        plot[title] = [(ids, labels, k, letters, ":", " (5 maps)"), (v_ids, v_labels, k, letters, "-", " (no V band)")]
        numbers[title] = float(100 * np.mean(labels == v_labels))
    _save(ttype_histograms(cat, plot), outputs)
    divisions = {title: division for title, (_, _, division) in panels.items()}
    write_json({"same_cluster_percent": numbers, "division": summary(divisions)}, outputs.numbers)


def fig9(catalogue_path, divisions: dict, division, outputs):
    """``divisions``: {label: labels path}, the first the five-map reference; ``division``:
    the relative norm's Division."""
    cat = pd.read_parquet(catalogue_path)
    k = division.k
    items = list(divisions.items())
    ref = consensus_division(items[0][1], k)
    plot, numbers = {}, {}
    for label, path in items:
        ids, labels = consensus_division(path, k, reference=ref)
        plot[label] = (ids, labels, k, False)
        numbers[label] = float(100 * np.mean(labels == ref[1]))
    _save(cluster_properties(cat, plot), outputs)
    write_json({"same_cluster_percent": numbers, "division": division.note}, outputs.numbers)


# Here, not in figures/loss.py: that module is an input of every replica's training job,
# and a caption's wording must not retrain them.
def epochs_trained(histories: dict) -> str:
    """How many epochs the replicas trained, for a caption: the count most of them trained
    and each variant that trained for another (a method's own simclr.methods epochs) with
    its own. ``histories``: {"<variant> seed <n>": history}."""
    counts = {label: int(history["epoch"].max()) for label, history in histories.items()}
    epochs = {}
    for label, n in counts.items():
        epochs.setdefault(replica_group(label), set()).add(n)
    usual = max(sorted(set(counts.values())), key=list(counts.values()).count)
    others = [f"{variant}: {', '.join(map(str, sorted(ns)))}" for variant, ns in epochs.items() if ns != {usual}]
    return f"{usual} epochs" + "".join(f"; {other} epochs" for other in others)


def loss_curves(histories: dict, outputs):
    frames = {label: pd.read_csv(path) for label, path in histories.items()}
    _save(loss_curves_figure(frames, title="SimCLR training, every replica"), outputs)
    last_probe = {
        k: v.dropna(subset=["probe_r2_physical"]).iloc[-1]
        for k, v in frames.items()
        if "probe_r2_physical" in v and v["probe_r2_physical"].notna().any()
    }
    write_json(
        {
            "final_loss": {k: float(v["loss"].iloc[-1]) for k, v in frames.items()},
            "epochs": epochs_trained(frames),
            "final_probe_r2_physical": {k: float(r["probe_r2_physical"]) for k, r in last_probe.items()},
            "final_probe_r2_instrumental": {k: float(r["probe_r2_instrumental"]) for k, r in last_probe.items()},
        },
        outputs.numbers,
    )


def table1_figure(table1_csv, accepted_json, outputs, min_agreement, max_nonphys, max_gain):
    import json

    table = pd.read_csv(table1_csv)
    _save(division_performance_figure(table, min_agreement, max_nonphys, max_gain), outputs)
    rel = table[table["representation"] == table["representation"].iloc[0]].set_index("k")
    with open(accepted_json) as fh:
        accepted = json.load(fh)
    pca = table[table["representation"].map(kind_of).isin(["pca1024", "pca10"])]
    write_json(
        {
            "accepted": accepted,
            "agreement": {int(k): float(v) for k, v in rel["agreement"].items()},
            "acc_max_nonphys": {int(k): float(v) for k, v in rel["acc_max_nonphys"].items()},
            "pca_acc_max_nonphys_min": float(pca["acc_max_nonphys"].min()) if len(pca) else None,
        },
        outputs.numbers,
    )
