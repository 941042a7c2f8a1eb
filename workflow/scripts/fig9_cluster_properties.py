from manga_ssl.core.runlog import log_to

log_to(snakemake.log[0])

from manga_ssl.analysis.divisions import read_divisions
from manga_ssl.figures import paper as paper_figures

i = snakemake.input
paper_figures.fig9(
    i.catalogue,
    {"five maps": i.all, "no V band": i.no_vband, "V band + kinematics": i.vband_kinematics},
    read_divisions(i.divisions)["relative"],
    snakemake.output,
)
