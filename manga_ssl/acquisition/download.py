"""Robust downloads of survey products over HTTP (the SAS of SDSS DR17).

One file: retried with exponential back-off on connection errors, time-outs and
server errors; resumed with an HTTP range request where the server honours it
(restarted where it does not); checked against the server's size and by a
validator (gzip integrity, FITS extensions) before it is renamed to its final
name, so a final name always holds a complete, valid file. A file already
present and valid is not fetched again (a ``.checked`` stamp beside it records its size
and modification time once validated, so a rerun does not decompress it again). A 4xx answer (404: no such product)
fails at once with the URL and the status.

Many files: a thread pool with a configurable limit; each file's failure is
reported, not raised, so one missing galaxy never stops the others.
"""

from __future__ import annotations

import bz2
import gzip
import logging
import os
import threading
import time
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

log = logging.getLogger(__name__)


class DownloadError(RuntimeError):
    """A product that could not be fetched; the message names the URL and the reason."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status  # the HTTP status of a refusal (4xx), else None


class _Retry(Exception):
    """A transfer that may succeed when tried again."""


#: Compressed stream by file suffix: (opener, its name, the errors a damaged stream raises).
#: zlib.error: damaged deflate data; ValueError: bz2's "invalid data stream".
_STREAMS = {
    ".gz": (gzip.open, "gzip", (OSError, EOFError, zlib.error)),
    ".bz2": (bz2.open, "bzip2", (OSError, EOFError, ValueError)),
}


def compression(name) -> str | None:
    """'.gz' or '.bz2' when ``name`` names a compressed file, else None."""
    return next((suffix for suffix in _STREAMS if str(name).endswith(suffix)), None)


def check_stream(path, suffix: str) -> None:
    """Raise ValueError unless ``path`` is a complete stream of the compression ``suffix`` names
    (gzip: CRC and length checked)."""
    opener, kind, errors = _STREAMS[suffix]
    try:
        with opener(path, "rb") as f:
            while f.read(1 << 22):
                pass
    except errors as err:
        raise ValueError(f"{path}: corrupt or truncated {kind} ({err})") from err


def check_fits(path, extensions=(), suffix: str | None = None) -> None:
    """Raise ValueError unless ``path`` (plain, or compressed as ``suffix`` says; by default
    its own suffix) is a complete stream that opens as FITS with these extensions."""
    from astropy.io import fits

    suffix = suffix if suffix is not None else compression(path)
    if suffix:
        check_stream(path, suffix)
    try:
        with fits.open(path, memmap=False) as hdul:
            names = {h.name.upper() for h in hdul}
    except Exception as err:  # astropy raises several types for a damaged file
        raise ValueError(f"{path}: does not open as FITS ({err})") from err
    missing = [e for e in extensions if e.upper() not in names]
    if missing:
        raise ValueError(f"{path}: FITS file lacks extension(s) {', '.join(missing)} (has {', '.join(sorted(names))})")


def product_validator(name: str, extensions=()):
    """The check for a product called ``name``: FITS with ``extensions``, else a complete
    compressed stream, else none.

    The check runs on the partial file before its rename, so it looks at ``name``,
    not at the path it is given (astropy recognises compression by content).
    """
    suffix = compression(name)
    fits_file = str(name).removesuffix(suffix or "").endswith(".fits")

    def validate(path):
        if fits_file:
            check_fits(path, extensions, suffix or "")
        elif suffix:
            check_stream(path, suffix)

    return validate


def fetch(
    url: str,
    dest,
    *,
    validate=None,
    timeout: float = 60,
    retries: int = 5,
    backoff: float = 1.0,
    session=None,
    chunk: int = 1 << 20,
) -> Path:
    """Download ``url`` to ``dest`` (see the module docstring); returns ``dest``."""
    import requests

    dest = Path(dest)
    if dest.exists():
        if _checked(dest):
            return dest
        try:
            if validate:
                validate(dest)
            _mark_checked(dest)
            return dest
        except ValueError as err:
            log.warning("%s: present but invalid, fetching again (%s)", dest, err)
            dest.unlink()
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    session = session or requests.Session()

    def attempt():
        _transfer(session, url, part, timeout, chunk)
        if validate:
            try:
                validate(part)
            except ValueError as err:
                part.unlink(missing_ok=True)  # corrupt: start again from nothing
                raise _Retry(str(err)) from err
        os.replace(part, dest)
        _mark_checked(dest)
        return dest

    try:
        return _retrying(url, attempt, retries, backoff)
    except DownloadError as err:
        if err.status is not None:
            part.unlink(missing_ok=True)
        raise


def _stamp_path(dest: Path) -> Path:
    return dest.with_name(dest.name + ".checked")


def _stamp(dest: Path) -> str:
    st = dest.stat()
    return f"{st.st_size} {st.st_mtime_ns}"


def _checked(dest: Path) -> bool:
    """Validated before and unchanged since (same size and modification time): no need to
    decompress it again, which at the survey's scale would take hours on every rerun."""
    stamp = _stamp_path(dest)
    return stamp.exists() and stamp.read_text() == _stamp(dest)


def _mark_checked(dest: Path) -> None:
    _stamp_path(dest).write_text(_stamp(dest))


def remove(dest) -> None:
    """Delete a fetched file and its stamp."""
    dest = Path(dest)
    dest.unlink(missing_ok=True)
    _stamp_path(dest).unlink(missing_ok=True)


