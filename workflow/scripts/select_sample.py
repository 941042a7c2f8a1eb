from manga_ssl.core.runlog import log_to

log = log_to(snakemake.log[0])

from manga_ssl.acquisition.sample import select_sample, selection_summary
from manga_ssl.core.files import atomic_output, write_csv
from manga_ssl.survey.datasets import DAPTYPE
from manga_ssl.survey.formats import read_dapall, read_drpall, read_pipe3d_catalogue

selection = select_sample(
    read_drpall(snakemake.input.drpall),
    read_pipe3d_catalogue(snakemake.input.pipe3d_catalogue),
    read_dapall(snakemake.input.dapall, DAPTYPE),
    plateifus=snakemake.params.plateifus,
    limit=snakemake.params.limit,
    seed=snakemake.params.seed,
)
summary = selection_summary(selection)
log.info("\n%s", summary)
if not selection["kept"].any():
    raise SystemExit(f"no galaxy passes the sample selection:\n{summary}")
write_csv(selection, snakemake.output.selection)
with atomic_output(snakemake.output.summary) as tmp:
    tmp.write_text(summary)
