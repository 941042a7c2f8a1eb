rule mock_survey:
    """The embedded default: a mock MaNGA DR17 survey written in the real file layouts."""
    input:
        code=code_of("mock_survey"),
    output:
        drpall=MOCK_SURVEY["drpall"],
        pipe3d_catalogue=MOCK_SURVEY["pipe3d_catalogue"],
        mdlm=MOCK_SURVEY["mdlm"],
        firefly=MOCK_SURVEY["firefly"],
        truth=TRUTH,
        pipe3d=directory(MOCK_SURVEY["pipe3d"]),
        dap=directory(MOCK_SURVEY["dap"]),
        rband=directory(MOCK_SURVEY["rband"]),
    log:
        f"{LOGS}/mock_survey.log",
    benchmark:
        f"{BENCHMARKS}/mock_survey.tsv"
    conda:
        "../../envs/science.yaml"
    threads: 8
    params:
        survey=config["survey"],
    script:
        "../scripts/mock_survey.py"
