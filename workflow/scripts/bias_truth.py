from manga_ssl.core.runlog import log_to

log_to(snakemake.log[0])

from manga_ssl.analysis.bias_regression import run_truth_bias

p = snakemake.params
run_truth_bias(
    snakemake.input.truth,
    snakemake.input.catalogue,
    p.replicas,
    p.kmeans_seeds,
    p.seed,
    snakemake.output.accuracy,
    fit=p.fit,
)
