rule embed_simclr:
    """The representation h (encoder output, 1024-d in the paper) of every galaxy, under
    each replica of a variant; beyond the paper, a method may embed another method's
    encoders (encoders_of) and erase the instrument from h (erase_instrument)."""
    input:
        unpack(embedding_inputs),
        tensors=TENSORS,
        code=code_of("embed_simclr"),
    output:
        embeddings=expand(EMBEDDING, seed=SEEDS, allow_missing=True),
    log:
        f"{LOGS}/embed_simclr/{{normalisation}}-{{channels}}.log",
    benchmark:
        f"{BENCHMARKS}/embed_simclr/{{normalisation}}-{{channels}}.tsv"
    conda:
        "../../envs/train.yaml"
    # loading TensorFlow is most of the job (h of 1000 galaxies takes about a second), so a
    # variant's replicas share one job, and variants run side by side, one thread each
    threads: 1
    params:
        channels=channel_set,
        embedding=embedding_settings,
        seeds=SEEDS,
    script:
        "../scripts/embed_simclr.py"
