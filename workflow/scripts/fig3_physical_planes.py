from manga_ssl import paper_figures
from manga_ssl.runlog import log_to

log_to(snakemake.log[0])
k = snakemake.params.k
paper_figures.fig3(snakemake.input.simclr_relative, snakemake.input.pca, snakemake.input.simclr_individual,
                   snakemake.input.catalogue, k["relative"], k["individual"], snakemake.output)
