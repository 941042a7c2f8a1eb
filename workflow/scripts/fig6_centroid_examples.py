from manga_ssl import paper_figures
from manga_ssl.runlog import log_to

log_to(snakemake.log[0])
paper_figures.fig6(snakemake.input.embedding, snakemake.input.labels, snakemake.input.tensors, snakemake.params.k,
                   snakemake.output)
