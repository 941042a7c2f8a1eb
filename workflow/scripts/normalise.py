from manga_ssl.core.runlog import log_to

log = log_to(snakemake.log[0])

import numpy as np

from manga_ssl.core.files import atomic_output
from manga_ssl.preprocessing.maps import build_tensors

with np.load(snakemake.input.maps) as npz:
    arrays = dict(npz)
how = snakemake.wildcards.normalisation
tensors = build_tensors(arrays, how, snakemake.params.percentiles, snakemake.params.v_band_sigma)
with atomic_output(snakemake.output.tensors) as tmp:
    np.savez(tmp, **tensors)
log.info("%s normalisation: %s maps written", how, tensors["maps"].shape)
