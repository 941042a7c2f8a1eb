from manga_ssl.core.runlog import log_to, write_config

log = log_to(snakemake.log[0])

from manga_ssl.core.benchmarks import collect_benchmarks

write_config(snakemake.params.config, snakemake.output.config)
table = collect_benchmarks(snakemake.params.benchmarks, snakemake.params.folder, snakemake.output.benchmarks)
log.info("%d rule benchmarks, %.0f s in all", len(table), table["s"].sum() if len(table) else 0.0)
