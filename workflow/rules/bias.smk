rule bias_regression:
    """Section 4.2: linear fits of cluster membership to non-physical and physical
    parameters (Acc_max non-phys, Acc_mean phys, contributions)."""
    input:
        labels=f"{RESULTS}/clusters/{{representation}}/labels.parquet",
        catalogue=f"{RESULTS}/preprocess/catalogue.parquet",
        code=science_code("bias", "analysis"),
    output:
        accuracy=f"{RESULTS}/bias/{{representation}}/accuracy.csv",
        contributions=f"{RESULTS}/bias/{{representation}}/contributions.csv",
    log:
        f"{LOGS}/bias_regression/{{representation}}.log",
    benchmark:
        f"{BENCHMARKS}/bias_regression/{{representation}}.tsv"
    conda:
        "../../envs/analysis.yaml"
    params:
        k_values=k_values,
        replicas=config["analysis"]["bias_replicas"],
        kmeans_seeds=config["analysis"]["bias_kmeans_seeds"],
        seed=config["analysis"]["bias_seed"],
    script:
        "../scripts/bias_regression.py"


rule table1:
    """Table 1: agreement and bias accuracies per k; the largest accepted division."""
    input:
        **table1_inputs(),
        code=science_code("analysis", "tables"),
    output:
        csv=report(
            f"{RESULTS}/tables/table1.csv",
            caption="../report/table1.rst",
            category="Tables",
        ),
        table=multiext(f"{RESULTS}/tables/table1", ".md", ".tex"),
        accepted=f"{RESULTS}/tables/accepted_k.json",
    log:
        f"{LOGS}/table1.log",
    benchmark:
        f"{BENCHMARKS}/table1.tsv"
    conda:
        "../../envs/analysis.yaml"
    params:
        names=representation_names(),
        min_agreement=config["analysis"]["min_agreement"],
        max_nonphys=config["analysis"]["max_nonphysical_accuracy"],
    script:
        "../scripts/table1.py"


rule table2:
    """Table 2: contributions of the physical parameters to the chosen division's clusters."""
    input:
        contributions=f"{RESULTS}/bias/simclr-{{normalisation}}-all/contributions.csv",
        code=science_code("analysis", "tables"),
    output:
        csv=report(
            f"{RESULTS}/tables/table2-{{normalisation}}.csv",
            caption="../report/table2.rst",
            category="Tables",
        ),
        table=multiext(f"{RESULTS}/tables/table2-{{normalisation}}", ".md", ".tex"),
    log:
        f"{LOGS}/table2-{{normalisation}}.log",
    benchmark:
        f"{BENCHMARKS}/table2-{{normalisation}}.tsv"
    conda:
        "../../envs/analysis.yaml"
    params:
        k_chosen=config["analysis"]["k_chosen"],
    script:
        "../scripts/table2.py"
