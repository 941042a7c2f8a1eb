from manga_ssl.analysis.divisions import read_divisions
from manga_ssl.analysis.overlaps import make_overlaps
from manga_ssl.core.names import Representation
from manga_ssl.core.runlog import log_to

log_to(snakemake.log[0])
divisions = read_divisions(snakemake.input.divisions)
labels = {key.replace("__", "-"): path for key, path in snakemake.input.items() if key not in ("code", "divisions")}


def k(name):
    return divisions[Representation.parse(name).normalisation].k


comparisons = [
    {"a": a, "ka": k(a), "b": b, "kb": k(b), "a_labels": labels[a], "b_labels": labels[b]}
    for a, b in snakemake.params.comparisons
]
fig7 = next(((c["a"], c["b"]) for c in comparisons if c["ka"] != c["kb"]), None)
make_overlaps(comparisons, snakemake.output.overlaps, snakemake.output.fig7[0][: -len(".csv")], fig7)
