from manga_ssl.core.runlog import log_to

log_to(snakemake.log[0])

from manga_ssl.analysis.divisions import read_divisions
from manga_ssl.figures import paper as paper_figures

i = snakemake.input
paper_figures.fig6(i.embedding, i.labels, i.tensors, read_divisions(i.divisions)["individual"], snakemake.output)
