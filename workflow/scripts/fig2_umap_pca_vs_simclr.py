from manga_ssl.core.runlog import log_to
from manga_ssl.figures import paper as paper_figures

log_to(snakemake.log[0])
paper_figures.fig2(snakemake.input.pca, snakemake.input.simclr, snakemake.input.catalogue, snakemake.output)
