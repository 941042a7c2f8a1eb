rule catalogue:
    """The run's value-added catalogue: per galaxy the parameters the analysis used, and per
    representation its UMAP, clusters with their consensus, and nearest neighbours."""
    input:
        **catalogue_inputs(),
        survey=CATALOGUE,
        divisions=DIVISIONS,
        accepted=ACCEPTED_K,
        code=code_of("catalogue"),
    output:
        fits=VAC,
        parquet=VAC.replace(".fits", ".parquet"),
    log:
        f"{LOGS}/catalogue.log",
    benchmark:
        f"{BENCHMARKS}/catalogue.tsv"
    conda:
        "../../envs/analysis.yaml"
    params:
        names=representation_names(),
        config=config,
    script:
        "../scripts/catalogue.py"


rule catalogue_representations:
    """The representation h of every galaxy under every SimCLR replica, documented as the
    catalogue."""
    input:
        **simclr_replica_tables(),
        code=code_of("catalogue_representations"),
    output:
        fits=VAC_REPRESENTATIONS,
    log:
        f"{LOGS}/catalogue_representations.log",
    benchmark:
        f"{BENCHMARKS}/catalogue_representations.tsv"
    conda:
        "../../envs/analysis.yaml"
    params:
        names=simclr_variant_names(),
        config=config,
    script:
        "../scripts/catalogue_representations.py"
