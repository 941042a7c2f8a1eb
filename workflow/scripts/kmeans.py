from manga_ssl.analysis import run_kmeans
from manga_ssl.runlog import log_to

log_to(snakemake.log[0])
run_kmeans(list(snakemake.input.tables), snakemake.wildcards.representation, snakemake.params.k_values,
           snakemake.params.kmeans_seeds, snakemake.input.catalogue, snakemake.output.labels,
           snakemake.output.agreement, snakemake.params.agreement_fraction, snakemake.params.warm_start_dims,
           snakemake.threads)
