from manga_ssl.core.runlog import log_to

log_to(snakemake.log[0])

from manga_ssl.figures import paper as paper_figures

paper_figures.fig2(snakemake.input.pca, snakemake.input.simclr, snakemake.input.catalogue, snakemake.output)
