"""End to end: the real Snakefile on the tiny config, as a user runs it."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from manga_ssl.analysis.probes import INSTRUMENTAL
from manga_ssl.core.files import read_parquet_units
from manga_ssl.mock.validation import PHYSICS_ROW
from manga_ssl.preprocessing.maps import CATALOGUE_UNITS, CHANNELS

ROOT = Path(__file__).resolve().parents[1]
SNAKEMAKE = Path(sys.executable).parent / "snakemake"
REAL = ROOT.parent / "shared" / "data" / "real"

pytestmark = pytest.mark.workflow


def run_snakemake(workdir: Path, *args):
    # targets first: --configfile takes every word after it
    cmd = [
        str(SNAKEMAKE),
        *args,
        "--snakefile",
        str(ROOT / "Snakefile"),
        "--directory",
        str(workdir),
        "--cores",
        "2",
        "--configfile",
        str(workdir / "config.yaml"),
    ]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=workdir)


def planned_jobs(output: str) -> set:
    """Rule names in the 'Job stats' table of a dry run."""
    lines = output[output.index("Job stats:") :].splitlines()[3:]
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
    (work / "console.txt").write_text(res.stdout + res.stderr)
    return work


@pytest.fixture(scope="module")
def dr17_run(tmp_path_factory):
    """The workflow on dataset manga-dr17, downloading from a local SAS that injects faults."""
    from manga_ssl.mock.survey import MockSurveySpec, generate_mock_survey
    from manga_ssl.survey.datasets import Dr17Archive
    from manga_ssl.survey.formats import read_drpall

    from .sas_server import SAS, SurveyServer, publish_mock_survey

    work = make_workdir(tmp_path_factory.mktemp("dr17"))
    published = work / "published"
    generate_mock_survey(MockSurveySpec(n_galaxies=18, seed=11), published)
    plateifus = read_drpall(published / "drpall-v3_1_1.fits")["plateifu"].tolist()
    cfg = yaml.safe_load((work / "config.yaml").read_text())
    cfg["simclr"]["variants"] = [{"normalisation": "relative", "channels": "all"}]
    with SurveyServer() as server:
        publish_mock_survey(
            published,
            server,
            [{"PLATEIFU": "9999-1901", "MANGAID": "1-999", "MNGTARG1": 0}],
            dapall_not_done=[plateifus[0]],
        )
        archive = Dr17Archive(server.url + SAS)
        path = lambda url: url.removeprefix(server.url)  # noqa: E731
        faults = {
            path(archive.catalogues["drpall"]): ["500"],
            path(archive.pipe3d_cube(plateifus[1])): ["404"],
            path(archive.pipe3d_cube(plateifus[2])): ["drop"],
            path(archive.dap_maps(plateifus[3])): ["truncated"],
            path(archive.dap_maps(plateifus[4])): ["slow"],
        }
        server.faults.update({k: list(v) for k, v in faults.items()})
        cfg.update(
            run_name="dr17",
            dataset="manga-dr17",
            download={
                "sas_url": server.url + SAS,
                "directory": "dr17",
                "max_parallel": 3,
                "retries": 4,
                "timeout": 1.0,
                "backoff": 0.05,
            },
        )
        (work / "config.yaml").write_text(yaml.safe_dump(cfg))
        res = run_snakemake(work)
        requests = list(server.requests)
    assert res.returncode == 0, res.stderr[-4000:]
    return work, plateifus, archive, faults, requests


def test_dr17_workflow_selects_downloads_and_lists_what_it_could_not_use(dr17_run):
    work, plateifus, archive, faults, requests = dr17_run
    results = work / "results" / "dr17"
    selection = pd.read_csv(results / "sample/selection.csv", dtype={"plateifu": str}).set_index("plateifu")
    assert selection.loc["9999-1901", "reason"].startswith("not a main-sample target")
    assert selection.loc[plateifus[0], "reason"].startswith("no completed DAP analysis")
    assert selection["kept"].sum() == len(plateifus) - 1
    assert "**17 kept**" in (results / "sample/summary.md").read_text()
    # every injected fault was met, and only the 404 galaxy is missing
    asked = [p for p, _ in requests]
    missing = next(p for p in faults if p.endswith(f"manga-{plateifus[1]}.Pipe3D.cube.fits.gz"))
    assert asked.count(missing) == 1  # a 404 is not retried
    assert all(asked.count(p) >= 2 for p in faults if p != missing)
    rejected = pd.read_csv(results / "preprocess/rejected.csv")
    assert rejected["plateifu"].tolist() == [plateifus[1]]
    assert rejected.loc[0, "file"].endswith(f"manga-{plateifus[1]}.Pipe3D.cube.fits.gz")
    assert "HTTP 404" in rejected.loc[0, "reason"]
    catalogue = pd.read_parquet(results / "preprocess/catalogue.parquet")
    assert sorted(catalogue["plateifu"]) == sorted(plateifus[2:])
    # FIREFLY came by range requests only; the tensors and Table 1 exist
    firefly = [r for p, r in requests if "firefly" in p]
    assert firefly and all(r and r.startswith("bytes=") for r in firefly)
    with np.load(results / "tensors/relative.npz") as t:
        assert t["maps"].shape == (len(catalogue), 32, 32, 5)
        assert (t["model_variation"] > 0).reshape(len(catalogue), -1, 5).any(axis=1).all()
    assert (results / "tables/table1.md").exists() and (results / "explorer/explorer.html").exists()
    assert not list((work / "dr17").rglob("*.part"))


def test_dr17_rerun_plans_nothing_so_needs_no_server_and_the_report_shows_the_sample(dr17_run, tmp_path):
    work = dr17_run[0]
    res = run_snakemake(work)  # the server is gone: everything is already there and valid
    assert res.returncode == 0, res.stderr[-3000:]
    assert "Nothing to be done" in res.stdout + res.stderr
    res = run_snakemake(work, "--report", str(tmp_path / "report.html"))
    assert res.returncode == 0, res.stderr[-3000:]
    html = (tmp_path / "report.html").read_text()
    assert "selection.csv" in html and "first reason it was dropped" in html


def test_dr17_without_a_catalogue_stops_naming_its_url(tmp_path):
    from .sas_server import SAS, SurveyServer

    work = make_workdir(tmp_path / "nocat")
    cfg = yaml.safe_load((work / "config.yaml").read_text())
    with SurveyServer() as server:  # serves nothing: every catalogue is a 404
        cfg.update(
            run_name="nocat",
            dataset="manga-dr17",
            download={"sas_url": server.url + SAS, "directory": "dr17", "retries": 1, "backoff": 0.01},
        )
        (work / "config.yaml").write_text(yaml.safe_dump(cfg))
        res = run_snakemake(work, "--keep-going")
    assert res.returncode != 0
    assert "Error in rule download_catalogue" in res.stdout + res.stderr
    log = (work / "logs/nocat/download_catalogue_drpall-v3_1_1.fits.log").read_text()
    assert f"{server.url}{SAS}/manga/spectro/redux/v3_1_1/drpall-v3_1_1.fits: HTTP 404" in log
    assert not (work / "dr17").exists() or not list((work / "dr17").rglob("*.fits"))
    assert not (work / "results/nocat/preprocess").exists()


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


def test_catalogue_opens_with_astropy_with_the_documented_columns_and_units(tiny_run):
    from astropy.io import fits
    from astropy.table import Table
    from astropy.units import UnitsWarning

    from manga_ssl.catalogue.vac import SURVEY_COLUMNS, config_digest

    res = tiny_run / "results/tiny"
    survey = pd.read_parquet(res / "preprocess/catalogue.parquet")
    path = res / "catalogue/manga-ssl-tiny.fits"
    with pytest.warns(UnitsWarning):  # log(yr) etc.: the FITS standard's syntax, which astropy does not parse
        table = Table.read(path, hdu="CATALOGUE")
    assert len(table) == len(survey) == 24 and list(table["plateifu"]) == list(survey["plateifu"])
    assert str(table["re_kpc"].unit) == "kpc" and str(table["sigma_cen"].unit) == "km / s"
    assert str(table["log_mass"].unit) == "log(solMass)" and table["z"].unit is None
    # every column: documented in docs/catalogue-datamodel.md (representation columns as patterns) and described
    documented = re.findall(r"^\| `([a-z0-9_<>]+)` \|", (ROOT / "docs/catalogue-datamodel.md").read_text(), re.M)
    patterns = [re.compile(re.escape(d).replace("<prefix>", "[a-z0-9_]+").replace("<k>", r"\d+")) for d in documented]
    with fits.open(path, checksum=True) as hdul:
        header, cat = hdul[0].header, hdul["CATALOGUE"].header
        for i, name in enumerate(table.colnames, 1):
            assert any(p.fullmatch(name) for p in patterns), name
            assert len(cat[f"TCOMM{i}"]) > 10, name
        assert header["NGALAXY"] == 24 and header["PKGVERS"] and header["DATASET"] == "mock"
        assert header["KNINIT"] == 10  # the paper's K-means: ten starts per seed
        # the digest is that of the configuration the run used (as run_summary wrote it)
        assert header["CFGDIGST"] == config_digest(yaml.safe_load((res / "report/config.yaml").read_text()))
        names = [header[f"REPR{i}"] for i in range(1, header["NREPR"] + 1)]
    assert set(SURVEY_COLUMNS) <= set(documented)
    assert len(names) == 11 and len(table.colnames) == 89
    # the representations file: every SimCLR replica's h, as embed_simclr wrote it
    with fits.open(res / "catalogue/manga-ssl-tiny-representations.fits", checksum=True) as hdul:
        assert len(hdul) - 1 == 5 * 2 + 3  # five five-map variants x 2 seeds, three channel sets x 1
        for hdu in hdul[1:]:
            name, seed = hdu.header["REPRNAME"], hdu.header["SEED"]
            assert hdu.header["AUGVIEWS"] == (2 if name.endswith("+footprint_views") else 0), name
            erased = name.endswith("+footprint_erased")
            assert hdu.header["ERASED"] == ("n_fibres,re_arcsec" if erased else "")
            assert (hdu.header["ERASECAT"], hdu.header["ERASEINT"]) == (("n_fibres" if erased else ""), False)
            h = pd.read_parquet(res / f"embeddings/{name}-seed{seed}.parquet")
            assert list(hdu.data["plateifu"]) == list(h["plateifu"])
            assert np.array_equal(hdu.data["h"], h.drop(columns="plateifu").to_numpy(np.float32)), hdu.name


def test_run_api_returns_the_workflows_own_numbers(tiny_run):
    from manga_ssl.analysis.clustering import cluster_name, prepare
    from manga_ssl.analysis.labels import consensus_division
    from manga_ssl.catalogue.run import Run, RunError
    from manga_ssl.ssl.representations import read_representation

    res = tiny_run / "results/tiny"
    run = Run(res)
    cat, table = run.catalogue(), run.catalogue(astropy=True)
    assert len(cat) == len(table) == 24 and list(cat.columns) == table.colnames
    assert np.allclose(cat["re_kpc"], table["re_kpc"])
    nn = "simclr_relative_all_nn_plateifu"
    assert list(table[nn][0]) == list(cat[nn][0]) and isinstance(table[nn][0][0], str)
    divisions = json.loads((res / "tables/divisions.json").read_text())
    for name, norm in (("simclr-relative-all", "relative"), ("simclr-individual-all", "individual")):
        k = divisions[norm]["k"]
        assert run.division_studied(name) == k and k in run.divisions(name)
        ids, labels = consensus_division(res / f"clusters/{name}/labels.parquet", k)
        clusters = run.clusters(name).set_index("plateifu").loc[ids]
        assert clusters["cluster"].tolist() == [cluster_name(int(c), norm == "individual") for c in labels]
        assert clusters["consensus"].isin([0.5, 1.0]).all()  # two replicas
        umap = pd.read_parquet(res / f"umap/{name}.parquet")
        assert np.array_equal(
            cat.set_index("plateifu").loc[umap["plateifu"], f"{name.replace('-', '_')}_umap_x"], umap["umap_x"]
        )
        for seed in (0, 1):
            plateifu, h = run.representation(name, seed)
            table = pd.read_parquet(res / f"embeddings/{name}-seed{seed}.parquet")
            assert list(plateifu) == list(table["plateifu"])
            assert np.array_equal(h, table.drop(columns="plateifu").to_numpy(np.float32))
    # a galaxy's neighbours: nearest first, at the distances of the L2-normalised h
    plateifu, h = run.representation("simclr-relative-all", 0)
    x = dict(zip(plateifu, prepare(h, "simclr")))
    near = run.neighbours(plateifu[0], "simclr-relative-all")
    assert len(near) == 10 and plateifu[0] not in set(near["plateifu"])
    assert np.allclose(near["distance"], [np.linalg.norm(x[plateifu[0]] - x[p]) for p in near["plateifu"]], atol=1e-5)
    assert (np.diff(near["distance"]) >= 0).all()
    others = set(plateifu) - set(near["plateifu"]) - {plateifu[0]}
    assert min(np.linalg.norm(x[plateifu[0]] - x[p]) for p in others) >= near["distance"].max() - 1e-6
    with pytest.raises(RunError, match="no representation 'simclr-relative-none'"):
        run.clusters("simclr-relative-none")
    # the footprint method of the tiny config averages h over rotations and flips; the paper's does not
    assert run.embedding_settings("simclr-relative-all+footprint") == {
        "dihedral_average": True,
        "central_aperture": 5,
        "augmented_views": 0,
    }
    assert run.embedding_settings("simclr-relative-all") == {
        "dihedral_average": False,
        "central_aperture": 0,
        "augmented_views": 0,
    }
    meta = read_representation(res / "embeddings/simclr-relative-all+footprint-seed0.parquet")[2]
    assert meta["dihedral_average"] is True and meta["central_aperture"] == 5
    # footprint_views: the same encoders, h averaged over two augmented copies of each galaxy
    # drawn as the footprint method trains (its smaller bundles and further-away views)
    assert run.embedding_settings("simclr-relative-all+footprint_views")["augmented_views"] == 2
    plain_ids, plain, _ = read_representation(res / "embeddings/simclr-relative-all+footprint-seed0.parquet")
    ids, views, meta = read_representation(res / "embeddings/simclr-relative-all+footprint_views-seed0.parquet")
    assert meta["augmented_views"] == 2 and meta["encoder"].endswith("relative-all+footprint/seed0/encoder.keras")
    assert list(ids) == list(plain_ids) and views.shape == plain.shape and np.isfinite(views).all()
    assert not np.allclose(views, plain, atol=1e-3)  # the copies are not the maps as observed
    # footprint_erased embeds the footprint method's encoders (it trains nothing) and erases
    # the bundle size and apparent size beyond what the catalogue's mass explains
    from manga_ssl.ssl.erasure import instrument_concept

    assert not (res / "simclr/relative-all+footprint_erased").exists()
    assert run.erased("simclr-relative-all+footprint_erased") == ["n_fibres", "re_arcsec"]
    assert run.erased("simclr-relative-all+footprint") == []
    assert run.encoder_path("simclr-relative-all+footprint_erased", 1) == run.encoder_path(
        "simclr-relative-all+footprint", 1
    )
    ids, erased, meta = read_representation(res / "embeddings/simclr-relative-all+footprint_erased-seed0.parquet")
    assert meta["encoder"].endswith("relative-all+footprint/seed0/encoder.keras") and meta["dihedral_average"] is True
    cat = pd.read_parquet(res / "preprocess/catalogue.parquet").set_index("plateifu").loc[ids].reset_index()
    concept = instrument_concept(cat, ["n_fibres", "re_arcsec"], ["log_mass"])
    plain = read_representation(res / "embeddings/simclr-relative-all+footprint-seed0.parquet")[1]
    covariance = lambda h: np.abs((h - h.mean(0)).T @ (concept - concept.mean(0))).max()  # noqa: E731
    assert covariance(erased) < 1e-3 * max(covariance(plain), 1e-3)


def test_placing_the_runs_own_galaxies_finds_each_itself_and_its_clusters(tiny_run, tmp_path):
    from astropy.table import Table

    from manga_ssl.survey.datasets import SurveyLayout

    res = tiny_run / "results/tiny"
    layout = SurveyLayout(tiny_run / "resources/tiny/mock")
    plateifus = pd.read_parquet(res / "preprocess/catalogue.parquet")["plateifu"].tolist()[:3]
    cubes = [layout.pipe3d_cube(p) for p in plateifus]
    corrupted = tmp_path / cubes[0].name.replace(plateifus[0], "9999-1901")
    corrupted.write_bytes(cubes[0].read_bytes()[:3000])
    out = tmp_path / "placed.fits"
    cmd = [sys.executable, "-m", "manga_ssl.catalogue.placement", str(res), str(corrupted), *map(str, cubes)]
    done = subprocess.run([*cmd, "-o", str(out)], capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"rejected\t{corrupted}: file is truncated" in done.stdout  # named, and the others went on
    # h averaged over augmented copies needs the model-variation maps, which a cube lacks: skipped, said why
    assert "simclr-relative-all+footprint_views: not placed (h averaged over augmented copies" in done.stderr
    rejected = Table.read(out, hdu="REJECTED")
    assert list(rejected["file"]) == [str(corrupted)]
    replicas = Table.read(out, hdu="REPLICAS")
    replicas.convert_bytestring_to_unicode()  # astropy leaves vector string columns as bytes
    divisions = json.loads((res / "tables/divisions.json").read_text())
    names = ["simclr-relative-all", "simclr-individual-all", "simclr-relative-no_vband"]
    names += ["simclr-individual-no_vband", "simclr-relative-vband_kinematics", "simclr-relative-all+footprint"]
    # the erased h: the footprint method's encoders, then the survey's own erasure (each
    # galaxy finds itself, at distance 0, only if both are applied as the run applied them)
    names += ["simclr-relative-all+footprint_erased"]
    # galaxies x replicas: two of each five-map representation, one of each channel set
    assert len(replicas) == 3 * (4 * 2 + 3 * 1)
    for name in names:
        letters = name.startswith("simclr-individual")
        k = divisions["individual" if letters else "relative"]["k"]
        labels = pd.read_parquet(res / f"clusters/{name}/labels.parquet")
        own = labels[(labels["k"] == k) & (labels["kmeans_seed"] == labels["kmeans_seed"].min())]
        for row in replicas[replicas["representation"] == name]:
            assert row["nn_plateifu"][0] == row["plateifu"] and row["nn_distance"][0] < 1e-4, (name, row["seed"])
            label = own[(own["replica"] == row["seed"]) & (own["plateifu"] == row["plateifu"])]["label"].item()
            assert row["cluster"] == ("ABCDEFGH"[label] if letters else str(label + 1)), (name, row["seed"])
    # the consensus over the replicas is the catalogue's
    cat = pd.read_parquet(res / "catalogue/manga-ssl-tiny.parquet").set_index("plateifu")
    placed = Table.read(out, hdu="PLACED")
    placed.convert_bytestring_to_unicode()
    assert len(placed) == 3 * len(names)
    for row in placed:
        k = divisions["individual" if "individual" in row["representation"] else "relative"]["k"]
        prefix = row["representation"].replace("-", "_").replace("+", "_")
        assert row["cluster"] == cat.loc[row["plateifu"], f"{prefix}_k{k}_cluster"]
        assert row["n_agree"] / row["n_replicas"] == pytest.approx(cat.loc[row["plateifu"], f"{prefix}_k{k}_consensus"])
    named = [*cmd[:4], *map(str, cubes), "-o", str(tmp_path / "views.fits"), "--representation"]
    done = subprocess.run([*named, "simclr-relative-all+footprint_views"], capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode != 0 and "simclr-relative-all+footprint_views: h is the mean over 2 augmented" in done.stderr


def test_every_rule_logs_and_benchmarks(tiny_run):
    for rule in (
        "mock_survey",
        "extract_maps",
        "normalise_relative",
        "normalise_individual",
        "measurements_vs_truth",
        "table1",
        "cluster_overlaps",
        "figures/fig3_physical_planes",
        "kmeans/simclr-relative-all",
        "embed_simclr/relative-all",
        "embed_simclr_channel_set/relative-no_vband",  # its own rule's files, in the benchmarks table too
        "catalogue",
        "catalogue_representations",
    ):
        assert (tiny_run / f"logs/tiny/{rule}.log").exists(), rule
        assert (tiny_run / f"benchmarks/tiny/{rule}.tsv").exists(), rule
    assert "preprocessed" in (tiny_run / "logs/tiny/extract_maps.log").read_text()
    rejected = pd.read_csv(tiny_run / "results/tiny/preprocess/rejected.csv")
    assert list(rejected.columns) == ["plateifu", "file", "reason"]


def test_every_script_opens_its_log_before_importing_anything_else():
    """What a library prints as it is imported (TensorFlow's C++ lines) goes to the rule's log."""
    import ast

    scripts = sorted((ROOT / "workflow/scripts").glob("*.py"))
    assert set(rule_scripts().values()) <= set(scripts)
    for script in scripts:
        first, second = ast.parse(script.read_text()).body[:2]
        assert isinstance(first, ast.ImportFrom) and first.module == "manga_ssl.core.runlog", script.name
        call = second.value if isinstance(second, ast.Expr | ast.Assign) else None
        assert isinstance(call, ast.Call) and ast.unparse(call) == "log_to(snakemake.log[0])", script.name


def test_the_console_holds_snakemakes_lines_not_the_libraries(tiny_run):
    console = (tiny_run / "console.txt").read_text()
    assert "Finished jobid" in console
    # absl's lines ("I0000 00:00:1796661964.30 7978 port.cc:153] oneDNN ...") and its banner
    assert not re.search(r"(?m)^[IWEF]\d{4} \d\d:\d\d:", console), console[-3000:]
    assert "absl::InitializeLog" not in console


def test_simclr_replicas_and_baselines(tiny_run):
    cat = pd.read_parquet(tiny_run / "results/tiny/preprocess/catalogue.parquet")
    for norm in ("relative", "individual"):
        for seed in (0, 1):
            run = tiny_run / f"results/tiny/simclr/{norm}-all/seed{seed}"
            history = pd.read_csv(run / "history.csv")
            assert history["epoch"].tolist() == [1, 2] and np.isfinite(history["loss"]).all()
            for name in ("encoder.keras", "projection_head.keras", "loss.png", "loss.pdf"):
                assert (run / name).stat().st_size > 0, name
            # every job runs TensorFlow's oneDNN kernels, on any CPU (workflow/rules/common.smk)
            assert "; oneDNN on" in (tiny_run / f"logs/tiny/train_simclr/{norm}-all-seed{seed}.log").read_text()
            assert (tiny_run / f"benchmarks/tiny/train_simclr/{norm}-all-seed{seed}.tsv").exists()
            h = pd.read_parquet(tiny_run / f"results/tiny/embeddings/simclr-{norm}-all-seed{seed}.parquet")
            assert list(h["plateifu"]) == list(cat["plateifu"])
            assert h.shape[1] == 1 + 8 and h.columns[1] == "h_0000"  # h is the last convolution's width
            assert np.isfinite(h.iloc[:, 1:].to_numpy()).all()
    # the appendix's channel sets: one model each, as the paper's (simclr.channel_set_replicas)
    for variant in ("relative-no_vband", "individual-no_vband", "relative-vband_kinematics"):
        assert (tiny_run / f"results/tiny/simclr/{variant}/seed0/encoder.keras").stat().st_size > 0
        assert not (tiny_run / f"results/tiny/simclr/{variant}/seed1").exists()
        h = pd.read_parquet(tiny_run / f"results/tiny/embeddings/simclr-{variant}-seed0.parquet")
        assert list(h["plateifu"]) == list(cat["plateifu"])
        assert not (tiny_run / f"results/tiny/embeddings/simclr-{variant}-seed1.parquet").exists()
    # the method beyond the paper trains in its own folder; the online probes are in every history
    footprint = pd.read_csv(tiny_run / "results/tiny/simclr/relative-all+footprint/seed0/history.csv")
    assert footprint["epoch"].tolist() == [1, 2]
    assert {"probe_r2_physical", "probe_r2_instrumental"} <= set(history.columns) & set(footprint.columns)
    # its negatives are conditioned on the bundle sizes of the catalogue (tests/config/tiny.yaml)
    log = (tiny_run / "logs/tiny/train_simclr/relative-all+footprint-seed0.log").read_text()
    strata = int(re.search(r"conditional negatives within \['n_fibres'\]: (\d+) strata", log).group(1))
    assert strata == cat["n_fibres"].nunique()
    h = pd.read_parquet(tiny_run / "results/tiny/embeddings/simclr-relative-all+footprint-seed1.parquet")
    assert list(h["plateifu"]) == list(cat["plateifu"])
    summary = pd.read_parquet(tiny_run / "results/tiny/embeddings/summary-relative.parquet")
    assert summary.shape == (len(cat), 1 + 10)
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
    assert names == {
        "simclr-relative-all",
        "simclr-individual-all",
        "simclr-relative-no_vband",
        "simclr-individual-no_vband",
        "simclr-relative-vband_kinematics",
        "simclr-relative-all+footprint",
        "simclr-relative-all+footprint_erased",
        "simclr-relative-all+footprint_views",
        "pca1024-relative",
        "pca10-relative",
        "summary-relative",
        "truth (mock)",
    }
    # the method beyond the paper is analysed over the whole k range, beside the paper's
    assert table1.loc[table1["representation"] == "simclr-relative-all+footprint", "k"].tolist() == [2, 3, 4]
    simclr = table1[table1["representation"] == "simclr-relative-all"]
    assert simclr["k"].tolist() == [2, 3, 4]
    assert simclr["agreement"].between(0, 100).all()
    assert simclr["acc_gain_nonphys"].between(-100, 100).all()
    truth = table1[table1["representation"] == "truth (mock)"]  # the mock's true divisions, for reference
    assert truth["k"].tolist() == [2, 3] and truth["agreement"].isna().all()
    assert truth["acc_mean_phys"].between(0, 100).all()  # 24 galaxies: too few for a sharper check
    md = (res / "tables/table1.md").read_text()
    assert "% Agree" in md and "Acc_max Non-phys" in md and "Acc_mean Phys" in md
    assert "ΔAcc Non-phys given Phys" in md and "n/a (true labels)" in md
    accepted = json.loads((res / "tables/accepted_k.json").read_text())
    assert set(accepted) == {"paper", "conditional", "rules"}
    assert "truth (mock)" not in accepted["paper"] and "simclr-relative-all" in accepted["conditional"]
    assert (res / "tables/table1.tex").read_text().startswith("\\begin{table}")
    # beyond the paper: Table 1's ΔAcc split by non-physical parameter, at k = 2 and 3 where a
    # representation is clustered there; its total is Table 1's own column
    attribution = pd.read_csv(res / "tables/instrument_attribution.csv")
    both = attribution.merge(table1, on=["representation", "k"])
    assert len(both) == len(attribution) and set(attribution["k"]) == {2, 3}
    np.testing.assert_allclose(both["gain_all"], both["acc_gain_nonphys"])
    assert {"simclr-relative-all", "pca1024-relative", "simclr-relative-no_vband", "truth (mock)"} <= set(
        attribution["representation"]
    )
    assert "D_IFU/Re" in (res / "tables/instrument_attribution.md").read_text()
    labels = pd.read_parquet(res / "clusters/simclr-relative-all/labels.parquet")
    assert set(labels["replica"]) == {0, 1} and set(labels["kmeans_seed"]) == {0, 1, 2}
    n = len(pd.read_parquet(res / "preprocess/catalogue.parquet"))
    assert len(labels) == n * 3 * 2 * 3  # galaxies x k x replicas x K-means seeds
    # the division studied: the paper's criterion on this run's Table 1, or the loud fallback
    divisions = json.loads((res / "tables/divisions.json").read_text())
    assert set(divisions) == {"relative", "individual"}
    for norm, fallback in (("relative", 3), ("individual", 2)):
        d, paper_k = divisions[norm], accepted["paper"][f"simclr-{norm}-all"]
        assert (d["how"], d["k"]) == (("accepted", paper_k) if paper_k else ("fallback", fallback))
        assert d["note"] in md and d["note"].startswith("FALLBACK") == (paper_k is None)
    k_rel, k_ind = divisions["relative"]["k"], divisions["individual"]["k"]
    t2 = pd.read_csv(res / "tables/table2-relative.csv")
    assert t2["cluster"].tolist() == list(range(1, k_rel + 1))
    assert "| A " in (res / "tables/table2-individual.md").read_text()  # the paper's letters
    for name, k in (("simclr-relative-no_vband", k_rel), ("simclr-individual-no_vband", k_ind)):
        assert set(pd.read_parquet(res / f"clusters/{name}/labels.parquet")["k"]) == {k}
    assert k_rel in set(pd.read_parquet(res / "clusters/pca1024-relative/labels.parquet")["k"])
    for fig in (
        "fig3_physical_planes",
        "fig4_ttype",
        "fig6_centroid_examples",
        "fig7_overlap",
        "fig8_ttype_appendix",
        "fig9_cluster_properties",
    ):
        assert (
            divisions["relative" if fig != "fig6_centroid_examples" else "individual"]["note"]
            in json.loads((res / f"figures/{fig}.json").read_text())["division"]
        ), fig
    overlaps = pd.read_csv(res / "tables/overlaps.csv")
    fig7 = overlaps[(overlaps["a"] == "simclr-relative-all") & (overlaps["b"] == "simclr-individual-all")]
    assert set(fig7["kind"]) == {"matrix"} and np.allclose(fig7.groupby("cluster_a")["overlap"].sum(), 100)
    assert (fig7["ka"] == k_rel).all() and (fig7["kb"] == k_ind).all()
    assert set(overlaps.loc[overlaps["b"] == "simclr-relative-no_vband", "kind"]) == {"matched"}
    assert "simclr-relative-no_vband" in set(overlaps["b"])
    for name in ("simclr-relative-all", "simclr-individual-all", "pca1024-relative"):
        umap = pd.read_parquet(res / f"umap/{name}.parquet")
        assert len(umap) == n and np.isfinite(umap[["umap_x", "umap_y"]].to_numpy()).all()
    truth = pd.read_csv(res / "validation/representations_vs_truth.csv")
    assert set(truth["representation"]) == {
        "simclr-relative-all",
        "simclr-relative-all+footprint",
        "simclr-relative-all+footprint_erased",
        "simclr-relative-all+footprint_views",
        "pca1024-relative",
        "pca10-relative",
        "summary-relative",
        PHYSICS_ROW,
    }
    reps = truth[truth["representation"] != PHYSICS_ROW]
    assert reps["ari"].between(-1, 1).all()
    # the slow / fast rotator probe: an accuracy, or NaN where the tiny survey has too few
    # early types of a kind to fold
    accuracy = truth["slow_fast_accuracy"]
    assert (accuracy.between(0, 1) | accuracy.isna()).all()
    assert truth["slow_fast_majority"].between(0.5, 1).all()
    # the instrumental probes once the physics is known, and what the physics itself predicts
    partial = reps[[f"r2_{t}_given_physical" for t in INSTRUMENTAL]].to_numpy()
    assert np.isfinite(partial).all() and (partial <= 1).all()
    physics = truth.set_index("representation").loc[PHYSICS_ROW]
    assert np.isfinite(physics[[f"r2_{t}" for t in INSTRUMENTAL]].to_numpy(float)).all()
    # K-means on the true physical parameters: what the physics alone gives the division
    assert -1 <= physics["ari"] <= 1 and physics["n_runs"] == 3  # tiny.yaml's kmeans_seeds
    # every division against the true one with as many groups, the individual norm's included
    divisions = pd.read_csv(res / "validation/divisions_vs_truth.csv")
    scored = set(zip(divisions["representation"], divisions["k"]))
    assert {("simclr-individual-all", 2), ("simclr-relative-all", 3), (PHYSICS_ROW, 2), (PHYSICS_ROW, 3)} <= scored
    assert set(divisions["representation"]) == set(truth["representation"]) | {
        "simclr-individual-all",
        "simclr-relative-no_vband",
        "simclr-individual-no_vband",
        "simclr-relative-vband_kinematics",
    }
    assert divisions["ari"].between(-1, 1).all() and (divisions["n_runs"] > 0).all()
    # the early / late probe: every replica of a SimCLR representation (tiny.yaml trains two
    # of the five maps', one of a channel set's) and no table of another, whose name extends
    # it; one table for a baseline and the physics
    probe = divisions["early_late_probe"]
    assert (probe.between(0, 1) | probe.isna()).all()
    simclr = divisions["representation"].str.startswith("simclr")
    five_maps = divisions["representation"].str.contains("-all")
    assert (divisions.loc[simclr & five_maps, "early_late_probe_n"] == 2).all()
    assert (divisions.loc[simclr & ~five_maps, "early_late_probe_n"] == 1).all()
    assert (divisions.loc[~simclr, "early_late_probe_n"] == 1).all()
    # the truth table's division, scored the same way in both tables
    same = divisions.set_index(["representation", "k"]).loc[("simclr-relative-all", int(truth["k"].iloc[0]))]
    assert same["ari"] == pytest.approx(truth.set_index("representation").loc["simclr-relative-all", "ari"])


FIGURES = [
    "fig1_augmentations",
    "fig2_umap_pca_vs_simclr",
    "fig3_physical_planes",
    "fig4_ttype",
    "fig5_umap_normalisations",
    "fig6_centroid_examples",
    "fig7_overlap",
    "fig8_ttype_appendix",
    "fig9_cluster_properties",
    "loss_curves",
    "division_performance",
]


def test_every_figure_and_the_report(tiny_run, tmp_path):
    for name in FIGURES:
        pdf = tiny_run / f"results/tiny/figures/{name}.pdf"
        png = tiny_run / f"results/tiny/figures/{name}.png"
        assert pdf.read_bytes()[:4] == b"%PDF" and png.read_bytes()[:4] == b"\x89PNG", name
        assert png.stat().st_size > 10_000, name
    bench = pd.read_csv(tiny_run / "results/tiny/report/benchmarks.csv")
    assert {"train_simclr", "embed_simclr_channel_set", "kmeans", "fig3_physical_planes"} <= set(bench["rule"])
    report = tmp_path / "report.html"
    res = run_snakemake(tiny_run, "--report", str(report))
    assert res.returncode == 0, res.stderr[-3000:]
    html = report.read_text()
    assert "Largest accepted k" in html and "Fraction of early types" in html
    assert "Divisions studied" in html  # on the report's first page
    for name in FIGURES:
        assert f"{name}.png" in html, name


def test_benchmarks_table_holds_this_runs_jobs_only(tiny_run):
    folder = tiny_run / "benchmarks/tiny"
    written = {str(p.relative_to(folder).with_suffix("")) for p in folder.rglob("*.tsv")} - {"run_summary"}
    bench = pd.read_csv(tiny_run / "results/tiny/report/benchmarks.csv")
    assert set(bench["job"]) == written and len(written) > 40
    # each job under the rule that wrote it, whatever its file is named
    by_job = dict(zip(bench["job"], bench["rule"]))
    assert by_job["normalise_relative"] == by_job["normalise_individual"] == "normalise"
    assert by_job["train_simclr/relative-all-seed0"] == "train_simclr"
    assert by_job["figures/fig3_physical_planes"] == "fig3_physical_planes"
    # files a configuration since changed left behind: a dropped replica and representation
    stale = [folder / "train_simclr/relative-all-seed7.tsv", folder / "kmeans/simclr-relative-dropped.tsv"]
    try:
        for f in stale:
            shutil.copy(folder / "train_simclr/relative-all-seed0.tsv", f)
        res = run_snakemake(tiny_run, "results/tiny/report/benchmarks.csv", "--forcerun", "run_summary")
        assert res.returncode == 0, res.stderr[-3000:]
    finally:
        for f in stale:
            f.unlink(missing_ok=True)
    again = pd.read_csv(tiny_run / "results/tiny/report/benchmarks.csv")
    assert set(again["job"]) == written
    assert again["s"].sum() == pytest.approx(bench["s"].sum())


def test_explorer_page_of_the_run(tiny_run):
    from tests.test_explorer import explorer_in_chromium

    html = tiny_run / "results/tiny/explorer/explorer.html"
    catalogue = pd.read_parquet(tiny_run / "results/tiny/preprocess/catalogue.parquet")
    text = html.read_text()
    assert all(p in text for p in catalogue["plateifu"])
    with explorer_in_chromium(html) as (page, errors):
        shown = page.evaluate(
            "() => { const d = Bokeh.documents[0]; return "
            "[d.get_model_by_name('galaxies').data.x.length, "
            "d.get_model_by_name('representation').options]; }"
        )
    assert errors == []
    assert shown == [len(catalogue), ["simclr-relative-all", "simclr-individual-all", "pca1024-relative"]]


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


def rule_scripts() -> dict:
    """Every rule of the workflow and the script it runs (rules without one are left out)."""
    out = {}
    for f in (ROOT / "workflow/rules").glob("*.smk"):
        for block in re.split(r"(?m)^(?=rule \w+:)", f.read_text()):
            rule, script = re.match(r"rule (\w+):", block), re.search(r'"\.\./scripts/(\w+\.py)"', block)
            if rule and script:
                out[rule.group(1)] = ROOT / "workflow/scripts" / script.group(1)
    return out


@pytest.mark.parametrize("module", ["analysis/divisions", "ssl/model", "analysis/tables"])
def test_touching_a_module_reruns_exactly_the_rules_that_run_it(tiny_run, module):
    from manga_ssl.core.code_inputs import modules_used_by

    path = ROOT / "manga_ssl" / f"{module}.py"
    users = {
        rule
        for rule, script in rule_scripts().items()
        if str(path) in modules_used_by(str(script), str(ROOT / "manga_ssl"))
    }
    assert users, module
    before, stat = path.read_text(), path.stat()
    try:  # an edit (Snakemake compares the content of an input newer than the outputs)
        path.write_text(before + "\n# edited\n")
        res = run_snakemake(tiny_run, "--dry-run")
        out = res.stdout + res.stderr
        assert res.returncode == 0, out[-3000:]
    finally:
        path.write_text(before)
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    # the jobs planned because the module changed, one job block at a time
    because = {
        m.group(1)
        for block in out.split("\n\n")
        if (m := re.search(r"rule (\w+):", block))
        and re.search(rf"reason: Updated input files:[^\n]*manga_ssl/{module}\.py", block)
    }
    # every rule whose script uses the module reruns (for it, or after a job upstream that does);
    # no rule that does not use it is planned for it
    assert users - DR17_ONLY <= planned_jobs(out), (users - DR17_ONLY) - planned_jobs(out)
    assert because and because <= users, because - users


DR17_ONLY = {"select_sample", "download_catalogue", "download_galaxies", "download_firefly"}


def test_validation_outputs(tiny_run):
    table = pd.read_csv(tiny_run / "results/tiny/validation/measurements_vs_truth.csv").set_index("parameter")
    assert table.loc["lambda_re", "pearson_r"] > 0.8
    if REAL.exists():
        md = (tiny_run / "results/tiny/validation/mock_vs_real.md").read_text()
        assert "| z |" in md and "127-fibre" in md


def dry_run_after(tiny_run, tmp_path, change) -> str:
    """The output of a dry run once ``change`` has edited the tiny run's configuration."""
    cfg = yaml.safe_load((tiny_run / "config.yaml").read_text())
    change(cfg)
    changed = tmp_path / "changed.yaml"
    changed.write_text(yaml.safe_dump(cfg))
    cmd = [
        str(SNAKEMAKE),
        "--dry-run",
        "--snakefile",
        str(ROOT / "Snakefile"),
        "--directory",
        str(tiny_run),
        "--cores",
        "2",
        "--configfile",
        str(changed),
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=tiny_run)
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout + out.stderr


def planned_after(tiny_run, tmp_path, change) -> set:
    """Rules a dry run plans once ``change`` has edited the tiny run's configuration."""
    return planned_jobs(dry_run_after(tiny_run, tmp_path, change))


def test_analysis_change_reruns_only_the_analysis(tiny_run, tmp_path):
    planned = planned_after(tiny_run, tmp_path, lambda cfg: cfg["analysis"].update(k_values=[2, 3]))
    assert {"kmeans", "bias_regression", "table1", "fig3_physical_planes"} <= planned
    assert not planned & {"train_simclr", "embed_simclr", "extract_maps", "pca_baselines", "umap"}, planned


def test_training_change_reruns_training_and_everything_after(tiny_run, tmp_path):
    planned = planned_after(tiny_run, tmp_path, lambda cfg: cfg["simclr"].update(epochs=cfg["simclr"]["epochs"] + 1))
    assert {
        "train_simclr",
        "embed_simclr",
        "kmeans",
        "umap",
        "bias_regression",
        "table1",
        "explorer",
        "fig3_physical_planes",
        "loss_curves",
        "run_summary",
    } <= planned, planned
    # the data and the PCA baselines do not depend on the SimCLR settings
    assert not planned & {"mock_survey", "extract_maps", "normalise", "pca_baselines"}, planned


def test_a_new_method_trains_only_its_own_replicas(tiny_run, tmp_path):
    def add_method(cfg):
        cfg["simclr"]["methods"]["cooler"] = {"temperature": 0.2}
        cfg["simclr"]["variants"].append({"normalisation": "individual", "channels": "all", "method": "cooler"})

    text = dry_run_after(tiny_run, tmp_path, add_method)
    trained = set(re.findall(r"simclr/([a-z_+-]+)/seed\d+/encoder\.keras", text))
    assert trained == {"individual-all+cooler"}, trained  # the paper's replicas stay as they are
    assert "extract_maps" not in planned_jobs(text)


def test_more_channel_set_replicas_train_only_theirs(tiny_run, tmp_path):
    text = dry_run_after(tiny_run, tmp_path, lambda cfg: cfg["simclr"].update(channel_set_replicas=None))
    trained = set(re.findall(r"output: \S*simclr/([a-z_+-]+/seed\d+)/encoder\.keras", text))
    assert trained == {"relative-no_vband/seed1", "individual-no_vband/seed1", "relative-vband_kinematics/seed1"}
    planned = planned_jobs(text)
    assert {"embed_simclr_channel_set", "cluster_overlaps", "fig8_ttype_appendix"} <= planned, planned
    assert not planned & {"embed_simclr", "pca_baselines", "extract_maps"}, planned  # the five maps' h stays


@pytest.mark.parametrize("change", [{"dihedral_average": True}, {"central_aperture": 4}, {"augmented_views": 1}])
def test_embedding_settings_reembed_without_retraining(tiny_run, tmp_path, change):
    planned = planned_after(tiny_run, tmp_path, lambda cfg: cfg["simclr"].update(change))
    assert {"embed_simclr", "kmeans", "table1"} <= planned, planned
    assert "train_simclr" not in planned, planned


def test_threads_per_replica_sets_each_training_jobs_threads(tiny_run, tmp_path):
    """simclr.threads_per_replica is the train_simclr jobs' thread count (capped at --cores 2)."""

    def training_threads(threads):
        def change(cfg):
            cfg["simclr"].update(epochs=cfg["simclr"]["epochs"] + 1)  # so that training is planned
            if threads is not None:
                cfg["simclr"]["threads_per_replica"] = threads

        text = dry_run_after(tiny_run, tmp_path, change)
        jobs = [
            block
            for block in re.split(r"\n(?=(?:local)?rule )", text)
            if re.match(r"(?:local)?rule train_simclr:", block)
        ]
        assert jobs, text[-2000:]
        return {int(m.group(1)) if (m := re.search(r"threads: (\d+)", job)) else 1 for job in jobs}

    assert training_threads(None) == {2}  # the default 8, scaled down to the 2 cores
    assert training_threads(1) == {1}


def test_nothing_to_do_on_rerun(tiny_run):
    res = run_snakemake(tiny_run, "--dry-run")
    assert res.returncode == 0
    assert "Nothing to be done" in res.stdout + res.stderr


def test_same_seed_identical_tensors(tiny_run, tmp_path):
    again = make_workdir(tmp_path / "again")
    res = run_snakemake(again, "results/tiny/tensors/relative.npz")
    assert res.returncode == 0, res.stderr[-4000:]
    with (
        np.load(tiny_run / "results/tiny/tensors/relative.npz") as a,
        np.load(again / "results/tiny/tensors/relative.npz") as b,
    ):
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
    res = subprocess.run(
        [str(SNAKEMAKE), "--lint", "--configfile", "tests/config/tiny.yaml"], capture_output=True, text=True, cwd=ROOT
    )
    out = res.stdout + res.stderr
    assert res.returncode == 0 and "Lints for" not in out, out[-3000:]


def test_snakefmt_check_is_clean():
    snakefmt = Path(sys.executable).parent / "snakefmt"
    res = subprocess.run(
        [str(snakefmt), "--check", "Snakefile", "workflow/rules"], capture_output=True, text=True, cwd=ROOT
    )
    assert res.returncode == 0, (res.stdout + res.stderr)[-3000:]


PYTHON_SOURCES = ["manga_ssl", "workflow/scripts", "tests", "bench"]


def test_ruff_check_is_clean():
    ruff = Path(sys.executable).parent / "ruff"
    res = subprocess.run([str(ruff), "check", *PYTHON_SOURCES], capture_output=True, text=True, cwd=ROOT)
    assert res.returncode == 0, (res.stdout + res.stderr)[-3000:]


def test_ruff_format_check_is_clean():
    ruff = Path(sys.executable).parent / "ruff"
    res = subprocess.run([str(ruff), "format", "--check", *PYTHON_SOURCES], capture_output=True, text=True, cwd=ROOT)
    assert res.returncode == 0, (res.stdout + res.stderr)[-3000:]


def pinned(requirement: str) -> tuple[str, str] | None:
    """('name', 'version') of a 'name==version' (pip) or 'name=version' (conda) pin."""
    import re

    match = re.fullmatch(r"\s*([A-Za-z0-9_.\-]+)(?:\[[^]]*\])?\s*==?\s*([^\s=#]+)\s*(?:#.*)?", requirement)
    if not match:
        return None
    name = match.group(1).lower().replace("_", "-")
    # the envs install GPU TensorFlow; the lock holds the CPU build of the same release
    return {"tensorflow-cpu": "tensorflow"}.get(name, name), match.group(2)


def test_rule_environments_pin_the_locked_versions():
    lock = dict(
        filter(
            None,
            (
                pinned(line)
                for line in (ROOT / "requirements.lock").read_text().splitlines()
                if line.strip() and not line.startswith("#")
            ),
        )
    )
    used = {
        line.split('"')[1].split("/")[-1]
        for rules in (ROOT / "workflow/rules").glob("*.smk")
        for line in rules.read_text().splitlines()
        if "envs/" in line
    }
    assert used == {p.name for p in (ROOT / "envs").glob("*.yaml")}  # every env used, none missing
    for env in (ROOT / "envs").glob("*.yaml"):
        spec = yaml.safe_load(env.read_text())
        deps = [d for d in spec["dependencies"] if isinstance(d, str)]
        deps += [d for group in spec["dependencies"] if isinstance(group, dict) for d in group.get("pip", [])]
        checked = 0
        for dep in deps:
            pin = pinned(dep)
            if pin is None or pin[0] == "python":
                continue
            assert pin[0] in lock, f"{env.name}: {pin[0]} is not in requirements.lock"
            assert lock[pin[0]] == pin[1], f"{env.name}: {pin[0]} {pin[1]} but requirements.lock has {lock[pin[0]]}"
            checked += 1
        assert checked >= 3, env.name


def test_slurm_profile_dry_run_plans_the_whole_workflow(tmp_path):
    work = make_workdir(tmp_path / "dry")
    res = run_snakemake(work, "--dry-run", "--profile", str(ROOT / "profiles/slurm"))
    out = res.stdout + res.stderr
    assert res.returncode == 0, out[-3000:]
    assert {"train_simclr", "kmeans", "explorer", "fig3_physical_planes", "all"} <= planned_jobs(out)


def test_profile_resources_name_existing_rules():
    """A typo in set-resources would silently leave a rule with the defaults."""
    import re

    profile = yaml.safe_load((ROOT / "profiles/slurm/config.yaml").read_text())
    rules = {
        name
        for f in [ROOT / "Snakefile", *(ROOT / "workflow/rules").glob("*.smk")]
        for m in re.findall(r"^(?:rule (\w+):|use rule \w+ as (\w+))", f.read_text(), flags=re.M)
        for name in m
        if name
    }
    assert set(profile["set-resources"]) <= rules, set(profile["set-resources"]) - rules
    assert "gpu=1" in (ROOT / "workflow/rules/train.smk").read_text().replace(" ", "")


def local_slurm_cluster():
    """Start the single-node test cluster; skip (never in CI) where this machine cannot."""
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        reason = "the SLURM test cluster needs root and apt-get (tests/slurm/local_cluster.sh)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    res = subprocess.run(
        ["bash", str(ROOT / "tests/slurm/local_cluster.sh"), "start"], capture_output=True, text=True, timeout=900
    )
    assert res.returncode == 0, (res.stdout + res.stderr)[-3000:]


