"""One interface to a survey on disk, whatever produced it.

The mock survey is written in the DR17 Science Archive Server (SAS) layout,
so the same paths serve the embedded default and downloaded DR17 products.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from . import formats


@dataclass(frozen=True)
class SurveyLayout:
    """Where each DR17 product of a survey lives under ``root``."""

    root: Path

    def __post_init__(self):
        object.__setattr__(self, "root", Path(self.root))

    @property
    def drpall(self) -> Path:
        return self.root / "drpall-v3_1_1.fits"

    @property
    def pipe3d_catalogue(self) -> Path:
        return self.root / "SDSS17Pipe3D_v3_1_1.fits"

    @property
    def mdlm_catalogue(self) -> Path:
        return self.root / "manga-morphology-dl-DR17.fits"

    @property
    def firefly(self) -> Path:
        return self.root / "firefly" / "manga-firefly-v3_1_1-miles.fits"

    @property
    def truth(self) -> Path:
        """Mock surveys only: the ground truth, read by validation alone."""
        return self.root / "truth.parquet"

    def pipe3d_cube(self, plateifu: str) -> Path:
        plate = plateifu.split("-")[0]
        return self.root / "pipe3d" / plate / f"manga-{plateifu}.Pipe3D.cube.fits.gz"

    def dap_maps(self, plateifu: str) -> Path:
        plate, ifu = plateifu.split("-")
        return self.root / "dap" / plate / ifu / f"manga-{plateifu}-MAPS-HYB10-MILESHC-MASTARSSP.fits.gz"

    def rband_image(self, plateifu: str) -> Path:
        plate = plateifu.split("-")[0]
        return self.root / "rband" / plate / f"manga-{plateifu}-rband.fits.gz"

    # Tables, read through the same readers for mock and real data.
    def read_drpall(self):
        return formats.read_drpall(self.drpall)

    def read_pipe3d_catalogue(self):
        return formats.read_pipe3d_catalogue(self.pipe3d_catalogue)

    def read_mdlm(self):
        return formats.read_mdlm(self.mdlm_catalogue)
