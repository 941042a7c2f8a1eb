"""Wall time of the whole analysis stage of the paper config on this machine (docs/benchmarks.md).

    .venv/bin/python bench/analysis_speed.py [--cores 2] [--replicas 10] [--galaxies 9507]

Writes synthetic inputs with the paper's shapes into a scratch run folder, then
runs the workflow's own analysis rules on them with Snakemake, as a user's run
would after training: K-means (k = 2..15 for the five-map SimCLR
representations, the chosen k for the appendix's channel sets, 2..5 for PCA-1024
and PCA-10, ten K-means seeds), agreement, bias regression, Tables 1 and 2, the
overlaps, the truth table and a UMAP of every representation.

The synthetic representations: for each of the paper config's five SimCLR
variants ten replicas (one of each appendix channel set, simclr.channel_set_replicas,
since docs/science.md section 37) of 9507 x 1024 (h = ELU of a clustered 32-d latent through
a random linear map, plus noise: a spectrum that decays like a trained
encoder's), the four PCA tables, a catalogue and a truth table. Only the
analysis rules are allowed to run (``--allowed-rules``), so nothing upstream is
made. Prints the wall time and each rule's summed job time from the
per-rule benchmark files.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from manga_ssl.analysis import bias
from manga_ssl.core.config import channel_set_seeds
from manga_ssl.ssl.representations import write_representation

REPO = Path(__file__).resolve().parents[1]
RUN = "bench-analysis"
ANALYSIS_RULES = [
    "kmeans",
    "umap",
    "bias_regression",
    "table1",
    "table2",
    "cluster_overlaps",
    "representations_vs_truth",
]


def synthetic_h(n, dims, latent, seed):
    rng = np.random.default_rng(seed)
    w = rng.normal(size=(latent.shape[1], dims)) / np.sqrt(latent.shape[1])
    h = latent @ w
    h = np.where(h > 0, h, np.expm1(np.minimum(h, 0))) + 0.05 * rng.normal(size=(n, dims))
    return h.astype(np.float32)


def synthetic_survey(n, seed=0):
    """(plateifu, clustered latent (n, 32), catalogue, truth) of three populations."""
    rng = np.random.default_rng(seed)
    plateifu = np.array([f"{7000 + i // 100}-{1000 + i % 100}" for i in range(n)])
    population = rng.choice(3, n, p=[0.5, 0.32, 0.18])
    latent = rng.normal(size=(n, 32)) + 3 * np.eye(3, 32)[population]
    cat = pd.DataFrame({"plateifu": plateifu})
    for col in [
        *bias.NON_PHYSICAL,
        "sigma_cen",
        "re_kpc",
        "age_lw_re",
        "lambda_re",
        "log_sfr",
        "zh_lw_re",
        "grad_zh_lw",
        "grad_age_lw",
        "ttype",
        "log_mass",
        "ellipticity",
    ]:
        cat[col] = rng.normal(size=n) + population
    cat["sigma_cen"], cat["re_kpc"] = np.exp(cat["sigma_cen"]), np.exp(cat["re_kpc"])
    truth = pd.DataFrame({"plateifu": plateifu, "population": population})
    for col in (
        "log_mass",
        "log_sfr",
        "re_kpc",
        "sigma_cen_true",
        "lambda_re_true",
        "age_re",
        "zh_re",
        "grad_age",
        "grad_zh",
    ):
        truth[col] = np.abs(rng.normal(size=n) + population) + 0.1
    return plateifu, latent, cat, truth


def write_inputs(work: Path, config: dict, n: int, dims: int) -> None:
    results, mock = work / "results" / RUN, work / "resources" / RUN / "mock"
    (results / "preprocess").mkdir(parents=True, exist_ok=True)
    mock.mkdir(parents=True, exist_ok=True)
    plateifu, latent, cat, truth = synthetic_survey(n)
    cat.to_parquet(results / "preprocess" / "catalogue.parquet")
    truth.to_parquet(mock / "truth.parquet")
    embeddings = results / "embeddings"
    embeddings.mkdir(exist_ok=True)
    seeds = config["simclr"]["seeds"]
    per_set = channel_set_seeds(seeds, config["simclr"]["channel_set_replicas"])
    for i, v in enumerate(config["simclr"]["variants"]):
        for seed in seeds if v["channels"] == "all" else per_set:  # as the workflow trains them
            name = f"simclr-{v['normalisation']}-{v['channels']}-seed{seed}"
            write_representation(
                embeddings / f"{name}.parquet",
                plateifu,
                synthetic_h(n, dims, latent, 1000 * i + seed),
                "h",
                {"kind": "simclr", "seed": seed},
            )
    flat = latent @ np.random.default_rng(1).normal(size=(32, 5120))
    for norm in ("relative", "individual"):
        write_representation(
            embeddings / f"pca1024-{norm}.parquet", plateifu, flat[:, :1024], "pc", {"kind": "pca1024"}
        )
        pca10 = flat[:, :10]
        write_representation(
            embeddings / f"pca10-{norm}.parquet",
            plateifu,
            (pca10 - pca10.mean(0)) / pca10.std(0),
            "pc",
            {"kind": "pca10"},
        )


def targets(config: dict) -> list[str]:
    results = f"results/{RUN}"
    names = [f"simclr-{v['normalisation']}-{v['channels']}" for v in config["simclr"]["variants"]]
    names += [f"{p}-{norm}" for norm in ("relative", "individual") for p in ("pca1024", "pca10")]
    out = [
        f"{results}/tables/table1.md",
        f"{results}/tables/table2-relative.md",
        f"{results}/tables/table2-individual.md",
        f"{results}/tables/overlaps.csv",
        f"{results}/validation/representations_vs_truth.md",
    ]
    return out + [f"{results}/umap/{name}.parquet" for name in names]


def rule_times(work: Path) -> pd.DataFrame:
    rows = []
    for tsv in sorted((work / "benchmarks" / RUN).rglob("*.tsv")):
        parts = tsv.relative_to(work / "benchmarks" / RUN).parts  # rule/<wildcards>.tsv or rule[-<wildcards>].tsv
        rule = parts[0] if len(parts) > 1 else parts[0].removesuffix(".tsv").split("-")[0]
        rows.append({"rule": rule, "s": float(pd.read_csv(tsv, sep="\t")["s"].iloc[0])})
    frame = pd.DataFrame(rows)
    return (
        frame.groupby("rule")["s"].agg(jobs="count", total="sum", longest="max").sort_values("total", ascending=False)
    )


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--galaxies", type=int, default=9507)
    p.add_argument("--replicas", type=int, default=10)
    p.add_argument("--dims", type=int, default=1024)
    p.add_argument("--cores", type=int, default=2)
    p.add_argument("--workdir", default="/tmp/manga-ssl-bench-analysis")
    p.add_argument("--set", nargs="*", default=[], help="extra snakemake --config KEY=VALUE overrides")
    args = p.parse_args()
    work = Path(args.workdir)
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    config.update(run_name=RUN, dataset="mock")
    config["simclr"]["seeds"] = list(range(args.replicas))
    config["survey"]["n_galaxies"] = args.galaxies
    config["validation"] = {"real_catalogues": str(work / "no-real-catalogues")}
    stamp = work / "inputs.yaml"
    wanted = {"galaxies": args.galaxies, "replicas": args.replicas, "dims": args.dims}
    if not stamp.exists() or yaml.safe_load(stamp.read_text()) != wanted:
        shutil.rmtree(work, ignore_errors=True)
        t0 = time.perf_counter()
        write_inputs(work, config, args.galaxies, args.dims)
        stamp.write_text(yaml.safe_dump(wanted))
        print(f"synthetic inputs written in {time.perf_counter() - t0:.0f} s (not counted)", flush=True)
    for folder in (
        "results/{run}/clusters",
        "results/{run}/bias",
        "results/{run}/tables",
        "results/{run}/umap",
        "results/{run}/validation",
        "benchmarks/{run}",
        "logs/{run}",
        ".snakemake",
    ):
        shutil.rmtree(work / folder.format(run=RUN), ignore_errors=True)
    (work / "config").mkdir(exist_ok=True)
    (work / "config" / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))

    cmd = [
        sys.executable,
        "-m",
        "snakemake",
        "--snakefile",
        str(REPO / "Snakefile"),
        "--directory",
        str(work),
        "--cores",
        str(args.cores),
        "--allowed-rules",
        *ANALYSIS_RULES,
        "--quiet",
        "progress",
        *(["--config", *args.set] if args.set else []),
        "--",
        *targets(config),
    ]
    t0 = time.perf_counter()
    with open(work / "snakemake.log", "w") as log:
        done = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT)
    wall = time.perf_counter() - t0
    if done.returncode:
        sys.exit(f"snakemake failed; see {work / 'snakemake.log'}")
    times = rule_times(work)
    print(f"\n{args.galaxies} galaxies x {args.dims} dims, {args.replicas} replicas, snakemake --cores {args.cores}\n")
    print("| rule | jobs | summed job time (s) | longest job (s) |\n|---|---|---|---|")
    for rule, row in times.iterrows():
        print(f"| {rule} | {row.jobs} | {row.total:.0f} | {row.longest:.0f} |")
    print(f"| **whole analysis, wall time** | | **{wall:.0f}** | |")


if __name__ == "__main__":
    main()
