from manga_ssl.core.runlog import log_to

log = log_to(snakemake.log[0])

from pathlib import Path

import pandas as pd

from manga_ssl.acquisition.products import fetch_firefly, transfer_options
from manga_ssl.survey.datasets import Dr17Archive

# transfer settings come from the config, not params: changing them changes no file
cfg = snakemake.config["download"]
selection = pd.read_csv(snakemake.input.selection, dtype={"plateifu": str, "mangaid": str})
wanted = selection.loc[selection["kept"], "plateifu"].tolist()
archive = Dr17Archive(cfg["sas_url"])
# the whole VAC, only where the server ignores ranges; kept apart from any run's subset
full_copy = Path(cfg["directory"]) / "firefly-full" / Path(archive.firefly(cfg["firefly_library"])).name
found = fetch_firefly(
    archive,
    cfg["firefly_library"],
    wanted,
    snakemake.output[0],
    full_copy,
    transfer_options(cfg),
    ranges=cfg["firefly_ranges"],
)
log.info("FIREFLY rows of %d of the %d sample galaxies written", len(found), len(wanted))
