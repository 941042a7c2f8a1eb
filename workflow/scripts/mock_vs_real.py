from manga_ssl.core.runlog import log_to

log = log_to(snakemake.log[0])

import pandas as pd

from manga_ssl.core.files import atomic_output
from manga_ssl.mock.validation import mock_vs_real, to_markdown

real = {k: snakemake.input[k] for k in ("pipe3d", "drpall", "drpcomplete", "mdlm")}
table = mock_vs_real(pd.read_parquet(snakemake.input.catalogue), real)
with atomic_output(snakemake.output.table) as tmp:
    tmp.write_text(to_markdown(table))
log.info("mock vs real:\n%s", table.to_string(index=False))