@pytest.fixture
def slurm_cluster():
    local_slurm_cluster()
    yield
    subprocess.run(["bash", str(ROOT / "tests/slurm/local_cluster.sh"), "stop"], timeout=60)


def test_tiny_workflow_runs_on_a_slurm_cluster(tiny_run, slurm_cluster, tmp_path):
    import re

    # the paper's two five-map variants and PCA (not the whole tiny run: each SLURM job costs seconds
    # of scheduling), up to Fig. 3 and the explorer, which need every stage
    work = make_workdir(tmp_path / "slurm")
    cfg = yaml.safe_load((work / "config.yaml").read_text())
    cfg["simclr"]["variants"] = cfg["simclr"]["variants"][:2]
    cfg["baselines"] = {"summary_statistics": False}
    (work / "config.yaml").write_text(yaml.safe_dump(cfg))
    assert [v["channels"] for v in cfg["simclr"]["variants"]] == ["all", "all"]
    targets = ["results/tiny/figures/fig3_physical_planes.png", "results/tiny/explorer/explorer.html"]
    # the shipped profile with this cluster's site settings: partition, small memory, fast polling
    profile = yaml.safe_load((ROOT / "profiles/slurm/config.yaml").read_text())
    cores = os.cpu_count()
    profile["default-resources"].update(slurm_partition="debug", mem_mb=1000)
    profile["set-resources"] = {
        rule: {
            k: (min(v, 1000) if k == "mem_mb" else min(v, cores) if k == "cpus_per_task" else v) for k, v in res.items()
        }
        for rule, res in profile["set-resources"].items()
    }
    profile.update({"slurm-init-seconds-before-status-checks": 5, "max-threads": cores, "latency-wait": 5})
    (tmp_path / "profile").mkdir()
    (tmp_path / "profile" / "config.yaml").write_text(yaml.safe_dump(profile))
    res = run_snakemake(work, *targets, "--profile", str(tmp_path / "profile"))
    out = res.stdout + res.stderr
    assert res.returncode == 0, out[-5000:]

    # every job went through SLURM: one job id per submitted job
    submitted = [line for line in out.splitlines() if "submitted with SLURM jobid" in line]
    stats = out[out.index("Job stats:") :].splitlines()
    total = int(next(line for line in stats if line.startswith("total")).split()[1])
    assert len(submitted) == total, (len(submitted), total)
    # SLURM knows each job by its rule, and gave the training jobs a GPU
    job_ids = [int(re.search(r"SLURM jobid (\d+)", line).group(1)) for line in submitted]
    jobs = {}
    for job_id in job_ids:
        shown = subprocess.run(["scontrol", "show", "job", str(job_id)], capture_output=True, text=True).stdout
        jobs[job_id] = (re.search(r"Comment=(rule_\w+?)(?:_wildcards|\s)", shown).group(1), shown)
    rules = {rule for rule, _ in jobs.values()}
    assert {"rule_train_simclr", "rule_kmeans", "rule_explorer", "rule_fig3_physical_planes"} <= rules, rules
    for rule, shown in jobs.values():
        assert ("gres:gpu:1" in shown) == (rule == "rule_train_simclr"), rule
    # the training jobs asked for the GPU: SLURM gave them the (fake) device
    train_logs = list((work / "logs/tiny/train_simclr").rglob("*.log"))
    assert train_logs and all("CUDA_VISIBLE_DEVICES=0" in p.read_text() for p in train_logs)
    # the same results as the local run
    for name in ("relative", "individual"):
        a, b = (np.load(w / f"results/tiny/tensors/{name}.npz") for w in (tiny_run, work))
        assert all(np.array_equal(a[key], b[key]) for key in a.files), name
    pd.testing.assert_frame_equal(
        pd.read_parquet(tiny_run / "results/tiny/preprocess/catalogue.parquet"),
        pd.read_parquet(work / "results/tiny/preprocess/catalogue.parquet"),
    )
    for name in ("simclr-relative-all", "simclr-individual-all"):  # same training, same clusters
        pd.testing.assert_frame_equal(
            pd.read_parquet(tiny_run / f"results/tiny/clusters/{name}/labels.parquet"),
            pd.read_parquet(work / f"results/tiny/clusters/{name}/labels.parquet"),
        )
