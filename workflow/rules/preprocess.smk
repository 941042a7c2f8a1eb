rule extract_maps:
    """Per galaxy: five maps, S/N >= 3, systemic velocity removed, footprint crop,
    2x2 binning, 32x32 padding; model-variation maps; the catalogue of Fig. 2."""
    input:
        **survey_files(),
        code=code_of("extract_maps"),
    output:
        maps=MAPS,
        catalogue=CATALOGUE,
        rejected=f"{RESULTS}/preprocess/rejected.csv",
    log:
        f"{LOGS}/extract_maps.log",
    benchmark:
        f"{BENCHMARKS}/extract_maps.tsv"
    conda:
        "../../envs/science.yaml"
    threads: 8
    params:
        preprocessing=config["preprocessing"],
    script:
        "../scripts/extract_maps.py"


rule normalise:
    """Relative (one scale for the sample) or individual (each map spans [0, 1])
    normalisation, with the noise-augmentation sigma maps and model variations."""
    input:
        maps=MAPS,
        code=code_of("normalise"),
    output:
        tensors=TENSORS,
    log:
        f"{LOGS}/normalise_{{normalisation}}.log",
    benchmark:
        f"{BENCHMARKS}/normalise_{{normalisation}}.tsv"
    conda:
        "../../envs/science.yaml"
    params:
        percentiles=config["preprocessing"]["relative_percentiles"],
        v_band_sigma=config["preprocessing"]["v_band_sigma"],
    script:
        "../scripts/normalise.py"
