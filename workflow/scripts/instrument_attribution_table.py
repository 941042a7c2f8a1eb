from manga_ssl.core.runlog import log_to

log = log_to(snakemake.log[0])

from manga_ssl.analysis.attribution import make_attribution_table

numbers = make_attribution_table(snakemake.input.attribution, snakemake.output.csv[: -len(".csv")])
log.info("ΔAcc non-phys given phys by parameter, in points:\n%s", numbers.round(1).to_string())
