import json

from manga_ssl.analysis import make_table1
from manga_ssl.io import atomic_output
from manga_ssl.runlog import log_to

log = log_to(snakemake.log[0])
performance = dict(zip(snakemake.params.names, zip(snakemake.input.agreement, snakemake.input.accuracy)))
accepted = make_table1(performance, snakemake.output.csv[: -len(".csv")], snakemake.params.min_agreement,
                       snakemake.params.max_nonphys)
with atomic_output(snakemake.output.accepted) as tmp:
    tmp.write_text(json.dumps(accepted, indent=1))
log.info("largest accepted k: %s", accepted)
