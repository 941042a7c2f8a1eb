from manga_ssl.core.runlog import log_to

log_to(snakemake.log[0])

from manga_ssl.analysis.divisions import read_divisions
from manga_ssl.core.names import Representation
from manga_ssl.figures.explorer import build_explorer

names = snakemake.params.names
divisions = read_divisions(snakemake.input.divisions)
build_explorer(
    snakemake.output.html,
    umaps=dict(zip(names, snakemake.input.umaps)),
    labels=dict(zip(names, snakemake.input.labels)),
    tables=dict(zip(names, snakemake.input.tables)),
    k_values={n: divisions[Representation.parse(n).normalisation].k for n in names},
    catalogue_path=snakemake.input.catalogue,
    tensors_path=snakemake.input.tensors,
    title=snakemake.params.title,
    n_neighbours=snakemake.params.neighbours,
    default_colour=snakemake.params.colour,
)
