from manga_ssl import paper_figures
from manga_ssl.runlog import log_to

log_to(snakemake.log[0])
i, k = snakemake.input, snakemake.params.k
paper_figures.fig8(i.catalogue, {"relative norm": (i.relative, i.relative_no_vband, k["relative"], False),
                                 "individual norm": (i.individual, i.individual_no_vband, k["individual"], True)},
                   snakemake.output)
