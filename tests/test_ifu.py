import numpy as np
import pytest

from manga_ssl.survey import ifu


@pytest.mark.parametrize("n_fibres", ifu.FIBRE_COUNTS)
def test_hexagon_footprint_area_matches_the_bundle(n_fibres):
    foot = ifu.hexagon_footprint(n_fibres)
    area = foot.sum() * ifu.SPAXEL_ARCSEC**2
    assert area == pytest.approx(ifu.hexagon_area_arcsec2(n_fibres), rel=0.04)


@pytest.mark.parametrize("n_fibres", ifu.FIBRE_COUNTS)
def test_footprint_fits_the_map_and_is_centred(n_fibres):
    foot = ifu.hexagon_footprint(n_fibres)
    assert not foot[0].any() and not foot[-1].any() and not foot[:, 0].any() and not foot[:, -1].any()
    # symmetric under both flips: centred on the map
    assert np.array_equal(foot, foot[::-1]) and np.array_equal(foot, foot[:, ::-1])
    # vertex-to-vertex extent along x is the bundle diameter
    cols = np.flatnonzero(foot.any(axis=0))
    width = (cols[-1] - cols[0] + 1) * ifu.SPAXEL_ARCSEC
    assert width == pytest.approx(ifu.IFU_DIAMETER_ARCSEC[n_fibres], abs=1.0)


def test_bigger_bundles_cover_more():
    areas = [ifu.hexagon_footprint(n).sum() for n in ifu.FIBRE_COUNTS]
    assert areas == sorted(areas)


def test_ifudesign_to_fibres():
    assert ifu.fibres_from_ifudesign(12703) == 127
    assert ifu.fibres_from_ifudesign(1901) == 19
    with pytest.raises(ValueError, match="1001"):
        ifu.fibres_from_ifudesign(1001)


def test_spaxel_offsets_convention():
    x, y = ifu.spaxel_offsets(4)
    assert x[0, 0] == -0.75 and x[0, -1] == 0.75 and y[-1, 0] == 0.75
    x2, y2 = ifu.spaxel_offsets((2, 4))
    assert x2.shape == (2, 4) and y2[0, 0] == -0.25
