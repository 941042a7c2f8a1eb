rule explorer:
    """The survey explorer: UMAP coloured by any catalogue column, hover with the input maps,
    cluster filter and nearest-neighbour search, in one self-contained HTML page."""
    input:
        **explorer_inputs(),
        catalogue=CATALOGUE,
        tensors=f"{RESULTS}/tensors/{NORMALISATIONS[0]}.npz",
        divisions=DIVISIONS,
        code=code_of("explorer"),
    output:
        html=EXPLORER,
    log:
        f"{LOGS}/explorer.log",
    benchmark:
        f"{BENCHMARKS}/explorer.tsv"
    conda:
        "../../envs/analysis.yaml"
    params:
        names=explorer_representations(),
        neighbours=config["explorer"]["neighbours"],
        colour=config["explorer"]["colour"],
        title=f"manga-ssl survey explorer: run '{RUN}'",
    script:
        "../scripts/explorer.py"
