from manga_ssl import paper_figures
from manga_ssl.divisions import read_divisions
from manga_ssl.runlog import log_to

log_to(snakemake.log[0])
i = snakemake.input
paper_figures.fig9(
    i.catalogue,
    {"five maps": i.all, "no V band": i.no_vband, "V band + kinematics": i.vband_kinematics},
    read_divisions(i.divisions)["relative"],
    snakemake.output,
)
