from manga_ssl.datasets import DAPTYPE
from manga_ssl.formats import read_dapall, read_drpall, read_pipe3d_catalogue
from manga_ssl.io import atomic_output, write_csv
from manga_ssl.runlog import log_to
from manga_ssl.sample import select_sample, selection_summary

log = log_to(snakemake.log[0])
cfg = snakemake.params.download
selection = select_sample(read_drpall(snakemake.input.drpall), read_pipe3d_catalogue(snakemake.input.pipe3d_catalogue),
                          read_dapall(snakemake.input.dapall, DAPTYPE), plateifus=cfg["plateifus"],
                          limit=cfg["sample_limit"], seed=cfg["sample_seed"])
if not selection["kept"].any():
    raise SystemExit(f"no galaxy passes the sample selection; see {snakemake.output.selection}")
write_csv(selection, snakemake.output.selection)
summary = selection_summary(selection)
with atomic_output(snakemake.output.summary) as tmp:
    tmp.write_text(summary)
log.info("\n%s", summary)
