"""Validation of the mock against real catalogues: the joint relations MaNGA's selection induces."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from astropy.table import Table

from manga_ssl.mock.validation import joint_checks, to_markdown

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent / "shared" / "data" / "real"


def _constructed_catalogue(n=400, seed=0):
    rng = np.random.default_rng(seed)
    log_mass = rng.uniform(9, 11.5, n)
    z = 0.02 + 0.03 * (log_mass - 9)  # a perfect mass-redshift relation
    return pd.DataFrame(
        {
            "log_mass": log_mass,
            "z": z,
            "re_arcsec": rng.uniform(2, 10, n),
            "n_fibres": rng.choice([19, 37, 61, 91, 127], n),
        }
    )


@pytest.mark.skipif(not REAL.exists(), reason="../shared/data/real is absent (a user's clone)")
def test_joint_checks_read_the_real_relations_and_the_mocks():
    drpall = Table.read(REAL / "mpl5_cat_drpall-v2_0_1_subset.fits")
    pipe3d = Table.read(REAL / "manga.Pipe3D-v2_1_2.fits")
    main = (np.asarray(drpall["MNGTARG1"]).astype(np.int64) & (7 << 10)) > 0
    rows = pd.DataFrame(joint_checks(_constructed_catalogue(), pipe3d, drpall, main)).set_index("quantity")
    # MaNGA's selection ties mass to redshift (measured: 0.73 in the MPL-5 main sample, 0.69 in DR14 Pipe3D)
    assert rows.loc["corr(log M*, z)", "real_median"] == pytest.approx(0.73, abs=0.02)
    assert rows.loc["corr(log M*, z) (Pipe3D)", "real_median"] == pytest.approx(0.69, abs=0.03)
    assert rows.loc["corr(log M*, z)", "mock_median"] == pytest.approx(1.0, abs=1e-9)
    assert abs(rows.loc["corr(log Re [arcsec], z)", "real_median"]) < 0.2
    # the bundle is chosen to match the galaxy's size: Re grows with the bundle
    re = [rows.loc[f"Re [arcsec] in {f}-fibre IFUs", "real_median"] for f in (19, 37, 61, 91, 127)]
    assert np.all(np.diff(re) > 0) and 2.5 < re[0] < 3.5 and 8 < re[-1] < 9.5
    assert rows.loc["corr(log M*, z)", "real_n"] > 2000
    assert "corr(log M*, z)" in to_markdown(rows.reset_index())
