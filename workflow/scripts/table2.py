from manga_ssl.analysis import make_table2
from manga_ssl.runlog import log_to

log_to(snakemake.log[0])
k = snakemake.params.k_chosen[snakemake.wildcards.normalisation]
make_table2(snakemake.input.contributions, k, snakemake.output.csv[: -len(".csv")])
