from manga_ssl.core.runlog import log_to

log = log_to(snakemake.log[0])

from manga_ssl.acquisition.download import DownloadError
from manga_ssl.acquisition.products import fetch_catalogue, transfer_options
from manga_ssl.survey.datasets import Dr17Archive

# transfer settings come from the config, not params: changing them changes no file
cfg = snakemake.config["download"]
try:
    path = fetch_catalogue(
        Dr17Archive(cfg["sas_url"]), snakemake.params.product, snakemake.output[0], transfer_options(cfg)
    )
except DownloadError as err:
    log.error("cannot fetch the %s catalogue, without which the run cannot go on: %s", snakemake.params.product, err)
    raise SystemExit(f"cannot fetch the {snakemake.params.product} catalogue: {err}") from None
log.info("%s: %s", snakemake.params.product, path)
