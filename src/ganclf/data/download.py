"""Fetching a dataset's published files: mirrors in turn, a size cap, and a checksum before a file lands."""
import gzip
import hashlib
import http.client
import os
import tempfile
import urllib.error
import urllib.request
import zlib
from pathlib import Path

from .idx import DataError

CHUNK = 1 << 20
# A response over twice the published size is refused: a wrong or hostile URL cannot fill the disk.
SIZE_SLACK = 2


def download(info, target: Path, mirrors=None, timeout: float = 30.0) -> Path:
    """Fetch every missing file of info into target, trying each mirror, verifying content before it lands."""
    target.mkdir(parents=True, exist_ok=True)
    for fname in info.files:
        if not (target / fname).is_file():
            _fetch_one(info, fname, target, mirrors or info.mirrors, timeout)
    return target


def _fetch_one(info, fname: str, target: Path, mirrors, timeout: float) -> None:
    errors = []
    for mirror in mirrors:
        try:
            return _fetch_verified(mirror + fname, target / fname, info, timeout)
        except (urllib.error.URLError, http.client.HTTPException, OSError, DataError) as err:
            errors.append(f"{mirror}: {getattr(err, 'reason', err)}")
    raise DataError(f"could not download {fname} for {info.name}: " + "; ".join(errors))


def _fetch_verified(url: str, dest: Path, info, timeout: float) -> None:
    """Stream url into a temporary file beside dest; it becomes dest only once its checksum matches."""
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=dest.name + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as response:
            _copy_capped(response, out, SIZE_SLACK * info.sizes[dest.name], url)
            out.flush()
            os.fsync(out.fileno())
        verify_file(Path(tmp), dest.name, info, source=url)
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _copy_capped(response, out, limit: int, url: str) -> None:
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        raise DataError(f"{url}: declares {declared} bytes, over twice the published size; refused")
    total = 0
    while chunk := response.read(CHUNK):
        total += len(chunk)
        if total > limit:
            raise DataError(f"{url}: more than {limit} bytes, over twice the published size; refused")
        out.write(chunk)


def verify_file(path: Path, fname: str, info, source: str) -> None:
    """Check a file of info (named fname there) against its published digest."""
    digest = file_digest(path, info.algorithm, gunzipped=info.of_content and fname.endswith(".gz"))
    expected = info.digests[fname]
    if digest != expected:
        raise DataError(f"{source}: checksum mismatch ({info.algorithm} {digest[:12]}..., "
                        f"expected {expected[:12]}...): not the published {info.name} file")


def file_digest(path: Path, algorithm: str, gunzipped: bool = False) -> str:
    """Hex digest of a file, or of its gunzipped content, read in chunks."""
    digest = hashlib.new(algorithm)
    try:
        with (gzip.open if gunzipped else open)(path, "rb") as f:
            while chunk := f.read(CHUNK):
                digest.update(chunk)
    except (EOFError, zlib.error, gzip.BadGzipFile) as err:
        raise DataError(f"{path}: corrupt or truncated gzip data ({err})") from None
    except OSError as err:
        raise DataError(f"{path}: cannot read ({err})") from None
    return digest.hexdigest()
