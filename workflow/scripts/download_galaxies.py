from manga_ssl.core.runlog import log_to

log = log_to(snakemake.log[0])

from pathlib import Path

import pandas as pd

from manga_ssl.acquisition.products import fetch_galaxies, transfer_options
from manga_ssl.core.files import write_csv
from manga_ssl.survey.datasets import Dr17Archive, SurveyLayout
from manga_ssl.survey.formats import read_drpall

# transfer settings come from the config, not params: changing them changes no file
cfg = snakemake.config["download"]
selection = pd.read_csv(snakemake.input.selection, dtype={"plateifu": str, "mangaid": str})
galaxies = read_drpall(snakemake.input.drpall)
galaxies = galaxies[galaxies["plateifu"].isin(set(selection.loc[selection["kept"], "plateifu"]))]
log.info(
    "fetching the Pipe3D cube, DAP MAPS and r-band image of %d galaxies, %d at a time",
    len(galaxies),
    cfg["max_parallel"],
)
manifest = fetch_galaxies(
    galaxies,
    SurveyLayout(Path(snakemake.input.drpall).parent),
    Dr17Archive(cfg["sas_url"]),
    transfer_options(cfg),
    max_parallel=cfg["max_parallel"],
    keep_frames=cfg["keep_frames"],
)
write_csv(manifest, snakemake.output.manifest)
