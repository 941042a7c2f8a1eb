from manga_ssl.core.runlog import log_to

log_to(snakemake.log[0])

from manga_ssl.analysis.bias_regression import run_bias

p = snakemake.params
run_bias(
    snakemake.input.labels,
    snakemake.input.catalogue,
    snakemake.wildcards.representation,
    p.replicas,
    p.kmeans_seeds,
    p.seed,
    snakemake.output.accuracy,
    snakemake.output.contributions,
    fit=p.fit,
)
