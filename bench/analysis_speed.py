"""Wall time of the whole analysis at the paper's scale on this machine (docs/benchmarks.md).

    .venv/bin/python bench/analysis_speed.py [--galaxies 9507] [--replicas 10] [--workdir /tmp/bench]

Synthetic representations with the paper's shapes: for each normalisation ten
SimCLR replicas of 9507 x 1024 (h = ELU of a clustered 32-d latent through a
random linear map, plus noise: a decaying spectrum like a trained encoder's),
PCA-1024 and PCA-10 tables, and a catalogue. Runs the analysis rules' own
functions (K-means k = 2..15 x 10 seeds per replica, agreement, bias regression,
Tables 1-2, overlaps, UMAP of the reference replicas) one job after another
with the machine's cores, as `snakemake --cores 2` would at worst, and reports
each step's time.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

from manga_ssl import analysis, bias
from manga_ssl.representations import write_representation


def synthetic_h(n, dims, latent, seed, rng_latent):
    rng = np.random.default_rng(seed)
    w = rng.normal(size=(latent.shape[1], dims)) / np.sqrt(latent.shape[1])
    h = latent @ w
    h = np.where(h > 0, h, np.expm1(np.minimum(h, 0))) + 0.05 * rng.normal(size=(n, dims))
    return h.astype(np.float32)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--galaxies", type=int, default=9507)
    p.add_argument("--replicas", type=int, default=10)
    p.add_argument("--dims", type=int, default=1024)
    p.add_argument("--kmeans-seeds", type=int, default=10)
    p.add_argument("--workdir", default="/tmp/manga-ssl-bench-analysis")
    args = p.parse_args()
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    n = args.galaxies
    plateifu = np.array([f"{7000 + i // 100}-{i % 100}" for i in range(n)])
    population = rng.choice(3, n, p=[0.5, 0.32, 0.18])
    latent = rng.normal(size=(n, 32)) + 3 * np.eye(3, 32)[population]
    cat = pd.DataFrame({"plateifu": plateifu})
    for col in list(bias.NON_PHYSICAL) + ["sigma_cen", "re_kpc", "age_lw_re", "lambda_re", "log_sfr", "zh_lw_re",
                                          "grad_zh_lw", "grad_age_lw"]:
        cat[col] = rng.normal(size=n) + population
    cat["sigma_cen"], cat["re_kpc"] = np.exp(cat["sigma_cen"]), np.exp(cat["re_kpc"])
    cat_path = work / "catalogue.parquet"
    cat.to_parquet(cat_path)

    timings = {}
    t_all = time.perf_counter()
    t0 = time.perf_counter()
    reps = {}
    for norm in ("relative", "individual"):
        tables = []
        for r in range(args.replicas):
            path = work / f"simclr-{norm}-all-seed{r}.parquet"
            if not path.exists():
                write_representation(path, plateifu, synthetic_h(n, args.dims, latent, hash((norm, r)) % 2**32, rng),
                                     "h", {"kind": "simclr", "seed": r})
            tables.append(path)
        reps[f"simclr-{norm}-all"] = tables
    flat = latent @ rng.normal(size=(32, 5120))
    for name, f in (("pca1024-relative", flat[:, :1024]), ("pca10-relative", flat[:, :10])):
        path = work / f"{name}.parquet"
        write_representation(path, plateifu, f, "pc", {"kind": name.split("-")[0]})
        reps[name] = [path]
    print(f"synthetic inputs: {time.perf_counter() - t0:.0f} s (not counted)")
    t_all = time.perf_counter()

    for name, tables in reps.items():
        ks = list(range(2, 16)) if name.startswith("simclr") else [2, 3, 4, 5]
        t0 = time.perf_counter()
        analysis.run_kmeans(tables, name, ks, list(range(args.kmeans_seeds)), cat_path, work / f"{name}-labels.parquet",
                            work / f"{name}-agreement.csv")
        timings[f"kmeans {name}"] = time.perf_counter() - t0
        n_fits = len(tables) * len(ks) * args.kmeans_seeds
        print(f"{name}: {n_fits} K-means fits, {timings[f'kmeans {name}'] / n_fits:.2f} s per fit", flush=True)
        t0 = time.perf_counter()
        analysis.run_bias(work / f"{name}-labels.parquet", cat_path, name, ks, 5, 5, 0,
                          work / f"{name}-accuracy.csv", work / f"{name}-contributions.csv")
        timings[f"bias {name}"] = time.perf_counter() - t0
        print({k: round(v) for k, v in timings.items()}, flush=True)
    t0 = time.perf_counter()
    analysis.make_table1({n: (work / f"{n}-agreement.csv", work / f"{n}-accuracy.csv") for n in reps}, work / "table1")
    analysis.make_table2(work / "simclr-relative-all-contributions.csv", 3, work / "table2")
    analysis.make_overlaps([{"a": "simclr-relative-all", "ka": 3, "b": "simclr-individual-all", "kb": 2,
                             "a_labels": work / "simclr-relative-all-labels.parquet",
                             "b_labels": work / "simclr-individual-all-labels.parquet"}],
                           work / "overlaps.csv", work / "fig7", ("simclr-relative-all", "simclr-individual-all"))
    timings["tables and overlaps"] = time.perf_counter() - t0
    for name in ("simclr-relative-all", "simclr-individual-all", "pca1024-relative"):
        t0 = time.perf_counter()
        analysis.run_umap(reps[name][0], name, 0, work / f"umap-{name}.parquet")
        timings[f"umap {name}"] = time.perf_counter() - t0
    total = time.perf_counter() - t_all
    print("\n| step | wall time (s) |\n|---|---|")
    for k, v in timings.items():
        print(f"| {k} | {v:.0f} |")
    print(f"| **total, one job after another** | **{total:.0f}** |")


if __name__ == "__main__":
    main()
