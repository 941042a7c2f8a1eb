from manga_ssl.core.runlog import log_to

log_to(snakemake.log[0])

from manga_ssl.analysis.clustering import lettered
from manga_ssl.analysis.divisions import read_divisions
from manga_ssl.analysis.tables import make_table2

norm = snakemake.wildcards.normalisation
division = read_divisions(snakemake.input.divisions)[norm]
make_table2(
    snakemake.input.contributions, division.k, snakemake.output.csv[: -len(".csv")], lettered(norm), division.note
)
