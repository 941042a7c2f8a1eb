from manga_ssl.core.runlog import log_to

log = log_to(snakemake.log[0])

from manga_ssl.ssl.training import train_and_save

w = snakemake.wildcards
train_and_save(
    snakemake.input.tensors,
    snakemake.params.channels,
    snakemake.params.simclr,
    int(snakemake.wildcards.seed),
    snakemake.params.checkpoint,
    snakemake.output,
    threads=snakemake.threads,
    label=f"{w.normalisation} norm, {w.channels} maps, seed {w.seed}",
    catalogue_path=snakemake.input.catalogue,
)
