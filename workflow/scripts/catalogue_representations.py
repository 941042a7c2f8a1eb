from manga_ssl.core.runlog import log_to

log_to(snakemake.log[0])

from manga_ssl.catalogue.vac import write_representations
from manga_ssl.core.names import input_key

tables = {n: list(snakemake.input[input_key(n)]) for n in snakemake.params.names}
write_representations(tables, snakemake.params.config, snakemake.output.fits)
