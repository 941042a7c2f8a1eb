from manga_ssl.core.runlog import log_to

log_to(snakemake.log[0])

from manga_ssl.analysis.divisions import read_divisions
from manga_ssl.figures import paper as paper_figures

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
