# manga-ssl: "Capturing the physics of MaNGA galaxies with self-supervised
# Machine Learning" (Sarmiento et al. 2021) as a reproducible workflow.
from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
# Section 2, Data: the survey products (embedded mock survey or DR17 downloads).
include: "workflow/rules/data.smk"
# Section 2: maps -> 32x32 tensors in two normalisations, and the galaxy catalogue.
include: "workflow/rules/preprocess.smk"
# Validation of the embedded mock survey against its ground truth and real catalogues.
include: "workflow/rules/validate.smk"


rule all:
    default_target: True
    input:
        get_final_output(),