def _retrying(url: str, attempt, retries: int, backoff: float):
    """Run ``attempt()`` until it succeeds, retrying what may be transient; 4xx fails at once."""
    import requests
    import urllib3

    last = None
    for k in range(retries + 1):
        if k:
            time.sleep(backoff * 2 ** (k - 1))
        try:
            return attempt()
        except requests.HTTPError as err:
            status = err.response.status_code
            if 400 <= status < 500 and status not in (408, 429):
                raise DownloadError(f"{url}: HTTP {status} {err.response.reason}", status) from err
            last = f"HTTP {status}"
        except _Retry as err:
            last = str(err)
        except (requests.RequestException, urllib3.exceptions.HTTPError) as err:
            # urllib3's errors (a dropped connection, a read time-out) surface while streaming the body
            last = f"{type(err).__name__}: {err}"
        log.info("%s: attempt %d/%d failed (%s)", url, k + 1, retries + 1, last)
    raise DownloadError(f"{url}: failed after {retries + 1} attempts; last error: {last}")


class RangesUnsupported(DownloadError):
    """The server answered a range request with the whole file."""


class RemoteFile:
    """Byte ranges of a file on an HTTP server, each read with retries (see :func:`fetch`)."""

    def __init__(self, url: str, *, session=None, timeout: float = 60, retries: int = 5, backoff: float = 1.0):
        import requests

        self.url, self.timeout, self.retries, self.backoff = url, timeout, retries, backoff
        self.session = session or requests.Session()
        self.size = None  # known after the first read (from Content-Range)

    def read(self, start: int, length: int) -> bytes:
        if self.size is not None:
            length = max(0, min(length, self.size - start))
        if length == 0:
            return b""

        def attempt():
            headers = {"Range": f"bytes={start}-{start + length - 1}", "Accept-Encoding": "identity"}
            with self.session.get(self.url, headers=headers, timeout=self.timeout, stream=True) as response:
                response.raise_for_status()
                if response.status_code != 206:
                    raise RangesUnsupported(f"{self.url}: the server ignores HTTP range requests")
                first, _, total = response.headers.get("Content-Range", "").removeprefix("bytes ").partition("/")
                if not first.startswith(f"{start}-"):
                    raise _Retry(f"range answer starts elsewhere ({first!r}, asked {start})")
                body = response.raw.read(decode_content=False)
            if total.isdigit():
                self.size = int(total)
            want = min(length, self.size - start) if self.size is not None else length
            if len(body) != want:
                raise _Retry(f"short range: {len(body)} of {want} bytes")
            return body

        return _retrying(self.url, attempt, self.retries, self.backoff)


class LocalFile:
    """The same interface as :class:`RemoteFile` for a file on disk."""

    def __init__(self, path):
        self.url = str(path)
        self.size = Path(path).stat().st_size
        self._fh = open(path, "rb")

    def read(self, start: int, length: int) -> bytes:
        self._fh.seek(start)
        return self._fh.read(max(0, min(length, self.size - start)))

    def close(self):
        self._fh.close()


def _transfer(session, url, part: Path, timeout: float, chunk: int) -> None:
    have = part.stat().st_size if part.exists() else 0
    headers = {"Range": f"bytes={have}-", "Accept-Encoding": "identity"} if have else {"Accept-Encoding": "identity"}
    with session.get(url, stream=True, timeout=timeout, headers=headers) as response:
        if response.status_code == 416:  # the partial file is not a prefix the server knows: restart
            part.unlink(missing_ok=True)
            raise _Retry("range not satisfiable")
        response.raise_for_status()
        if have and response.status_code == 206:
            mode, start = "ab", have
            total = response.headers.get("Content-Range", "").rpartition("/")[2]
        else:  # no range support (or a fresh start): the whole file again
            mode, start = "wb", 0
            total = response.headers.get("Content-Length")
        with open(part, mode) as f:
            for block in response.raw.stream(chunk, decode_content=False):
                f.write(block)
    size = part.stat().st_size
    if total and total.isdigit() and size != int(total):
        raise _Retry(f"incomplete: {size} of {total} bytes (resuming from {start})")


def fetch_many(jobs, *, max_workers: int = 4, **options) -> dict:
    """Fetch every (url, dest, validate) of ``jobs`` with at most ``max_workers`` at once.

    Returns {dest: None when fetched or already present, else the reason it failed}.
    """
    import requests

    local = threading.local()

    def one(job):
        url, dest, validate = job
        if not hasattr(local, "session"):
            local.session = requests.Session()
        try:
            fetch(url, dest, validate=validate, session=local.session, **options)
            return str(dest), None
        except DownloadError as err:
            log.warning("%s", err)
            return str(dest), str(err)
        except Exception as err:  # anything else about one file must not stop the others
            log.warning("%s: %s: %s", url, type(err).__name__, err)
            return str(dest), f"{url}: {type(err).__name__}: {err}"

    jobs = list(jobs)
    results, done = {}, 0
    with ThreadPoolExecutor(max_workers=max_workers) as pool:
        for dest, error in pool.map(one, jobs):
            results[dest] = error
            done += 1
            if done % 100 == 0 or done == len(jobs):
                log.info(
                    "downloads: %d/%d done, %d failed", done, len(jobs), sum(e is not None for e in results.values())
                )
    return results
