# manga-ssl: "Capturing the physics of MaNGA galaxies with self-supervised
# Machine Learning" (Sarmiento et al. 2021) as a reproducible workflow.
from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
# Section 2, Data: the survey products (embedded mock survey or DR17 downloads).
include: "workflow/rules/mock_survey.smk"
include: "workflow/rules/download.smk"
# Section 2: maps -> 32x32 tensors in two normalisations, and the galaxy catalogue.
include: "workflow/rules/preprocess.smk"
# Sections 3.1-3.2: SimCLR replicas, augmentations on the device.
include: "workflow/rules/train.smk"
# Section 4.1: the representation h of every galaxy under each trained encoder.
include: "workflow/rules/embed.smk"
# Sections 4.1-4.2: the PCA-1024 and PCA-10 baselines.
include: "workflow/rules/baselines.smk"
# Sections 4.1-4.2, 5 and appendix: UMAP, K-means over the replicas, agreement, overlaps.
include: "workflow/rules/cluster.smk"
# Section 4.2: bias regression, the division studied; Tables 1 and 2.
include: "workflow/rules/bias.smk"
# Every figure of the paper, one rule and one script each.
include: "workflow/rules/figures.smk"
# The run's value-added catalogue (FITS, with its data model) and representations.
include: "workflow/rules/catalogue.smk"
# The survey explorer: an interactive page to browse the representations.
include: "workflow/rules/explorer.smk"
# The run's configuration and benchmarks, for the report.
include: "workflow/rules/report.smk"
# Validation of the embedded mock survey against its ground truth and real catalogues.
include: "workflow/rules/validate.smk"


rule all:
    default_target: True
    input:
        get_final_output(),
