from manga_ssl.core.runlog import log_to

log = log_to(snakemake.log[0])

from manga_ssl.ssl.embedding import embed_replicas

embed_replicas(
    list(snakemake.input.encoders),
    snakemake.input.tensors,
    snakemake.params.channels,
    list(snakemake.output.embeddings),
    snakemake.params.seeds,
    threads=snakemake.threads,
    catalogue_path=snakemake.input.get("catalogue"),
    **snakemake.params.embedding,
)
