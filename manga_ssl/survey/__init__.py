"""The survey's formats and geometry: MaNGA DR17 products (readers and writers), where each
lives, IFU bundles, target samples and the cosmology."""
