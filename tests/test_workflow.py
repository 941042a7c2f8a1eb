"""End to end: the real Snakefile on the tiny config, as a user runs it."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from manga_ssl.io import read_parquet_units
from manga_ssl.preprocessing import CATALOGUE_UNITS, CHANNELS

ROOT = Path(__file__).resolve().parents[1]
SNAKEMAKE = Path(sys.executable).parent / "snakemake"
REAL = ROOT.parent / "shared" / "data" / "real"

pytestmark = pytest.mark.workflow


def run_snakemake(workdir: Path, *args):
    # targets first: --configfile takes every word after it
    cmd = [str(SNAKEMAKE), *args, "--snakefile", str(ROOT / "Snakefile"), "--directory", str(workdir),
           "--cores", "2", "--configfile", str(workdir / "config.yaml")]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=workdir)


def planned_jobs(output: str) -> set:
    """Rule names in the 'Job stats' table of a dry run."""
    lines = output[output.index("Job stats:"):].splitlines()[3:]
    names = set()
    for line in lines:
        if not line.strip() or line.startswith("total"):
            break
        names.add(line.split()[0])
    return names


def make_workdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    shutil.copytree(ROOT / "config", path / "config")  # the Snakefile's default configfile
    cfg = yaml.safe_load((ROOT / "tests" / "config" / "tiny.yaml").read_text())
    cfg["validation"] = {"real_catalogues": str(REAL)}
    (path / "config.yaml").write_text(yaml.safe_dump(cfg))
    return path


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    work = make_workdir(tmp_path_factory.mktemp("tiny"))
    res = run_snakemake(work)
    assert res.returncode == 0, res.stderr[-4000:]
    return work


def test_tensors_have_the_paper_shapes(tiny_run):
    cat = pd.read_parquet(tiny_run / "results/tiny/preprocess/catalogue.parquet")
    for norm in ("relative", "individual"):
        with np.load(tiny_run / f"results/tiny/tensors/{norm}.npz") as t:
            n = len(t["plateifu"])
            assert n == len(cat) and n >= 20
            for key in ("maps", "sigma", "model_variation"):
                assert t[key].shape == (n, 32, 32, 5) and t[key].dtype == np.float32, key
                assert np.isfinite(t[key]).all()
            assert tuple(t["channels"]) == CHANNELS
            assert list(t["plateifu"]) == list(cat["plateifu"])
            assert 0 <= t["maps"].min() and t["maps"].max() <= 1
            # the input maps are not all empty: each galaxy has signal in every channel
            assert np.all((t["maps"] > 0).reshape(n, -1, 5).any(axis=1))


def test_catalogue_columns_and_units(tiny_run):
    path = tiny_run / "results/tiny/preprocess/catalogue.parquet"
    cat = pd.read_parquet(path)
    assert list(cat.columns) == list(CATALOGUE_UNITS)
    units = read_parquet_units(path)
    assert units["re_kpc"] == "kpc" and "km/s" in units["sigma_cen"]
    assert cat["plateifu"].is_unique
    assert cat["n_fibres"].isin([19, 37, 61, 91, 127]).all()
    assert cat["n_zero_pixels"].between(0, 1024).all()
    assert cat[["lambda_re", "re_kpc", "z", "log_mass"]].notna().mean().min() > 0.9


def test_every_rule_logs_and_benchmarks(tiny_run):
    for rule in ("mock_survey", "extract_maps", "normalise_relative", "normalise_individual", "measurements_vs_truth",
                 "table1", "cluster_overlaps", "figures/fig3_physical_planes", "kmeans/simclr-relative-all"):
        assert (tiny_run / f"logs/tiny/{rule}.log").exists(), rule
        assert (tiny_run / f"benchmarks/tiny/{rule}.tsv").exists(), rule
    assert "preprocessed" in (tiny_run / "logs/tiny/extract_maps.log").read_text()
    rejected = pd.read_csv(tiny_run / "results/tiny/preprocess/rejected.csv")
    assert list(rejected.columns) == ["plateifu", "file", "reason"]


def test_simclr_replicas_and_baselines(tiny_run):
    cat = pd.read_parquet(tiny_run / "results/tiny/preprocess/catalogue.parquet")
    for norm in ("relative", "individual"):
        for seed in (0, 1):
            run = tiny_run / f"results/tiny/simclr/{norm}-all/seed{seed}"
            history = pd.read_csv(run / "history.csv")
            assert history["epoch"].tolist() == [1, 2] and np.isfinite(history["loss"]).all()
            for name in ("encoder.keras", "projection_head.keras", "loss.png", "loss.pdf"):
                assert (run / name).stat().st_size > 0, name
            assert (tiny_run / f"logs/tiny/train_simclr/{norm}-all-seed{seed}.log").exists()
            assert (tiny_run / f"benchmarks/tiny/train_simclr/{norm}-all-seed{seed}.tsv").exists()
            h = pd.read_parquet(tiny_run / f"results/tiny/embeddings/simclr-{norm}-all-seed{seed}.parquet")
            assert list(h["plateifu"]) == list(cat["plateifu"])
            assert h.shape[1] == 1 + 8 and h.columns[1] == "h_0000"  # h is the last convolution's width
            assert np.isfinite(h.iloc[:, 1:].to_numpy()).all()
    # a finished run leaves no checkpoint behind
    assert not list((tiny_run / "results/tiny").glob("checkpoints/*.npz"))
    a = pd.read_parquet(tiny_run / "results/tiny/embeddings/simclr-relative-all-seed0.parquet")
    b = pd.read_parquet(tiny_run / "results/tiny/embeddings/simclr-relative-all-seed1.parquet")
    assert not np.allclose(a.iloc[:, 1:], b.iloc[:, 1:])  # replicas differ
    pca = pd.read_parquet(tiny_run / "results/tiny/embeddings/pca1024-relative.parquet")
    assert pca.shape == (len(cat), 1 + len(cat))  # components limited by the number of galaxies
    pca10 = pd.read_parquet(tiny_run / "results/tiny/embeddings/pca10-relative.parquet")
    assert pca10.shape == (len(cat), 11)
    assert np.allclose(pca10.iloc[:, 1:].std(ddof=0), 1, atol=1e-4)


def test_analysis_tables(tiny_run):
    res = tiny_run / "results/tiny"
    table1 = pd.read_csv(res / "tables/table1.csv")
    names = set(table1["representation"])
    assert names == {"simclr-relative-all", "simclr-individual-all", "simclr-relative-no_vband",
                     "simclr-individual-no_vband", "simclr-relative-vband_kinematics",
                     "pca1024-relative", "pca10-relative"}
    simclr = table1[table1["representation"] == "simclr-relative-all"]
    assert simclr["k"].tolist() == [2, 3, 4]
    assert simclr["agreement"].between(0, 100).all()
    md = (res / "tables/table1.md").read_text()
    assert "% Agree" in md and "Acc_max Non-phys" in md and "Acc_mean Phys" in md
    assert (res / "tables/table1.tex").read_text().startswith("\\begin{table}")
    labels = pd.read_parquet(res / "clusters/simclr-relative-all/labels.parquet")
    assert set(labels["replica"]) == {0, 1} and set(labels["kmeans_seed"]) == {0, 1, 2}
    n = len(pd.read_parquet(res / "preprocess/catalogue.parquet"))
    assert len(labels) == n * 3 * 2 * 3  # galaxies x k x replicas x K-means seeds
    t2 = pd.read_csv(res / "tables/table2-relative.csv")
    assert t2["cluster"].tolist() == [1, 2, 3]
    overlaps = pd.read_csv(res / "tables/overlaps.csv")
    fig7 = overlaps[(overlaps["a"] == "simclr-relative-all") & (overlaps["b"] == "simclr-individual-all")]
    assert np.allclose(fig7.groupby("cluster_a")["overlap"].sum(), 100)
    assert "simclr-relative-no_vband" in set(overlaps["b"])
    for name in ("simclr-relative-all", "simclr-individual-all", "pca1024-relative"):
        umap = pd.read_parquet(res / f"umap/{name}.parquet")
        assert len(umap) == n and np.isfinite(umap[["umap_x", "umap_y"]].to_numpy()).all()
    truth = pd.read_csv(res / "validation/representations_vs_truth.csv")
    assert set(truth["representation"]) == {"simclr-relative-all", "pca1024-relative", "pca10-relative"}
    assert truth["ari"].between(-1, 1).all()


FIGURES = ["fig1_augmentations", "fig2_umap_pca_vs_simclr", "fig3_physical_planes", "fig4_ttype",
           "fig5_umap_normalisations", "fig6_centroid_examples", "fig7_overlap", "fig8_ttype_appendix",
           "fig9_cluster_properties", "loss_curves", "division_performance"]


def test_every_figure_and_the_report(tiny_run, tmp_path):
    for name in FIGURES:
        pdf = tiny_run / f"results/tiny/figures/{name}.pdf"
        png = tiny_run / f"results/tiny/figures/{name}.png"
        assert pdf.read_bytes()[:4] == b"%PDF" and png.read_bytes()[:4] == b"\x89PNG", name
        assert png.stat().st_size > 10_000, name
    bench = pd.read_csv(tiny_run / "results/tiny/report/benchmarks.csv")
    assert {"train_simclr", "kmeans", "fig3_physical_planes"} <= set(bench["rule"])
    report = tmp_path / "report.html"
    res = run_snakemake(tiny_run, "--report", str(report))
    assert res.returncode == 0, res.stderr[-3000:]
    html = report.read_text()
    assert "Largest accepted k" in html and "Fraction of early types" in html
    for name in FIGURES:
        assert f"{name}.png" in html, name


def test_figure_change_replots_only_that_figure(tiny_run):
    script = ROOT / "workflow/scripts/fig4_ttype.py"
    before, stat = script.read_text(), script.stat()
    try:
        script.write_text(before + "\n# changed\n")
        res = run_snakemake(tiny_run, "--dry-run")
        out = res.stdout + res.stderr
        assert res.returncode == 0, out[-3000:]
        jobs = planned_jobs(out)
        assert jobs == {"fig4_ttype", "run_summary", "all"}, jobs
    finally:  # Snakemake compares a script's mtime, so restore it too
        script.write_text(before)
        os.utime(script, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def test_validation_outputs(tiny_run):
    table = pd.read_csv(tiny_run / "results/tiny/validation/measurements_vs_truth.csv").set_index("parameter")
    assert table.loc["lambda_re", "pearson_r"] > 0.8
    if REAL.exists():
        md = (tiny_run / "results/tiny/validation/mock_vs_real.md").read_text()
        assert "| z |" in md and "127-fibre" in md


def test_analysis_change_reruns_only_the_analysis(tiny_run, tmp_path):
    cfg = yaml.safe_load((tiny_run / "config.yaml").read_text())
    cfg["analysis"]["k_values"] = [2, 3]
    changed = tmp_path / "changed.yaml"
    changed.write_text(yaml.safe_dump(cfg))
    cmd = [str(SNAKEMAKE), "--dry-run", "--snakefile", str(ROOT / "Snakefile"), "--directory", str(tiny_run),
           "--cores", "2", "--configfile", str(changed)]
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=tiny_run)
    assert out.returncode == 0, out.stderr[-3000:]
    planned = planned_jobs(out.stdout + out.stderr)
    assert {"kmeans", "bias_regression", "table1", "fig3_physical_planes"} <= planned
    assert not planned & {"train_simclr", "embed_simclr", "extract_maps", "pca_baselines", "umap"}, planned


def test_nothing_to_do_on_rerun(tiny_run):
    res = run_snakemake(tiny_run, "--dry-run")
    assert res.returncode == 0
    assert "Nothing to be done" in res.stdout + res.stderr


def test_same_seed_identical_tensors(tiny_run, tmp_path):
    again = make_workdir(tmp_path / "again")
    res = run_snakemake(again, "results/tiny/tensors/relative.npz")
    assert res.returncode == 0, res.stderr[-4000:]
    with np.load(tiny_run / "results/tiny/tensors/relative.npz") as a, \
            np.load(again / "results/tiny/tensors/relative.npz") as b:
        for key in ("maps", "sigma", "model_variation", "plateifu"):
            assert np.array_equal(a[key], b[key]), key


def test_bad_config_is_refused_with_the_key_named(tmp_path):
    work = make_workdir(tmp_path / "bad")
    cfg = yaml.safe_load((work / "config.yaml").read_text())
    cfg["preprocessing"]["sn_minimum"] = 3
    (work / "config.yaml").write_text(yaml.safe_dump(cfg))
    res = run_snakemake(work, "--dry-run")
    assert res.returncode != 0
    assert "preprocessing.sn_minimum" in res.stdout + res.stderr


def test_lint_is_clean():
    res = subprocess.run([str(SNAKEMAKE), "--lint", "--configfile", "tests/config/tiny.yaml"],
                         capture_output=True, text=True, cwd=ROOT)
    out = res.stdout + res.stderr
    assert res.returncode == 0 and "Lints for" not in out, out[-3000:]
