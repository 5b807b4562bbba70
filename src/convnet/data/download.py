"""Where dataset files come from: the search order, checksums and atomic downloads.

A dataset asks for its original files by name. Each file is looked for, in this order, in

1. the ``root`` argument: ``root/<folder>/`` then ``root/`` itself,
2. ``$CONVNET_DATA/<folder>/`` (a folder holding ``mnist/``, ``fashion-mnist/``, ``kmnist/``, ``cifar-10/``),
3. the user cache ``~/.cache/convnet/<folder>/`` (``$XDG_CACHE_HOME/convnet/<folder>/`` when that is set),

and, with ``download=True``, fetched from the dataset's public mirrors into ``root/<folder>/`` (when a root
was given) or into the cache. Every file, found or downloaded, is checked against its published size and
SHA-256 before it is used; a wrong file raises `DatasetError` and is never read.

A file found nowhere raises `DatasetNotFoundError`, whose message names the switches to change as the caller
spells them: ``root=DIR`` and ``download=True`` from Python, ``--data-dir DIR`` and ``--no-download`` inside
`command_line_spelling` (which the ``convnet`` command runs every command in).

>>> from convnet.data.download import cache_dir
>>> cache_dir().name
'convnet'
"""

from __future__ import annotations

import contextvars
import hashlib
import http.client
import os
import secrets
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConvnetFileError, ConvnetFileNotFoundError, ConvnetValueError

ENV_VAR = "CONVNET_DATA"
DOWNLOAD_TIMEOUT = 30.0  # seconds without data before a download is given up
_CHUNK = 1 << 20


class DatasetError(ConvnetValueError):
    """A dataset file is missing, corrupt, truncated or not the file it claims to be."""


class DatasetNotFoundError(DatasetError, ConvnetFileNotFoundError):
    """No copy of a dataset file was found anywhere, and none could be downloaded."""


class DownloadError(DatasetError):
    """Every mirror of a file failed (network error, HTTP error, incomplete or corrupt transfer)."""


_SPELLING: contextvars.ContextVar[str] = contextvars.ContextVar("convnet_data_spelling", default="python")


@contextmanager
def command_line_spelling() -> Iterator[None]:
    """Within this block, missing-data errors name the ``convnet`` command's options (``--data-dir DIR``,
    ``--no-download``) instead of the Python arguments (``root=DIR``, ``download=False``).

    >>> with command_line_spelling():
    ...     [label.split(" ")[0] for label, _ in search_dirs("mnist")][:2]
    ['--data-dir', '--data-dir']
    """
    token = _SPELLING.set("cli")
    try:
        yield
    finally:
        _SPELLING.reset(token)


def _spelled_for_cli() -> bool:
    return _SPELLING.get() == "cli"


@dataclass(frozen=True)
class RemoteFile:
    """One original dataset file: its name, published size in bytes and published checksums.

    ``md5`` is optional: when given (for files whose publisher states an MD5), it is checked too.

    >>> RemoteFile("t10k-labels-idx1-ubyte.gz", 4542, "f7ae60f9" + "0" * 56).name
    't10k-labels-idx1-ubyte.gz'
    """

    name: str
    size: int
    sha256: str
    md5: str | None = None


def cache_dir() -> Path:
    """The user cache folder of convnet: ``$XDG_CACHE_HOME/convnet``, else ``~/.cache/convnet``."""
    base = os.environ.get("XDG_CACHE_HOME")
    return (Path(base) if base else Path.home() / ".cache") / "convnet"


def search_dirs(folder: str, root: str | os.PathLike[str] | None = None) -> list[tuple[str, Path | None]]:
    """The folders searched for a dataset's files, in order, each with a description for error messages.

    An entry's path is None when its source is not configured (no root given, variable not set).

    >>> [label.split(" ")[0] for label, _ in search_dirs("mnist")]
    ['root', 'root', '$CONVNET_DATA', 'cache']
    """
    env = os.environ.get(ENV_VAR)
    name = "--data-dir" if _spelled_for_cli() else "root"
    root_dirs: list[tuple[str, Path | None]]
    if root is None:
        root_dirs = [(f"{name} (not given)", None)] * 2
    else:
        root_dirs = [(f"{name} {Path(root) / folder}", Path(root) / folder), (f"{name} {Path(root)}", Path(root))]
    env_dir = (f"${ENV_VAR} (not set)", None) if not env else (f"${ENV_VAR} {Path(env) / folder}",
                                                                 Path(env) / folder)
    return [*root_dirs, env_dir, (f"cache {cache_dir() / folder}", cache_dir() / folder)]


def _digests(path: Path) -> tuple[str, str]:
    """SHA-256 and MD5 of a file, read in chunks."""
    sha, md5 = hashlib.sha256(), hashlib.md5(usedforsecurity=False)
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            sha.update(chunk)
            md5.update(chunk)
    return sha.hexdigest(), md5.hexdigest()


def _mismatch(path: Path, expected: RemoteFile) -> str | None:
    """What is wrong with `path` as a copy of `expected` (size, SHA-256, MD5), or None when it matches."""
    size = path.stat().st_size
    if size != expected.size:
        return f"it is {size:,} bytes, the original is {expected.size:,} bytes (truncated, or another file)"
    sha, md5 = _digests(path)
    if sha != expected.sha256:
        return f"its SHA-256 is {sha}, the published one is {expected.sha256}"
    if expected.md5 is not None and md5 != expected.md5:
        return f"its MD5 is {md5}, the published one is {expected.md5}"
    return None


