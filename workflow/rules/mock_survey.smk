rule mock_survey:
    """The embedded default: a mock MaNGA DR17 survey written in the real file layouts."""
    input:
        code=code_of("mock_survey"),
    output:
        drpall=f"{MOCK}/drpall-v3_1_1.fits",
        pipe3d_catalogue=f"{MOCK}/SDSS17Pipe3D_v3_1_1.fits",
        mdlm=f"{MOCK}/manga-morphology-dl-DR17.fits",
        firefly=f"{MOCK}/firefly/manga-firefly-v3_1_1-miles.fits",
        truth=f"{MOCK}/truth.parquet",
        pipe3d=directory(f"{MOCK}/pipe3d"),
        dap=directory(f"{MOCK}/dap"),
        rband=directory(f"{MOCK}/rband"),
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
