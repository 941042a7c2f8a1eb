"""Acquisition of real DR17 data (dataset: manga-dr17): HTTP downloads, FITS subsets, SDSS
r-band cut-outs and the sample selection."""
