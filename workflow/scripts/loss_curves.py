from manga_ssl.core.runlog import log_to

log_to(snakemake.log[0])

from manga_ssl.figures import paper as paper_figures

histories = {name: path for name, path in snakemake.input.items() if name != "code"}
paper_figures.loss_curves(histories, snakemake.output)
