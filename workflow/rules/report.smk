rule run_summary:
    """The configuration this run used and every rule's benchmark, for the report."""
    input:
        done=run_products(),
        code=code_of("run_summary"),
    output:
        config=report(
            f"{RESULTS}/report/config.yaml",
            caption="../report/config.rst",
            category="Run",
        ),
        benchmarks=report(
            BENCHMARKS_TABLE,
            caption="../report/benchmarks.rst",
            category="Run",
        ),
    log:
        f"{LOGS}/run_summary.log",
    benchmark:
        f"{BENCHMARKS}/run_summary.tsv"
    conda:
        "../../envs/figures.yaml"
    params:
        config=config,
        folder=BENCHMARKS,
        # a function, so that it sees every rule, those included after this file too
        benchmarks=lambda wildcards: run_benchmarks(),
    script:
        "../scripts/run_summary.py"
