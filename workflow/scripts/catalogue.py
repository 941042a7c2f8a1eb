from manga_ssl.core.runlog import log_to

log_to(snakemake.log[0])

from manga_ssl.catalogue.vac import write_catalogue
from manga_ssl.core.names import input_key

i, names = snakemake.input, snakemake.params.names
key = {n: input_key(n) for n in names}
write_catalogue(
    i.survey,
    {n: i[f"umap_{key[n]}"] for n in names},
    {n: i[f"labels_{key[n]}"] for n in names},
    {n: i[f"reference_{key[n]}"] for n in names},
    i.divisions,
    i.accepted,
    snakemake.params.config,
    snakemake.output.fits,
    snakemake.output.parquet,
)
