from manga_ssl.core.runlog import log_to

log_to(snakemake.log[0])

from manga_ssl.analysis.divisions import read_divisions
from manga_ssl.figures import paper as paper_figures

i = snakemake.input
paper_figures.fig3(
    i.simclr_relative, i.pca, i.simclr_individual, i.catalogue, read_divisions(i.divisions), snakemake.output
)
