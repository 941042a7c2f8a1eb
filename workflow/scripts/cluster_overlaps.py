from manga_ssl.core.runlog import log_to

log_to(snakemake.log[0])

from manga_ssl.analysis.overlaps import run_overlaps

labels = {key.replace("__", "-"): path for key, path in snakemake.input.items() if key not in ("code", "divisions")}
run_overlaps(
    snakemake.params.comparisons,
    labels,
    snakemake.input.divisions,
    snakemake.output.overlaps,
    snakemake.output.fig7[0][: -len(".csv")],
)
