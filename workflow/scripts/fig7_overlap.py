from manga_ssl.core.runlog import log_to

log_to(snakemake.log[0])

from manga_ssl.analysis.divisions import read_divisions
from manga_ssl.figures import paper as paper_figures

paper_figures.fig7(snakemake.input.overlaps, read_divisions(snakemake.input.divisions), snakemake.output)
