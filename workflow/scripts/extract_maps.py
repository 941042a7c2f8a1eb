from manga_ssl.core.runlog import log_to

log = log_to(snakemake.log[0])

from pathlib import Path

import numpy as np
import pandas as pd

from manga_ssl.acquisition.products import download_failures
from manga_ssl.core.files import atomic_output, write_csv, write_parquet
from manga_ssl.preprocessing.maps import CATALOGUE_UNITS, preprocess_survey
from manga_ssl.survey.datasets import SurveyLayout

cfg = snakemake.params.preprocessing
sample, unavailable = None, None
if "selection" in snakemake.input.keys():  # downloaded DR17: the selected sample, less what could not be had
    selection = pd.read_csv(snakemake.input.selection, dtype={"plateifu": str})
    sample = selection.loc[selection["kept"], "plateifu"].tolist()
    unavailable = download_failures(pd.read_csv(snakemake.input.downloads, dtype=str, keep_default_na=False))
arrays, catalogue, rejected = preprocess_survey(
    SurveyLayout(Path(snakemake.input.drpall).parent, firefly_file=snakemake.input.firefly),
    size=cfg["image_size"],
    sn_min=cfg["sn_min"],
    main_sample_only=cfg["main_sample_only"],
    processes=snakemake.threads,
    max_rejected_fraction=cfg["max_rejected_fraction"],
    log=log,
    sample=sample,
    unavailable=unavailable,
)
with atomic_output(snakemake.output.maps) as tmp:
    np.savez(tmp, **arrays)
write_parquet(catalogue, snakemake.output.catalogue, CATALOGUE_UNITS)
write_csv(rejected, snakemake.output.rejected)
log.info("kept %d galaxies, rejected %d", len(catalogue), len(rejected))
