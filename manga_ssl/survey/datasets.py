"""Where a survey's products live: on disk (:class:`SurveyLayout`, the same for
the embedded mock survey and downloaded DR17 products) and on the SDSS Science
Archive Server (:class:`Dr17Archive`, the public DR17 URLs).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from manga_ssl.survey import formats


@dataclass(frozen=True)
class SurveyLayout:
    """Where each DR17 product of a survey lives under ``root``."""

    root: Path
    #: The FIREFLY VAC when it is kept apart (a run's subset of the downloaded VAC).
    firefly_file: Path | None = None

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
    def dapall(self) -> Path:
        return self.root / "dapall-v3_1_1-3.1.0.fits"

    @property
    def firefly(self) -> Path:
        if self.firefly_file is not None:
            return Path(self.firefly_file)
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
        return self.root / "dap" / plate / ifu / f"manga-{plateifu}-MAPS-{DAPTYPE}.fits.gz"

    def rband_image(self, plateifu: str) -> Path:
        plate = plateifu.split("-")[0]
        return self.root / "rband" / plate / f"manga-{plateifu}-rband.fits.gz"

    def sdss_frame(self, run: int, camcol: int, field: int) -> Path:
        """An SDSS r-band frame, kept only until the r-band images are cut from it."""
        return self.root / "frames" / f"frame-r-{run:06d}-{camcol}-{field:04d}.fits.bz2"

    # Tables, read through the same readers for mock and real data.
    def read_drpall(self):
        return formats.read_drpall(self.drpall)

    def read_pipe3d_catalogue(self):
        return formats.read_pipe3d_catalogue(self.pipe3d_catalogue)

    def read_mdlm(self):
        return formats.read_mdlm(self.mdlm_catalogue)


#: DAP analysis whose stellar kinematics the model variation uses.
DAPTYPE = formats.DAPTYPE

#: Extensions a product must have before a download of it counts as done.
PRODUCT_EXTENSIONS = {
    "drpall": ("MANGA",),
    "dapall": (),
    "pipe3d_catalogue": (),
    "mdlm": (),
    "pipe3d_cube": ("SSP", "SELECT_REG"),
    "dap_maps": formats.DAP_MAPS_EXTENSIONS,
}


@dataclass(frozen=True)
class Dr17Archive:
    """Public URLs of the DR17 products on the SAS (``base`` = .../sas/dr17).

    Names follow the files on the SAS, not the sdss-access templates (which
    drop the cube's ``.gz`` and hyphenate the Pipe3D catalogue's name).
    """

    base: str = "https://data.sdss.org/sas/dr17"

    @property
    def spectro(self) -> str:
        return f"{self.base.rstrip('/')}/manga/spectro"

    @property
    def catalogues(self) -> dict[str, str]:
        """Catalogue product -> URL; the file name is the URL's last part."""
        s = self.spectro
        return {
            "drpall": f"{s}/redux/v3_1_1/drpall-v3_1_1.fits",
            "dapall": f"{s}/analysis/v3_1_1/3.1.0/dapall-v3_1_1-3.1.0.fits",
            "pipe3d_catalogue": f"{s}/pipe3d/v3_1_1/3.1.1/SDSS17Pipe3D_v3_1_1.fits",
            "mdlm": f"{self.base.rstrip('/')}/manga/morphology/deep_learning/1.1.1/manga-morphology-dl-DR17.fits",
        }

    def firefly(self, library: str = "miles") -> str:
        return f"{self.spectro}/firefly/v3_1_1/manga-firefly-v3_1_1-{library}.fits"

    def pipe3d_cube(self, plateifu: str) -> str:
        plate, _ = plateifu.split("-")
        return f"{self.spectro}/pipe3d/v3_1_1/3.1.1/{plate}/manga-{plateifu}.Pipe3D.cube.fits.gz"

    def dap_maps(self, plateifu: str) -> str:
        plate, ifu = plateifu.split("-")
        return f"{self.spectro}/analysis/v3_1_1/3.1.0/{DAPTYPE}/{plate}/{ifu}/manga-{plateifu}-MAPS-{DAPTYPE}.fits.gz"

    def sdss_frame(self, run: int, camcol: int, field: int) -> str:
        return (
            f"{self.base.rstrip('/')}/eboss/photoObj/frames/301/{run}/{camcol}/"
            f"frame-r-{run:06d}-{camcol}-{field:04d}.fits.bz2"
        )
