rule pca_baselines:
    """Sections 4.1-4.2: PCA-1024 on the flattened maps and PCA-10 standardised; beyond
    the paper, the maps' summary statistics."""
    input:
        tensors=TENSORS,
        code=code_of("pca_baselines"),
    output:
        pca1024=f"{RESULTS}/embeddings/pca1024-{{normalisation}}.parquet",
        pca10=f"{RESULTS}/embeddings/pca10-{{normalisation}}.parquet",
        summary=f"{RESULTS}/embeddings/summary-{{normalisation}}.parquet",
    log:
        f"{LOGS}/pca_baselines/{{normalisation}}.log",
    benchmark:
        f"{BENCHMARKS}/pca_baselines/{{normalisation}}.tsv"
    conda:
        "../../envs/analysis.yaml"
    threads: 2
    params:
        baselines=config["baselines"],
    script:
        "../scripts/pca_baselines.py"
