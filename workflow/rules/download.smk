# Real MaNGA DR17 (dataset: manga-dr17): the catalogues, the sample, and each
# sample galaxy's products, fetched from the SAS into config download.directory.


rule download_catalogue:
    """A DR17 survey catalogue (drpall, dapall, SDSS17Pipe3D, MDLM); without one the run stops.
    The file is the SAS's: neither our code nor the transfer settings change it, so neither is an input.
    """
    output:
        f"{DR17}/{{catalogue}}",
    log:
        f"{LOGS}/download_catalogue_{{catalogue}}.log",
    benchmark:
        f"{BENCHMARKS}/download_catalogue_{{catalogue}}.tsv"
    conda:
        "../../envs/science.yaml"
    params:
        product=catalogue_product,
    script:
        "../scripts/download_catalogue.py"


rule select_sample:
    """Section 2's sample on DR17: main-sample targets with a Pipe3D and a DAP analysis,
    one observation per galaxy; every other observation is listed with its reason."""
    input:
        drpall=f"{DR17}/drpall-v3_1_1.fits",
        pipe3d_catalogue=f"{DR17}/SDSS17Pipe3D_v3_1_1.fits",
        dapall=f"{DR17}/dapall-v3_1_1-3.1.0.fits",
        code=code_of("select_sample"),
    output:
        selection=report(
            SELECTION,
            caption="../report/sample.rst",
            category="Data",
        ),
        summary=f"{RESULTS}/sample/summary.md",
    log:
        f"{LOGS}/select_sample.log",
    benchmark:
        f"{BENCHMARKS}/select_sample.tsv"
    conda:
        "../../envs/science.yaml"
    params:
        plateifus=config["download"]["plateifus"],
        limit=config["download"]["sample_limit"],
        seed=config["download"]["sample_seed"],
    script:
        "../scripts/select_sample.py"


rule download_galaxies:
    """Each sample galaxy's Pipe3D cube and DAP MAPS, and its r-band image cut from its SDSS
    frame; the manifest lists every file and why any is missing."""
    input:
        selection=SELECTION,
        drpall=f"{DR17}/drpall-v3_1_1.fits",
        code=code_of("download_galaxies"),
    output:
        manifest=DOWNLOADS,
    log:
        f"{LOGS}/download_galaxies.log",
    benchmark:
        f"{BENCHMARKS}/download_galaxies.tsv"
    conda:
        "../../envs/science.yaml"
    script:
        "../scripts/download_galaxies.py"


rule download_firefly:
    """The sample's rows of the FIREFLY VAC (model variation of age and [Z/H]), by HTTP range requests."""
    input:
        selection=SELECTION,
        code=code_of("download_firefly"),
    output:
        f"resources/{RUN}/firefly/manga-firefly-v3_1_1-{config['download']['firefly_library']}.fits",
    log:
        f"{LOGS}/download_firefly.log",
    benchmark:
        f"{BENCHMARKS}/download_firefly.tsv"
    conda:
        "../../envs/science.yaml"
    script:
        "../scripts/download_firefly.py"
