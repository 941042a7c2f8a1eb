from manga_ssl import paper_figures
from manga_ssl.runlog import log_to

log_to(snakemake.log[0])
paper_figures.table1_figure(
    snakemake.input.table1,
    snakemake.input.accepted,
    snakemake.output,
    snakemake.params.min_agreement,
    snakemake.params.max_nonphys,
)
