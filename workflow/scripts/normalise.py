import numpy as np

from manga_ssl.files import atomic_output
from manga_ssl.preprocessing import build_tensors
from manga_ssl.runlog import log_to

log = log_to(snakemake.log[0])
with np.load(snakemake.input.maps) as npz:
    arrays = dict(npz)
how = snakemake.wildcards.normalisation
tensors = build_tensors(arrays, how, snakemake.params.percentiles, snakemake.params.v_band_sigma)
with atomic_output(snakemake.output.tensors) as tmp:
    np.savez(tmp, **tensors)
log.info("%s normalisation: %s maps written", how, tensors["maps"].shape)
