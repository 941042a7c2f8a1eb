from manga_ssl.core.runlog import log_to

log = log_to(snakemake.log[0])

import pandas as pd

from manga_ssl.core.names import input_key, tables_by_representation
from manga_ssl.mock.validation import representations_vs_truth, write_truth_tables

names = snakemake.params.names
tables = tables_by_representation(snakemake.input.tables, names)
labels = {n: snakemake.input[input_key(n)] for n in names}
scores, probes = representations_vs_truth(
    tables,
    labels,
    pd.read_parquet(snakemake.input.catalogue),
    pd.read_parquet(snakemake.input.truth),
    snakemake.params.k,
    snakemake.params.seed,
    kmeans_seeds=snakemake.params.kmeans_seeds,
    n_init=snakemake.params.n_init,
)
write_truth_tables(scores, probes, snakemake.output.csv[: -len(".csv")])
log.info("cluster scores:\n%s", scores.to_string(index=False))
