"""Downloads against a real HTTP server on the loopback interface, with injected faults."""

from __future__ import annotations

import gzip
import io

import numpy as np
import pytest
from astropy.io import fits

from manga_ssl.acquisition.download import DownloadError, check_fits, fetch, fetch_many, product_validator

from .sas_server import SurveyServer

FAST = {"timeout": 0.5, "retries": 4, "backoff": 0.01}


def maps_file(extensions=("SPX_MFLUX", "STELLAR_VEL", "STELLAR_SIGMA"), size=64) -> bytes:
    """A gzipped FITS file with named image extensions, in the DAP MAPS manner."""
    rng = np.random.default_rng(0)
    hdus = [fits.PrimaryHDU()] + [
        fits.ImageHDU(rng.normal(size=(size, size)).astype(np.float32), name=e) for e in extensions
    ]
    raw = io.BytesIO()
    fits.HDUList(hdus).writeto(raw)
    return gzip.compress(raw.getvalue(), mtime=0)


PATH = (
    "/sas/dr17/manga/spectro/analysis/v3_1_1/3.1.0/HYB10-MILESHC-MASTARSSP/8485/1901/"
    "manga-8485-1901-MAPS-HYB10-MILESHC-MASTARSSP.fits.gz"
)
EXT = ("SPX_MFLUX", "STELLAR_VEL", "STELLAR_SIGMA")


def get(server, tmp_path, faults=(), **options):
    server.files[PATH] = body = maps_file()
    server.faults[PATH] = list(faults)
    dest = tmp_path / "maps.fits.gz"
    fetch(server.url + PATH, dest, validate=product_validator(dest.name, EXT), **{**FAST, **options})
    return dest, body


def test_server_errors_are_retried(tmp_path):
    with SurveyServer() as server:
        dest, body = get(server, tmp_path, ["500", "500"])
    assert dest.read_bytes() == body and len(server.requests) == 3
    assert not list(tmp_path.glob("*.part"))


def test_dropped_connection_resumes_with_a_range_request(tmp_path):
    with SurveyServer(ranges=True) as server:
        dest, body = get(server, tmp_path, ["drop"])
    assert dest.read_bytes() == body
    (_, first), (_, second) = server.requests
    assert first is None and second == f"bytes={len(body) // 2}-"


def test_dropped_connection_restarts_where_ranges_are_not_served(tmp_path):
    with SurveyServer(ranges=False) as server:
        dest, body = get(server, tmp_path, ["drop", "drop"])
    assert dest.read_bytes() == body and len(server.requests) == 3


def test_truncated_gzip_is_detected_and_fetched_again(tmp_path):
    with SurveyServer() as server:
        dest, body = get(server, tmp_path, ["truncated"])
    assert dest.read_bytes() == body and len(server.requests) == 2
    check_fits(dest, EXT)


@pytest.mark.parametrize("byte", range(0, 400, 80))
def test_corrupt_gzip_data_is_detected_and_fetched_again(tmp_path, byte):
    """Damaged deflate data raises zlib.error, not OSError: it must still count as a bad copy."""
    body = maps_file()
    mid = len(body) // 2 + byte
    bad = body[:mid] + bytes([body[mid] ^ 0x5A]) + body[mid + 1 :]
    (tmp_path / "bad.fits.gz").write_bytes(bad)
    with pytest.raises(ValueError, match="corrupt or truncated gzip"):
        check_fits(tmp_path / "bad.fits.gz", EXT)
    with SurveyServer() as server:
        dest, body = get(server, tmp_path, ["corrupt"])
    assert dest.read_bytes() == body and len(server.requests) == 2


def test_slow_answer_times_out_then_succeeds(tmp_path):
    with SurveyServer() as server:
        dest, body = get(server, tmp_path, ["slow"])
    assert dest.read_bytes() == body and len(server.requests) == 2


