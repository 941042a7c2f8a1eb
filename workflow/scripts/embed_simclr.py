from manga_ssl.core.runlog import log_to
from manga_ssl.ssl.embedding import embed_and_save

log = log_to(snakemake.log[0])
embed_and_save(
    snakemake.input.encoder,
    snakemake.input.tensors,
    snakemake.params.channels,
    snakemake.output.embedding,
    seed=int(snakemake.wildcards.seed),
    threads=snakemake.threads,
    **snakemake.params.embedding,
)
