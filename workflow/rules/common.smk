# Helpers shared by every rule file; no rule lives here.
from pathlib import Path

from manga_ssl.config import validate_config

validate_config(config, workflow.source_path("../schemas/config.schema.yaml"))

RUN = config["run_name"]
RESULTS = f"results/{RUN}"
LOGS = f"logs/{RUN}"
BENCHMARKS = f"benchmarks/{RUN}"
# Generated inputs of the embedded default dataset.
MOCK = f"resources/{RUN}/mock"

NORMALISATIONS = config["preprocessing"]["normalisations"]
# The science package, beside the Snakefile.
PACKAGE = Path(workflow.basedir) / "manga_ssl"


wildcard_constraints:
    normalisation="relative|individual",
    channels="[a-z0-9_]+",
    seed=r"\d+",


def science_code(*modules):
    """Package modules behind a step; editing one makes Snakemake redo that step (mtime)."""
    return [str(PACKAGE / f"{m}.py") for m in modules]


def survey_root():
    """Folder holding the survey in the DR17 SAS layout (see manga_ssl.datasets)."""
    return MOCK


def survey_files():
    """Every file and folder of the survey that preprocessing reads."""
    root = survey_root()
    return {
        "drpall": f"{root}/drpall-v3_1_1.fits",
        "pipe3d_catalogue": f"{root}/SDSS17Pipe3D_v3_1_1.fits",
        "mdlm": f"{root}/manga-morphology-dl-DR17.fits",
        "firefly": f"{root}/firefly/manga-firefly-v3_1_1-miles.fits",
        "pipe3d": f"{root}/pipe3d",
        "dap": f"{root}/dap",
        "rband": f"{root}/rband",
    }


def real_catalogues():
    """The public catalogues that calibrate the mock survey, when present."""
    folder = Path(config["validation"]["real_catalogues"])
    names = {
        "pipe3d": "manga.Pipe3D-v2_1_2.fits",
        "drpall": "mpl5_cat_drpall-v2_0_1_subset.fits",
        "drpcomplete": "drpcomplete_v2_7_1.fits",
        "mdlm": "manga-morphology-dl-DR15.fits",
    }
    paths = {k: folder / v for k, v in names.items()}
    return (
        {k: str(p) for k, p in paths.items()}
        if all(p.exists() for p in paths.values())
        else {}
    )


def channel_set(wildcards):
    """The input maps of a channel set (config 'channel_sets'), by name."""
    return config["channel_sets"][wildcards.channels]


def checkpoint_path(wildcards):
    """Training checkpoint; not a declared output, so Snakemake keeps it when a job dies."""
    return (
        f"{RESULTS}/checkpoints/{wildcards.normalisation}-{wildcards.channels}"
        f"-seed{wildcards.seed}.npz"
    )


def simclr_embeddings():
    """One representation table per trained replica of every variant."""
    return [
        f"{RESULTS}/embeddings/simclr-{v['normalisation']}-{v['channels']}-seed{seed}.parquet"
        for v in config["simclr"]["variants"]
        for seed in config["simclr"]["seeds"]
    ]


def pca_embeddings():
    return expand(
        f"{RESULTS}/embeddings/{{pca}}-{{normalisation}}.parquet",
        pca=["pca1024", "pca10"],
        normalisation=config["baselines"]["normalisations"],
    )


def get_final_output():
    out = expand(
        f"{RESULTS}/tensors/{{normalisation}}.npz", normalisation=NORMALISATIONS
    )
    out.append(f"{RESULTS}/preprocess/catalogue.parquet")
    out += simclr_embeddings() + pca_embeddings()
    if config["dataset"] == "mock":
        out.append(f"{RESULTS}/validation/measurements_vs_truth.csv")
        if real_catalogues():
            out.append(f"{RESULTS}/validation/mock_vs_real.md")
    return out
