from manga_ssl.core.runlog import log_to

log = log_to(snakemake.log[0])

import pandas as pd

from manga_ssl.core.files import write_csv
from manga_ssl.mock.validation import measurements_vs_truth

table = measurements_vs_truth(pd.read_parquet(snakemake.input.catalogue), pd.read_parquet(snakemake.input.truth))
write_csv(table, snakemake.output.table)
log.info("measured vs true:\n%s", table.to_string(index=False))
