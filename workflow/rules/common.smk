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


def get_final_output():
    out = expand(
        f"{RESULTS}/tensors/{{normalisation}}.npz", normalisation=NORMALISATIONS
    )
    out.append(f"{RESULTS}/preprocess/catalogue.parquet")
    if config["dataset"] == "mock":
        out.append(f"{RESULTS}/validation/measurements_vs_truth.csv")
        if real_catalogues():
            out.append(f"{RESULTS}/validation/mock_vs_real.md")
    return out
