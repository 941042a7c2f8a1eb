from manga_ssl.core.runlog import log_to
from manga_ssl.figures import paper as paper_figures

log_to(snakemake.log[0])
paper_figures.fig5(snakemake.input.relative, snakemake.input.individual, snakemake.input.catalogue, snakemake.output)
