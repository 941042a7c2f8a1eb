from manga_ssl.core.runlog import log_to

log_to(snakemake.log[0])

from manga_ssl.analysis.projection import run_umap

run_umap(
    snakemake.input.table,
    snakemake.wildcards.representation,
    snakemake.params.seed,
    snakemake.output.umap,
    snakemake.params.n_neighbors,
    snakemake.params.min_dist,
)
