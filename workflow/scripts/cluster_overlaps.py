from manga_ssl.analysis import make_overlaps
from manga_ssl.runlog import log_to

log_to(snakemake.log[0])
labels = {key.replace("__", "-"): path for key, path in snakemake.input.items() if key != "code"}
comparisons = [{"a": a, "ka": ka, "b": b, "kb": kb, "a_labels": labels[a], "b_labels": labels[b]}
               for a, ka, b, kb in snakemake.params.comparisons]
fig7 = next(((c["a"], c["b"]) for c in comparisons if c["ka"] != c["kb"]), None)
make_overlaps(comparisons, snakemake.output.overlaps, snakemake.output.fig7[0][: -len(".csv")], fig7)
