rule measurements_vs_truth:
    """Mock survey only: parameters measured from the maps against the ground truth.
    Only the validation rules read the truth table."""
    input:
        catalogue=CATALOGUE,
        truth=TRUTH,
        code=code_of("measurements_vs_truth"),
    output:
        table=MEASUREMENTS_VS_TRUTH,
    log:
        f"{LOGS}/measurements_vs_truth.log",
    benchmark:
        f"{BENCHMARKS}/measurements_vs_truth.tsv"
    conda:
        "../../envs/science.yaml"
    script:
        "../scripts/measurements_vs_truth.py"


rule mock_vs_real:
    """Calibration check: medians and 16-84% ranges of the mock against real MaNGA catalogues."""
    input:
        **real_catalogues(),
        catalogue=CATALOGUE,
        code=code_of("mock_vs_real"),
    output:
        table=MOCK_VS_REAL,
    log:
        f"{LOGS}/mock_vs_real.log",
    benchmark:
        f"{BENCHMARKS}/mock_vs_real.tsv"
    conda:
        "../../envs/science.yaml"
    script:
        "../scripts/mock_vs_real.py"


rule divisions_vs_truth:
    """Mock survey only, beyond the paper: every division the run makes, both normalisations
    included, against the true division into as many groups; and whether each representation
    holds the early / late split (a linear probe)."""
    input:
        **labels_inputs(representation_names()),
        tables=embedding_tables(),
        catalogue=CATALOGUE,
        truth=TRUTH,
        code=code_of("divisions_vs_truth"),
    output:
        csv=report(
            DIVISIONS_VS_TRUTH,
            caption="../report/divisions_vs_truth.rst",
            category="Tables",
        ),
        table=multiext(DIVISIONS_VS_TRUTH[: -len(".csv")], ".md", ".tex"),
    log:
        f"{LOGS}/divisions_vs_truth.log",
    benchmark:
        f"{BENCHMARKS}/divisions_vs_truth.tsv"
    conda:
        "../../envs/analysis.yaml"
    params:
        names=representation_names(),
        kmeans_seeds=config["analysis"]["kmeans_seeds"],
        n_init=config["analysis"]["kmeans_n_init"],
        seed=config["analysis"]["bias_seed"],
    script:
        "../scripts/divisions_vs_truth.py"


rule representations_vs_truth:
    """Mock survey only: ARI/NMI of the clusters against the true populations and linear
    probes to physical and instrumental parameters, SimCLR against both PCA baselines.
    """
    input:
        **truth_labels(),
        tables=truth_tables(),
        catalogue=CATALOGUE,
        truth=TRUTH,
        code=code_of("representations_vs_truth"),
    output:
        csv=report(
            f"{RESULTS}/validation/representations_vs_truth.csv",
            caption="../report/representations_vs_truth.rst",
            category="Tables",
        ),
        table=multiext(f"{RESULTS}/validation/representations_vs_truth", ".md", ".tex"),
    log:
        f"{LOGS}/representations_vs_truth.log",
    benchmark:
        f"{BENCHMARKS}/representations_vs_truth.tsv"
    conda:
        "../../envs/analysis.yaml"
    params:
        names=truth_representations(),
        k=config["analysis"]["truth_k"],
        seed=config["analysis"]["bias_seed"],
        kmeans_seeds=config["analysis"]["kmeans_seeds"],
        n_init=config["analysis"]["kmeans_n_init"],
    script:
        "../scripts/representations_vs_truth.py"
