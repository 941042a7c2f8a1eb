from manga_ssl.core.runlog import log_to

log_to(snakemake.log[0])

from manga_ssl.figures import paper as paper_figures

paper_figures.fig5(snakemake.input.relative, snakemake.input.individual, snakemake.input.catalogue, snakemake.output)
