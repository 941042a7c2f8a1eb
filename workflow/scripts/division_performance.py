from manga_ssl.core.runlog import log_to

log_to(snakemake.log[0])

from manga_ssl.figures import paper as paper_figures

paper_figures.table1_figure(
    snakemake.input.table1,
    snakemake.input.accepted,
    snakemake.output,
    snakemake.params.min_agreement,
    snakemake.params.max_nonphys,
    snakemake.params.max_gain,
)
