from manga_ssl.core.runlog import log_to

log = log_to(snakemake.log[0])

from manga_ssl.analysis.divisions import choose_divisions

p, i = snakemake.params, snakemake.input
performance = {norm: (i[f"agreement_{norm}"], i[f"accuracy_{norm}"]) for norm in p.trained}
divisions = choose_divisions(
    performance, p.settings, p.fallbacks, p.rule, snakemake.output.divisions, p.min_agreement, p.max_nonphys, p.max_gain
)
for division in divisions.values():
    log.info(division["note"])
