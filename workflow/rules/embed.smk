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
    wildcard_constraints:
        channels=FIVE_MAP_TAG,
    conda:
        "../../envs/train.yaml"
    # loading TensorFlow is most of the job (h of 1000 galaxies takes about a second), so a
    # variant's replicas share one job, and variants run side by side, one thread each
    threads: 1
    params:
        channels=channel_set,
        embedding=embedding_settings,
        seeds=lambda wildcards: seeds_of(wildcards.channels),
    script:
        "../scripts/embed_simclr.py"


# The appendix's channel sets have replicas of their own (simclr.channel_set_replicas), and a
# rule's outputs cannot depend on its wildcards: the same job in a rule of its own.
use rule embed_simclr as embed_simclr_channel_set with:
    output:
        embeddings=expand(EMBEDDING, seed=CHANNEL_SET_SEEDS, allow_missing=True),
    log:
        f"{LOGS}/embed_simclr_channel_set/{{normalisation}}-{{channels}}.log",
    benchmark:
        f"{BENCHMARKS}/embed_simclr_channel_set/{{normalisation}}-{{channels}}.tsv"
    wildcard_constraints:
        channels=CHANNEL_SET_TAG,
