from manga_ssl.core.runlog import log_to
from manga_ssl.ssl.embedding import embed_replicas

log = log_to(snakemake.log[0])
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
