"""Rows of a large FITS file without the whole file: the FIREFLY VAC by HTTP range requests.

The FIREFLY VAC holds every galaxy in one ~6 GB file per stellar library, with
the galaxy as the slowest-varying axis of each extension. A FITS file is a
sequence of 2880-byte blocks: a header, then the data. Reading the headers
one after the other gives every extension's place and shape; a galaxy's row
of an extension is then one contiguous byte range. This module walks the
headers of any byte source (:class:`~manga_ssl.download.RemoteFile` or
:class:`~manga_ssl.download.LocalFile`) and writes a smaller, valid FITS file
holding only the chosen rows of the chosen extensions, headers kept (units,
scaling) except the row count.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from math import prod

from astropy.io import fits

from manga_ssl.core.files import atomic_output
from manga_ssl.survey.formats import SurveyFileError

BLOCK = 2880
#: Rows closer than this many bytes are read in one request (fewer round trips) ...
MERGE_GAP_BYTES = 1 << 20
#: ... of at most this many bytes (memory, and what a dropped connection costs).
MAX_REQUEST_BYTES = 32 << 20
#: The FIREFLY extensions the model variation needs.
FIREFLY_EXTENSIONS = ("GALAXY_INFO", "SPATIAL_BINID", "LW_AGE_VORONOI", "LW_Z_VORONOI")

log = logging.getLogger(__name__)


@dataclass
class HduSpan:
    """One extension of a FITS file: its header and where its data lie."""

    header: fits.Header
    header_start: int
    data_start: int
    data_bytes: int  # without the padding to whole blocks

    @property
    def name(self) -> str:
        return str(self.header.get("EXTNAME", "PRIMARY" if self.header_start == 0 else "")).strip().upper()

    @property
    def axes(self) -> list[int]:
        """NAXIS1..NAXISn (FITS order: the last is the slowest, the row axis)."""
        return [int(self.header[f"NAXIS{i}"]) for i in range(1, int(self.header.get("NAXIS", 0)) + 1)]

    @property
    def row_bytes(self) -> int:
        return abs(int(self.header["BITPIX"])) // 8 * prod(self.axes[:-1])

    @property
    def n_rows(self) -> int:
        return self.axes[-1] if self.axes else 0

    @property
    def end(self) -> int:
        return self.data_start + _padded(self.data_bytes)


def _padded(n: int) -> int:
    return -(-n // BLOCK) * BLOCK


def hdu_spans(source) -> list[HduSpan]:
    """Every HDU of ``source`` (an object with ``read(start, length)`` and ``size``)."""
    spans, start = [], 0
    while True:
        if source.size is not None and start >= source.size:
            break
        raw, end = b"", None
        while end is None:
            chunk = source.read(start + len(raw), 4 * BLOCK)
            if not chunk:
                raise SurveyFileError(source.url, f"FITS header at byte {start} has no END card (truncated file?)")
            raw += chunk
            for k in range(0, len(raw) - 79, 80):
                if raw[k : k + 80].rstrip() == b"END":
                    end = k + 80
                    break
        head_bytes = _padded(end)
        try:
            header = fits.Header.fromstring(raw[:end].decode("ascii"))
        except Exception as exc:
            raise SurveyFileError(source.url, f"unreadable FITS header at byte {start} ({exc})") from None
        naxis = int(header.get("NAXIS", 0))
        size = 0
        if naxis:
            size = (
                abs(int(header["BITPIX"]))
                // 8
                * int(header.get("GCOUNT", 1))
                * (int(header.get("PCOUNT", 0)) + prod(int(header[f"NAXIS{i}"]) for i in range(1, naxis + 1)))
            )
        span = HduSpan(header, start, start + head_bytes, size)
        spans.append(span)
        start = span.end
        if source.size is None:
            raise SurveyFileError(source.url, "the server does not say the file's size (no Content-Range total)")
    return spans


def _row_runs(rows, row_bytes: int):
    """Sorted unique rows grouped into runs read by one request each: [(first, last), ...]."""
    runs = []
    for r in sorted(set(rows)):
        if (
            runs
            and (r - runs[-1][1] - 1) * row_bytes < MERGE_GAP_BYTES
            and (r - runs[-1][0] + 1) * row_bytes <= MAX_REQUEST_BYTES
        ):
            runs[-1][1] = r
        else:
            runs.append([r, r])
    return runs


def read_rows(source, span: HduSpan, rows) -> bytes:
    """The bytes of ``rows`` (in the order given) of one extension."""
    if span.header.get("PCOUNT", 0):
        raise SurveyFileError(
            source.url, "rows of a table with a heap (variable-length columns) cannot be cut out", span.name
        )
    bad = [r for r in rows if not 0 <= r < span.n_rows]
    if bad:
        raise SurveyFileError(source.url, f"row {bad[0]} outside 0..{span.n_rows - 1}", span.name)
    rb = span.row_bytes
    got = {}
    for first, last in _row_runs(rows, rb):
        block = source.read(span.data_start + first * rb, (last - first + 1) * rb)
        if len(block) != (last - first + 1) * rb:
            raise SurveyFileError(source.url, f"rows {first}-{last} end early: the file is truncated", span.name)
        for r in range(first, last + 1):
            got[r] = block[(r - first) * rb : (r - first + 1) * rb]
    return b"".join(got[r] for r in rows)


def write_row_subset(source, spans: list[HduSpan], rows: dict[str, list[int]], dest) -> None:
    """Write a FITS file with the primary header and, for each ``rows`` item, those rows of that extension."""
    by_name = {s.name: s for s in spans}
    missing = [n for n in rows if n not in by_name]
    if missing:
        raise SurveyFileError(
            source.url, f"extension(s) {', '.join(missing)} missing (file has: {', '.join(s.name for s in spans)})"
        )
    primary = _without_checksums(spans[0].header)
    if primary.get("NAXIS", 0):
        primary["NAXIS"] = 0
        for i in range(1, 10):
            primary.remove(f"NAXIS{i}", ignore_missing=True)
    out = io.BytesIO()
    out.write(primary.tostring().encode("ascii"))
    for name, chosen in rows.items():
        span = by_name[name]
        header = _without_checksums(span.header)
        header[f"NAXIS{len(span.axes)}"] = len(chosen)
        data = read_rows(source, span, chosen)
        out.write(header.tostring().encode("ascii"))
        out.write(data + b"\0" * (_padded(len(data)) - len(data)))
    with atomic_output(dest) as tmp:
        with open(tmp, "wb") as fh:
            fh.write(out.getvalue())


def _without_checksums(header: fits.Header) -> fits.Header:
    """A copy without CHECKSUM/DATASUM, which no longer hold once rows are cut out."""
    out = header.copy()
    for key in ("CHECKSUM", "DATASUM"):
        out.remove(key, ignore_missing=True)
    return out


def _galaxy_info(source, span: HduSpan):
    """The GALAXY_INFO table, read whole (a few MB), as an astropy table."""
    data = read_rows(source, span, list(range(span.n_rows)))
    blob = (
        fits.Header({"SIMPLE": True, "BITPIX": 8, "NAXIS": 0, "EXTEND": True}).tostring().encode("ascii")
        + span.header.tostring().encode("ascii")
        + data
        + b"\0" * (_padded(len(data)) - len(data))
    )
    with fits.open(io.BytesIO(blob)) as hdul:
        return hdul[1].data.copy()


def firefly_subset(source, plateifus, dest) -> list[str]:
    """Write the FIREFLY VAC rows of ``plateifus`` to ``dest``; return the plateifus it holds.

    Galaxies absent from the VAC are left out (preprocessing names them in its
    rejection list).
    """
    spans = hdu_spans(source)
    by_name = {s.name: s for s in spans}
    if "GALAXY_INFO" not in by_name:
        raise SurveyFileError(
            source.url, f"extension GALAXY_INFO is missing (file has: {', '.join(s.name for s in spans)})"
        )
    info = _galaxy_info(source, by_name["GALAXY_INFO"])
    column = next((c for c in info.columns.names if c.upper() == "PLATEIFU"), None)
    if column is None:
        raise SurveyFileError(source.url, "no PLATEIFU column", "GALAXY_INFO")
    row_of = {str(p).strip(): i for i, p in enumerate(info[column])}
    n = len(info)
    for name in FIREFLY_EXTENSIONS[1:]:
        if name in by_name and by_name[name].n_rows != n:
            raise SurveyFileError(source.url, f"{by_name[name].n_rows} rows, GALAXY_INFO has {n}", name)
    present = [p for p in plateifus if p in row_of]
    rows = [row_of[p] for p in present]
    write_row_subset(source, spans, {name: rows for name in FIREFLY_EXTENSIONS}, dest)
    log.info("FIREFLY: %d of %d requested galaxies found in %s", len(present), len(plateifus), source.url)
    return present
