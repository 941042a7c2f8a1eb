from manga_ssl import paper_figures
from manga_ssl.runlog import log_to

log_to(snakemake.log[0])
histories = {name: path for name, path in snakemake.input.items() if name != "code"}
paper_figures.loss_curves(histories, snakemake.output)
