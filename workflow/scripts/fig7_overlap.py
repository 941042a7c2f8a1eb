from manga_ssl.analysis.divisions import read_divisions
from manga_ssl.core.runlog import log_to
from manga_ssl.figures import paper as paper_figures

log_to(snakemake.log[0])
paper_figures.fig7(snakemake.input.overlaps, read_divisions(snakemake.input.divisions), snakemake.output)
