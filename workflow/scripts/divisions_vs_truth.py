from manga_ssl.core.runlog import log_to

log = log_to(snakemake.log[0])

import pandas as pd

from manga_ssl.core.names import input_key, tables_by_representation
from manga_ssl.mock.validation import divisions_vs_truth, write_divisions_table

names = snakemake.params.names
scores = divisions_vs_truth(
    {n: snakemake.input[input_key(n)] for n in names},
    pd.read_parquet(snakemake.input.catalogue),
    pd.read_parquet(snakemake.input.truth),
    kmeans_seeds=snakemake.params.kmeans_seeds,
    n_init=snakemake.params.n_init,
    tables=tables_by_representation(snakemake.input.tables, names),
    seed=snakemake.params.seed,
)
write_divisions_table(scores, snakemake.output.csv[: -len(".csv")])
log.info("divisions against the true ones:\n%s", scores.to_string(index=False))
