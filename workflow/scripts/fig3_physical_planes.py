from manga_ssl import paper_figures
from manga_ssl.divisions import read_divisions
from manga_ssl.runlog import log_to

log_to(snakemake.log[0])
i = snakemake.input
paper_figures.fig3(
    i.simclr_relative, i.pca, i.simclr_individual, i.catalogue, read_divisions(i.divisions), snakemake.output
)
