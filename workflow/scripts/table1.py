from manga_ssl.core.runlog import log_to

log = log_to(snakemake.log[0])

import json

from manga_ssl.analysis.divisions import read_divisions, summary
from manga_ssl.analysis.tables import make_table1
from manga_ssl.core.files import atomic_output

p = snakemake.params
performance = dict(zip(p.names, zip(snakemake.input.agreement, snakemake.input.accuracy)))
accepted = make_table1(
    performance,
    snakemake.output.csv[: -len(".csv")],
    p.min_agreement,
    p.max_nonphys,
    p.max_gain,
    getattr(snakemake.input, "truth_accuracy", None),
    summary(read_divisions(snakemake.input.divisions)),
)
with atomic_output(snakemake.output.accepted) as tmp:
    tmp.write_text(json.dumps(accepted, indent=1))
log.info("largest accepted k: %s", accepted)
