from manga_ssl.core.runlog import log_to

log_to(snakemake.log[0])

from manga_ssl.analysis.divisions import with_division_studied
from manga_ssl.analysis.kmeans import run_kmeans

name, p, i = snakemake.wildcards.representation, snakemake.params, snakemake.input
k_values = with_division_studied(p.k_values, i.divisions, name) if "divisions" in i.keys() else p.k_values
run_kmeans(
    list(i.tables),
    name,
    k_values,
    p.kmeans_seeds,
    i.catalogue,
    snakemake.output.labels,
    snakemake.output.agreement,
    threshold=p.agreement_fraction,
    warm_start_dims=p.warm_start_dims,
    n_init=p.n_init,
    threads=snakemake.threads,
)