def verify_file(path: str | os.PathLike[str], expected: RemoteFile) -> Path:
    """Check a file on disk against its published size and checksums; returns its path.

    Raises `DatasetError` naming the file, the expected and actual values, and what to do.

    >>> import hashlib, pathlib, tempfile
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.bin"; _ = p.write_bytes(b"abc")
    >>> verify_file(p, RemoteFile("x.bin", 3, hashlib.sha256(b"abc").hexdigest())).name
    'x.bin'
    """
    path = Path(path)
    problem = _mismatch(path, expected)
    if problem is not None:
        raise DatasetError(
            f"{path} is not the original {expected.name}: {problem}. Delete it and run again to download "
            f"it afresh, or replace it with the original file"
        )
    return path


def temporary_file(final: Path) -> Path:
    """A new, empty file beside `final` to write it in before renaming it into place (atomic replace).

    Made with the usual permissions (as `open` would), unlike `tempfile`, whose files only the owner reads.
    """
    while True:
        tmp = final.with_name(f".{final.name}.{secrets.token_hex(6)}.part")
        try:
            tmp.open("xb").close()
            return tmp
        except FileExistsError:
            continue


def download_file(
    expected: RemoteFile, mirrors: Sequence[str], folder: str | os.PathLike[str],
    timeout: float = DOWNLOAD_TIMEOUT,
) -> Path:
    """Download `expected` from the first mirror that serves it intact; returns the final path.

    Each attempt streams into a temporary file inside `folder` and is renamed to ``folder/name`` only
    once complete and verified, so an interrupted or corrupt transfer never leaves a file in place.
    Raises `DownloadError` (one line, naming every mirror tried and why it failed).

    >>> import tempfile
    >>> download_file(RemoteFile("f.gz", 1, "0" * 64), ["http://127.0.0.1:9/"], tempfile.mkdtemp(),
    ...               timeout=1)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    convnet.data.download.DownloadError: could not download f.gz: http://127.0.0.1:9/f.gz (...)
    """
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ConvnetFileError(f"{folder}: cannot create the folder to download {expected.name} into "
                               f"({e.strerror or e}); choose another with "
                               f"{'--data-dir' if _spelled_for_cli() else 'root='} or {ENV_VAR}") from e
    failures = []
    for mirror in mirrors:
        url = mirror.rstrip("/") + "/" + expected.name
        final = folder / expected.name
        tmp = temporary_file(final)
        try:
            _fetch(url, tmp, timeout)
            problem = _mismatch(tmp, expected)
            if problem is None:
                os.replace(tmp, final)
                return final
            failures.append(f"{url} (corrupt transfer: {problem})")
        except (OSError, http.client.HTTPException) as e:
            failures.append(f"{url} ({_reason(e)})")
        finally:
            tmp.unlink(missing_ok=True)
    raise DownloadError(f"could not download {expected.name}: " + "; ".join(failures))


def _fetch(url: str, dest: Path, timeout: float) -> None:
    """Stream `url` into `dest`; raises OSError when fewer bytes arrive than the server announced."""
    print(f"convnet.data: downloading {url}", file=sys.stderr)
    with urllib.request.urlopen(url, timeout=timeout) as response, dest.open("wb") as out:
        announced = response.headers.get("Content-Length")
        received = 0
        while chunk := response.read(_CHUNK):
            out.write(chunk)
            received += len(chunk)
        out.flush()
        os.fsync(out.fileno())
    if announced is not None and received != int(announced):
        raise OSError(f"connection closed after {received:,} of {int(announced):,} bytes")


def _reason(error: BaseException) -> str:
    """A short, single-line reason for a network failure."""
    if isinstance(error, urllib.error.HTTPError):
        return f"HTTP {error.code} {error.reason}"
    if isinstance(error, urllib.error.URLError):
        return f"network error: {error.reason}"
    return f"{type(error).__name__}: {error}".replace("\n", " ")


def locate_files(
    dataset: str, folder: str, files: Sequence[RemoteFile], mirrors: Sequence[str],
    root: str | os.PathLike[str] | None = None, download: bool = True,
) -> list[Path]:
    """Find each of `files` along the search order (see the module docstring), verified; download the rest.

    Raises `DatasetError` for a wrong copy found on disk, and `DatasetNotFoundError` (one line: every place
    looked at, every download failure, and how to point convnet at real data) when a file is nowhere.
    """
    places = search_dirs(folder, root)
    found: list[Path] = []
    for spec in files:
        path = next((d / spec.name for _, d in places if d is not None and (d / spec.name).is_file()), None)
        if path is not None:
            found.append(verify_file(path, spec))
            continue
        cli = _spelled_for_cli()
        failure = f"download disabled ({'--no-download' if cli else 'download=False'})"
        if download:
            dest = Path(root) / folder if root is not None else cache_dir() / folder
            try:
                found.append(download_file(spec, mirrors, dest))
                continue
            except DownloadError as e:
                failure = str(e)
        looked = ", ".join(dict.fromkeys(label for label, _ in places))
        pass_root = "--data-dir DIR" if cli else "root=DIR (CLI: --data-dir DIR)"
        enable = "leave out --no-download" if cli else "pass download=True"
        raise DatasetNotFoundError(
            f"{dataset}: {spec.name} not found. Looked in: {looked}; {failure}. To use real data, pass "
            f"{pass_root} or set {ENV_VAR}=DIR, where DIR/{folder}/ holds the original "
            f"files ({', '.join(f.name for f in files)})"
            + ("" if download else f", or {enable} to fetch them")
        )
    return found