def test_missing_product_fails_at_once_naming_url_and_status(tmp_path):
    with SurveyServer() as server:
        with pytest.raises(DownloadError, match=r"8485-1901-MAPS.*HTTP 404"):
            get(server, tmp_path, ["404"])
    assert len(server.requests) == 1 and not list(tmp_path.iterdir())


def test_persistent_failure_names_the_last_error_and_leaves_no_final_file(tmp_path):
    with SurveyServer() as server:
        with pytest.raises(DownloadError, match="failed after 3 attempts; last error: HTTP 500"):
            get(server, tmp_path, ["500"] * 5, retries=2)
    assert not (tmp_path / "maps.fits.gz").exists()


def test_present_valid_file_is_not_fetched_again_and_an_invalid_one_is(tmp_path):
    with SurveyServer() as server:
        dest, body = get(server, tmp_path)
        get(server, tmp_path)
        assert len(server.requests) == 1
        dest.write_bytes(body[:100])  # damaged since
        get(server, tmp_path)
    assert dest.read_bytes() == body and len(server.requests) == 2


def test_a_file_checked_once_is_not_decompressed_again_until_it_changes(tmp_path):
    calls = []

    def counting(path):
        calls.append(path)
        check_fits(path, EXT, ".gz")

    with SurveyServer() as server:
        server.files[PATH] = body = maps_file()
        dest = tmp_path / "maps.fits.gz"
        for _ in range(3):
            fetch(server.url + PATH, dest, validate=counting, **FAST)
        assert len(calls) == 1 and len(server.requests) == 1  # validated once, on arrival
        dest.write_bytes(body[:-10] + b"0123456789")  # same size, new content and time
        fetch(server.url + PATH, dest, validate=counting, **FAST)
    assert len(calls) == 3 and len(server.requests) == 2  # the changed file was checked, refused, fetched
    assert dest.read_bytes() == body


def test_wrong_fits_extensions_are_refused(tmp_path):
    with SurveyServer() as server:
        server.files[PATH] = maps_file(extensions=("SPX_MFLUX",))
        dest = tmp_path / "maps.fits.gz"
        with pytest.raises(DownloadError, match="lacks extension.*STELLAR_VEL"):
            fetch(server.url + PATH, dest, validate=product_validator(dest.name, EXT), **{**FAST, "retries": 1})
    assert not dest.exists()


def test_many_files_in_parallel_one_missing_galaxy_is_listed_and_the_rest_complete(tmp_path):
    with SurveyServer() as server:
        jobs = []
        for i, ifu in enumerate((1901, 1902, 3701, 3702)):
            path = PATH.replace("1901", str(ifu))
            if ifu != 3701:
                server.files[path] = maps_file(size=32 + i)
            server.faults[path] = ["500"] if ifu == 1902 else []
            dest = tmp_path / f"8485-{ifu}.fits.gz"
            jobs.append((server.url + path, dest, product_validator(dest.name, EXT)))
        results = fetch_many(jobs, max_workers=3, **FAST)
    failed = {d: e for d, e in results.items() if e}
    assert (
        list(failed) == [str(tmp_path / "8485-3701.fits.gz")]
        and "HTTP 404" in failed[str(tmp_path / "8485-3701.fits.gz")]
    )
    for ifu in (1901, 1902, 3702):
        check_fits(tmp_path / f"8485-{ifu}.fits.gz", EXT)


def test_an_unexpected_error_on_one_file_is_listed_not_raised(tmp_path):
    def broken(path):
        raise RuntimeError("disk full")

    with SurveyServer() as server:
        server.files[PATH] = maps_file()
        server.files[PATH + "2"] = maps_file()
        results = fetch_many(
            [
                (server.url + PATH, tmp_path / "a.fits.gz", broken),
                (server.url + PATH + "2", tmp_path / "b.fits.gz", None),
            ],
            **FAST,
        )
    assert results[str(tmp_path / "b.fits.gz")] is None
    assert "RuntimeError: disk full" in results[str(tmp_path / "a.fits.gz")]
    assert not (tmp_path / "a.fits.gz").exists()
