from manga_ssl.core.runlog import log_to

log_to(snakemake.log[0])

from manga_ssl.analysis.attribution import run_attribution

p = snakemake.params
run_attribution(
    snakemake.input.labels,
    snakemake.input.catalogue,
    snakemake.wildcards.representation,
    p.k_values,
    p.replicas,
    p.kmeans_seeds,
    p.seed,
    snakemake.output.attribution,
    fit=p.fit,
)
