from manga_ssl import paper_figures
from manga_ssl.divisions import read_divisions
from manga_ssl.runlog import log_to

log_to(snakemake.log[0])
i = snakemake.input
d = read_divisions(i.divisions)
paper_figures.fig8(
    i.catalogue,
    {
        "relative norm": (i.relative, i.relative_no_vband, d["relative"]),
        "individual norm": (i.individual, i.individual_no_vband, d["individual"]),
    },
    snakemake.output,
)
