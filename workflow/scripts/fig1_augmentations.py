from manga_ssl.core.runlog import log_to
from manga_ssl.figures import paper as paper_figures

log_to(snakemake.log[0])
paper_figures.fig1(snakemake.input.tensors, snakemake.input.catalogue, snakemake.output)
