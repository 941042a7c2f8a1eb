from manga_ssl.core.runlog import log_to

log = log_to(snakemake.log[0])

from manga_ssl.analysis.baselines import baselines_to_tables

cfg = snakemake.params.baselines
baselines_to_tables(
    snakemake.input.tensors,
    snakemake.output.pca1024,
    snakemake.output.pca10,
    snakemake.output.summary,
    n_components=cfg["n_components"],
    n_small=cfg["n_small"],
    seed=cfg["seed"],
)
