from manga_ssl.explorer import build_explorer
from manga_ssl.runlog import log_to

log_to(snakemake.log[0])
names = snakemake.params.names
build_explorer(snakemake.output.html, umaps=dict(zip(names, snakemake.input.umaps)),
               labels=dict(zip(names, snakemake.input.labels)), tables=dict(zip(names, snakemake.input.tables)),
               k_values=dict(zip(names, snakemake.params.k_values)), catalogue_path=snakemake.input.catalogue,
               tensors_path=snakemake.input.tensors, title=snakemake.params.title,
               n_neighbours=snakemake.params.neighbours, default_colour=snakemake.params.colour)
