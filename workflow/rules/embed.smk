rule embed_simclr:
    """The representation h (encoder output, 1024-d in the paper) of every galaxy."""
    input:
        tensors=TENSORS,
        encoder=ENCODER,
        code=code_of("embed_simclr"),
    output:
        embedding=f"{RESULTS}/embeddings/simclr-{{normalisation}}-{{channels}}-seed{{seed}}.parquet",
    log:
        f"{LOGS}/embed_simclr/{{normalisation}}-{{channels}}-seed{{seed}}.log",
    benchmark:
        f"{BENCHMARKS}/embed_simclr/{{normalisation}}-{{channels}}-seed{{seed}}.tsv"
    conda:
        "../../envs/train.yaml"
    # loading TensorFlow is most of the job (h of 1000 galaxies takes under a second), so
    # embeddings run side by side, one thread each
    threads: 1
    params:
        channels=channel_set,
        embedding=embedding_settings,
    script:
        "../scripts/embed_simclr.py"
