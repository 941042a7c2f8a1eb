"""What reading the FIREFLY VAC by HTTP range requests saves (docs/benchmarks.md).

    .venv/bin/python bench/download_firefly.py [--galaxies 10010] [--bins 800] [--samples 200 9507]

Writes a synthetic FIREFLY VAC with the DR17 layout (GALAXY_INFO, SPATIAL_BINID
80x80 per galaxy, per-bin value/error arrays; the three extensions the model
variation reads plus six it does not, standing in for the VAC's other maps),
serves it from a loopback HTTP server, and for each sample size cuts a random
sample's rows out by range requests, then (once) downloads the whole file as
the no-range fallback does. Reports bytes moved, requests and seconds; on the
loopback the seconds measure our overhead, not the SAS's bandwidth.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from astropy.io import fits
from astropy.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from manga_ssl.acquisition.download import RemoteFile, fetch
from manga_ssl.acquisition.fits_subset import firefly_subset
from manga_ssl.survey import formats
from tests.sas_server import SurveyServer  # noqa: E402

OTHER_MAPS = (
    "MW_AGE_VORONOI",
    "MW_Z_VORONOI",
    "E(B-V)_VORONOI",
    "STELLAR_MASS_VORONOI",
    "SURFACE_MASS_DENSITY_VORONOI",
    "MASS_AGE_VORONOI",
)


def synthetic_vac(path: Path, n: int, nbin: int, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    plateifus = [f"{7443 + i // 17}-{(1901, 3701, 6101, 9101, 12701)[i % 5] + i % 2}" for i in range(n)]
    info = Table({"PLATEIFU": np.array(plateifus, dtype="U12"), "REDSHIFT": rng.uniform(0.01, 0.15, n)})
    hdus = [fits.PrimaryHDU(), fits.table_to_hdu(info)]
    hdus[1].name = "GALAXY_INFO"
    hdus.append(fits.ImageHDU(rng.integers(-1, nbin, (n, 80, 80), dtype=np.int32), name="SPATIAL_BINID"))
    for name in ("LW_AGE_VORONOI", "LW_Z_VORONOI") + OTHER_MAPS:
        hdus.append(fits.ImageHDU(rng.normal(size=(n, nbin, 2)).astype(np.float32), name=name))
    hdus[3].header["BUNIT"] = "log(Gyr)"
    fits.HDUList(hdus).writeto(path)
    return plateifus


def moved(requests, path, size) -> tuple[int, int]:
    total, count = 0, 0
    for p, rng in requests:
        if p != path:
            continue
        count += 1
        if rng:
            first, _, last = rng.removeprefix("bytes=").partition("-")
            total += min(int(last) + 1, size) - int(first) if last else size - int(first)
        else:
            total += size
    return total, count


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--galaxies", type=int, default=10010)
    ap.add_argument("--bins", type=int, default=800)
    ap.add_argument("--samples", type=int, nargs="+", default=[200, 9507])
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        t0 = time.perf_counter()
        plateifus = synthetic_vac(tmp / "vac.fits", args.galaxies, args.bins)
        body = (tmp / "vac.fits").read_bytes()
        print(
            f"synthetic VAC: {args.galaxies} galaxies x {args.bins} bins, {len(body) / 1e6:.0f} MB "
            f"({time.perf_counter() - t0:.1f} s to write)"
        )
        url_path = "/sas/dr17/manga/spectro/firefly/v3_1_1/manga-firefly-v3_1_1-miles.fits"
        rng = np.random.default_rng(1)
        with SurveyServer() as server:
            server.files[url_path] = body
            for k in args.samples:
                sample = sorted(rng.choice(plateifus, size=min(k, len(plateifus)), replace=False).tolist())
                server.requests.clear()
                t0 = time.perf_counter()
                found = firefly_subset(RemoteFile(server.url + url_path), sample, tmp / f"sub{k}.fits")
                seconds = time.perf_counter() - t0
                nbytes, nreq = moved(server.requests, url_path, len(body))
                vac, sub = formats.FireflyVAC(tmp / "vac.fits"), formats.FireflyVAC(tmp / f"sub{k}.fits")
                assert len(found) == len(sample)
                for p in sample[:: max(1, len(sample) // 20)]:  # spot checks: the rows are the VAC's
                    for a, b in zip(vac.maps(p, (74, 74)), sub.maps(p, (74, 74))):
                        np.testing.assert_array_equal(a, b)
                vac.close(), sub.close()
                print(
                    f"ranges, {k} galaxies: {nbytes / 1e6:.1f} MB moved ({100 * nbytes / len(body):.1f}% of the "
                    f"file) in {nreq} requests, {seconds:.1f} s; subset file "
                    f"{(tmp / f'sub{k}.fits').stat().st_size / 1e6:.1f} MB"
                )
            server.requests.clear()
            t0 = time.perf_counter()
            fetch(server.url + url_path, tmp / "whole.fits")
            print(
                f"whole file (no-range fallback): {len(body) / 1e6:.0f} MB in 1 request, "
                f"{time.perf_counter() - t0:.1f} s"
            )


if __name__ == "__main__":
    main()
