from pathlib import Path

import numpy as np

from manga_ssl.datasets import SurveyLayout
from manga_ssl.io import atomic_output, write_csv, write_parquet
from manga_ssl.preprocessing import CATALOGUE_UNITS, preprocess_survey
from manga_ssl.runlog import log_to

log = log_to(snakemake.log[0])
cfg = snakemake.params.preprocessing
arrays, catalogue, rejected = preprocess_survey(
    SurveyLayout(Path(snakemake.input.drpall).parent), size=cfg["image_size"], sn_min=cfg["sn_min"],
    main_sample_only=cfg["main_sample_only"], processes=snakemake.threads,
    max_rejected_fraction=cfg["max_rejected_fraction"], log=log)
with atomic_output(snakemake.output.maps) as tmp:
    np.savez(tmp, **arrays)
write_parquet(catalogue, snakemake.output.catalogue, CATALOGUE_UNITS)
write_csv(rejected, snakemake.output.rejected)
log.info("kept %d galaxies, rejected %d", len(catalogue), len(rejected))
