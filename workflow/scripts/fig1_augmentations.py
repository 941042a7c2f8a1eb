from manga_ssl import paper_figures
from manga_ssl.runlog import log_to

log_to(snakemake.log[0])
paper_figures.fig1(snakemake.input.tensors, snakemake.input.catalogue, snakemake.output)
