rule bias_regression:
    """Section 4.2: linear fits of cluster membership to non-physical and physical
    parameters (Acc_max non-phys, Acc_mean phys, contributions); beyond the paper, the
    conditional test and the angles as axes."""
    input:
        labels=labels_path("{representation}"),
        catalogue=CATALOGUE,
        code=code_of("bias_regression"),
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
        **BIAS_SAMPLE,
    script:
        "../scripts/bias_regression.py"


rule bias_truth:
    """Mock survey only: the bias regression of the true populations (k = 3) and of early
    vs late types (k = 2), Table 1's reference rows."""
    input:
        truth=TRUTH,
        catalogue=CATALOGUE,
        code=code_of("bias_truth"),
    output:
        accuracy=TRUTH_ACCURACY,
    log:
        f"{LOGS}/bias_truth.log",
    benchmark:
        f"{BENCHMARKS}/bias_truth.tsv"
    conda:
        "../../envs/analysis.yaml"
    params:
        **BIAS_SAMPLE,
    script:
        "../scripts/bias_truth.py"


rule instrument_attribution:
    """Beyond the paper: which non-physical parameter a division's ΔAcc non-phys given phys
    comes from, each alone and each left out, on the bias regression's own divisions,
    samples and splits (analysis.attribution_k)."""
    input:
        labels=labels_path("{representation}"),
        catalogue=CATALOGUE,
        code=code_of("instrument_attribution"),
    output:
        attribution=attribution_path("{representation}"),
    log:
        f"{LOGS}/instrument_attribution/{{representation}}.log",
    benchmark:
        f"{BENCHMARKS}/instrument_attribution/{{representation}}.tsv"
    conda:
        "../../envs/analysis.yaml"
    params:
        **BIAS_SAMPLE,
        k_values=config["analysis"]["attribution_k"],
    script:
        "../scripts/instrument_attribution.py"


rule instrument_attribution_truth:
    """Mock survey only: the attribution of the true divisions, the table's reference rows."""
    input:
        truth=TRUTH,
        catalogue=CATALOGUE,
        code=code_of("instrument_attribution_truth"),
    output:
        attribution=attribution_path("truth"),
    log:
        f"{LOGS}/instrument_attribution/truth.log",
    benchmark:
        f"{BENCHMARKS}/instrument_attribution/truth.tsv"
    conda:
        "../../envs/analysis.yaml"
    params:
        **BIAS_SAMPLE,
        k_values=config["analysis"]["attribution_k"],
    script:
        "../scripts/instrument_attribution_truth.py"


rule instrument_attribution_table:
    """Beyond the paper: the attribution of every representation, beside Table 1 (and of
    the true divisions on the mock survey)."""
    input:
        attribution=attribution_inputs(),
        code=code_of("instrument_attribution_table"),
    output:
        csv=report(
            INSTRUMENT_ATTRIBUTION,
            caption="../report/instrument_attribution.rst",
            category="Tables",
        ),
        table=multiext(f"{RESULTS}/tables/instrument_attribution", ".md", ".tex"),
    log:
        f"{LOGS}/instrument_attribution_table.log",
    benchmark:
        f"{BENCHMARKS}/instrument_attribution_table.tsv"
    conda:
        "../../envs/analysis.yaml"
    script:
        "../scripts/instrument_attribution_table.py"


rule table1:
    """Table 1: agreement and bias accuracies per k (and the true divisions on the mock survey);
    the largest accepted division under the paper's rule and the conditional one."""
    input:
        **table1_inputs(),
        divisions=DIVISIONS,
        code=code_of("table1"),
    output:
        csv=report(
            TABLE1,
            caption="../report/table1.rst",
            category="Tables",
        ),
        table=multiext(f"{RESULTS}/tables/table1", ".md", ".tex"),
        accepted=ACCEPTED_K,
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
        max_gain=config["analysis"]["max_nonphysical_gain"],
        divisions=JsonNumbers(DIVISIONS),
    script:
        "../scripts/table1.py"


rule table2:
    """Table 2: contributions of the physical parameters to the chosen division's clusters."""
    input:
        contributions=f"{RESULTS}/bias/simclr-{{normalisation}}-all/contributions.csv",
        divisions=DIVISIONS,
        code=code_of("table2"),
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
        divisions=JsonNumbers(DIVISIONS),
    script:
        "../scripts/table2.py"


rule choose_divisions:
    """Section 4.2: the division each normalisation studies, the largest k that passes the
    paper's criterion (analysis.k_chosen: auto), a configured fallback where none passes, or a
    configured k."""
    input:
        **division_inputs(),
        code=code_of("choose_divisions"),
    output:
        divisions=report(
            DIVISIONS,
            caption="../report/divisions.rst",
            category="Tables",
        ),
    log:
        f"{LOGS}/choose_divisions.log",
    benchmark:
        f"{BENCHMARKS}/choose_divisions.tsv"
    conda:
        "../../envs/analysis.yaml"
    params:
        trained=trained_paper_divisions(),
        settings={n: config["analysis"]["k_chosen"][n] for n in NORMALISATIONS},
        fallbacks={n: config["analysis"]["k_fallback"][n] for n in NORMALISATIONS},
        rule=config["analysis"]["k_rule"],
        min_agreement=config["analysis"]["min_agreement"],
        max_nonphys=config["analysis"]["max_nonphysical_accuracy"],
        max_gain=config["analysis"]["max_nonphysical_gain"],
        numbers=JsonNumbers(DIVISIONS),
    script:
        "../scripts/choose_divisions.py"
