from manga_ssl.core.runlog import log_to

log_to(snakemake.log[0])

from manga_ssl.analysis.attribution import run_truth_attribution

p = snakemake.params
run_truth_attribution(
    snakemake.input.truth,
    snakemake.input.catalogue,
    p.k_values,
    p.replicas,
    p.kmeans_seeds,
    p.seed,
    snakemake.output.attribution,
    fit=p.fit,
)
