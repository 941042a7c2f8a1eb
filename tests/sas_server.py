"""A Science Archive Server on the loopback interface, for the download tests.

:class:`SurveyServer` serves files from memory with injected faults;
:func:`publish_mock_survey` puts a mock survey on it in the DR17 SAS layout,
with the products the mock does not write itself (dapall, SDSS frames, WCS in
the DAP MAPS headers) made to match.
"""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class SurveyServer:
    """Serves ``files`` {path: bytes}; ``faults`` {path: [fault per request, ...]} are used up in
    order: '500', '404', 'drop' (half the body, then the connection closes), 'slow' (2 s before
    answering), 'truncated' (a cut gzip, announced with its cut length), 'corrupt' (one byte flipped)."""

    def __init__(self, ranges: bool = True):
        self.files, self.faults, self.requests = {}, {}, []
        self.ranges = ranges
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                server.requests.append((self.path, self.headers.get("Range")))
                body = server.files.get(self.path)
                plan = server.faults.get(self.path, [])
                fault = plan.pop(0) if plan else None
                if body is None or fault == "404":
                    return self.answer(404, b"not found")
                if fault == "500":
                    return self.answer(500, b"server error")
                if fault == "slow":
                    time.sleep(2)
                if fault == "truncated":
                    return self.answer(200, body[: len(body) // 2])
                if fault == "corrupt":  # full length, one byte of the compressed data flipped
                    mid = len(body) // 2
                    return self.answer(200, body[:mid] + bytes([body[mid] ^ 0x5A]) + body[mid + 1 :])
                start, stop, partial = 0, len(body), False
                if server.ranges and self.headers.get("Range"):
                    first, _, last = self.headers["Range"].removeprefix("bytes=").partition("-")
                    start, partial = int(first), True
                    stop = min(int(last) + 1, len(body)) if last else len(body)
                    if start >= len(body):
                        return self.answer(416, b"")
                self.send_response(206 if partial else 200)
                self.send_header("Content-Length", str(stop - start))
                if server.ranges:
                    self.send_header("Accept-Ranges", "bytes")
                if partial:
                    self.send_header("Content-Range", f"bytes {start}-{stop - 1}/{len(body)}")
                self.end_headers()
                if fault == "drop":
                    self.wfile.write(body[start : start + (stop - start) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                self.wfile.write(body[start:stop])

            def answer(self, status, body):
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


# --------------------------------------------------------------------------
# A mock survey in the DR17 SAS layout
# --------------------------------------------------------------------------

SAS = "/sas/dr17"


def tan_wcs(ra: float, dec: float, scale_arcsec: float, shape, rotation_deg: float = 0.0, centre=None):
    """A TAN WCS, North up and East left when ``rotation_deg`` is 0; ``centre``: (x, y) of (ra, dec)."""
    import numpy as np
    from astropy.wcs import WCS

    ny, nx = shape
    w = WCS(naxis=2)
    w.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    w.wcs.crval = [ra, dec]
    cx, cy = centre if centre is not None else ((nx - 1) / 2, (ny - 1) / 2)
    w.wcs.crpix = [cx + 1, cy + 1]
    t, s = np.radians(rotation_deg), scale_arcsec / 3600
    w.wcs.cd = [[-s * np.cos(t), s * np.sin(t)], [s * np.sin(t), s * np.cos(t)]]
    return w


def _fits_bytes(hdus, compress=None) -> bytes:
    import bz2
    import gzip
    import io

    from astropy.io import fits

    raw = io.BytesIO()
    fits.HDUList(hdus).writeto(raw)
    data = raw.getvalue()
    if compress == "gz":
        return gzip.compress(data, mtime=0)
    if compress == "bz2":
        return bz2.compress(data)
    return data


def publish_mock_survey(root, server, extra_drpall_rows=(), dapall_not_done=()) -> dict:
    """Serve the mock survey under ``root`` at the DR17 SAS paths of ``server``.

    drpall gets ``extra_drpall_rows`` (dicts of column -> value, for the
    selection's drop reasons) and unique SDSS run numbers; dapall is made from
    drpall (DAPDONE false for ``dapall_not_done``); each DAP MAPS file gets the
    IFU's WCS; each galaxy gets an SDSS frame (0.396 arcsec pixels, rotated,
    off-centre) made from its r-band image. Returns {plateifu: frame WCS}.
    """
    from pathlib import Path

    import numpy as np
    from astropy.io import fits
    from astropy.table import Table

    from manga_ssl.acquisition.rband import resample_flux
    from manga_ssl.survey import formats
    from manga_ssl.survey.datasets import DAPTYPE, Dr17Archive, SurveyLayout

    layout = SurveyLayout(root)
    archive = Dr17Archive(server.url + SAS)
    path = lambda url: url.removeprefix(server.url)  # noqa: E731

    drpall = Table.read(layout.drpall, hdu="MANGA")
    drpall["NSA_RUN"] = np.arange(1000, 1000 + len(drpall))
    for row in extra_drpall_rows:
        drpall.add_row({c: row.get(c, drpall[c][0]) for c in drpall.colnames})
    hdu = fits.table_to_hdu(drpall)
    hdu.name = "MANGA"
    server.files[path(archive.catalogues["drpall"])] = _fits_bytes([fits.PrimaryHDU(), hdu])

    dapall = Table(
        {
            "PLATEIFU": drpall["PLATEIFU"],
            "DAPTYPE": [DAPTYPE] * len(drpall),
            "DAPDONE": [str(p).strip() not in set(dapall_not_done) for p in drpall["PLATEIFU"]],
            "DAPQUAL": np.zeros(len(drpall), np.int64),
        }
    )
    other = Table({"PLATEIFU": drpall["PLATEIFU"], "DAPDONE": np.ones(len(drpall), bool)})
    hdus = [fits.PrimaryHDU(), fits.table_to_hdu(other), fits.table_to_hdu(dapall)]
    hdus[1].name, hdus[2].name = "SPX-MILESHC-MASTARSSP", DAPTYPE
    server.files[path(archive.catalogues["dapall"])] = _fits_bytes(hdus)
    for product, local in (("pipe3d_catalogue", layout.pipe3d_catalogue), ("mdlm", layout.mdlm_catalogue)):
        server.files[path(archive.catalogues[product])] = Path(local).read_bytes()
    server.files[path(archive.firefly("miles"))] = Path(layout.firefly).read_bytes()

    frames = {}
    for k, row in enumerate(drpall):
        pifu = str(row["PLATEIFU"]).strip()
        if not layout.pipe3d_cube(pifu).exists():
            continue  # an extra drpall row: no products
        server.files[path(archive.pipe3d_cube(pifu))] = layout.pipe3d_cube(pifu).read_bytes()
        with fits.open(layout.dap_maps(pifu)) as maps:
            shape = maps["SPX_MFLUX"].data.shape
            ifu = tan_wcs(float(row["OBJRA"]), float(row["OBJDEC"]), 0.5, shape)
            hdus = [h.copy() for h in maps]
        for h in hdus[1:]:
            h.header.update(ifu.to_header())
        server.files[path(archive.dap_maps(pifu))] = _fits_bytes(hdus, "gz")
        frame_wcs = tan_wcs(
            float(row["OBJRA"]),
            float(row["OBJDEC"]),
            0.396,
            (200, 180),
            rotation_deg=11.0 + 23.0 * k,
            centre=(80 + k % 7, 95 - k % 5),
        )
        image, _ = resample_flux(formats.read_rband_image(layout.rband_image(pifu)), ifu, frame_wcs, (200, 180))
        primary = fits.PrimaryHDU(image.astype(np.float32), header=frame_wcs.to_header())
        primary.header["BUNIT"] = "nanomaggy"
        calib = fits.ImageHDU(np.ones(180, np.float32))
        url = archive.sdss_frame(int(row["NSA_RUN"]), int(row["NSA_CAMCOL"]), int(row["NSA_FIELD"]))
        server.files[path(url)] = _fits_bytes([primary, calib], "bz2")
        frames[pifu] = frame_wcs
    return frames
