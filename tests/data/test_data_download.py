"""Checksums, atomic downloads from a local HTTP server, and the order in which places are searched."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import numpy as np
import pytest
from data_helpers import spec_of

from convnet.data import MNIST, DatasetError, DatasetNotFoundError, DownloadError, download
from convnet.data.download import (
    cache_dir,
    command_line_spelling,
    download_file,
    locate_files,
    search_dirs,
    verify_file,
)

CONTENT = bytes(range(256)) * 40  # 10,240 bytes
SPEC = spec_of("blob.gz", CONTENT)


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ------------------------------------------------------------------ verify_file
def test_verify_accepts_the_original(tmp_path):
    path = tmp_path / "blob.gz"
    path.write_bytes(CONTENT)
    assert verify_file(path, SPEC) == path


def test_verify_names_sizes_of_a_truncated_file(tmp_path):
    path = tmp_path / "blob.gz"
    path.write_bytes(CONTENT[:1000])
    with pytest.raises(DatasetError) as err:
        verify_file(path, SPEC)
    message = str(err.value)
    assert str(path) in message and "1,000 bytes" in message and "10,240 bytes" in message
    assert "Delete it" in message


def test_verify_names_both_checksums_of_a_corrupt_file(tmp_path):
    path = tmp_path / "blob.gz"
    corrupt = bytearray(CONTENT)
    corrupt[5000] ^= 0xFF
    path.write_bytes(bytes(corrupt))
    with pytest.raises(DatasetError) as err:
        verify_file(path, SPEC)
    assert SPEC.sha256 in str(err.value) and spec_of("x", bytes(corrupt)).sha256 in str(err.value)


def test_verify_checks_md5_when_published(tmp_path):
    path = tmp_path / "blob.gz"
    path.write_bytes(CONTENT)
    wrong_md5 = download.RemoteFile(SPEC.name, SPEC.size, SPEC.sha256, "0" * 32)
    with pytest.raises(DatasetError, match="MD5"):
        verify_file(path, wrong_md5)


# ------------------------------------------------------------------ download_file
def test_download_lands_verified_and_atomically(http_server, tmp_path):
    (http_server.root / "blob.gz").write_bytes(CONTENT)
    dest = tmp_path / "dest"
    path = download_file(SPEC, [http_server.url], dest, timeout=5)
    assert path == dest / "blob.gz" and path.read_bytes() == CONTENT
    assert leftovers(dest) == ["blob.gz"]  # the temporary file was renamed, nothing else remains


def test_download_falls_back_to_the_next_mirror(http_server, tmp_path):
    (http_server.root / "good").mkdir()
    (http_server.root / "good" / "blob.gz").write_bytes(CONTENT)
    path = download_file(SPEC, [http_server.url + "missing/", http_server.url + "good/"], tmp_path, timeout=5)
    assert path.read_bytes() == CONTENT


def test_download_with_wrong_checksum_leaves_nothing(http_server, tmp_path):
    corrupt = bytearray(CONTENT)
    corrupt[0] ^= 1
    (http_server.root / "blob.gz").write_bytes(bytes(corrupt))
    dest = tmp_path / "dest"
    with pytest.raises(DownloadError) as err:
        download_file(SPEC, [http_server.url], dest, timeout=5)
    message = str(err.value)
    assert "corrupt" in message and SPEC.sha256 in message and http_server.url + "blob.gz" in message
    assert leftovers(dest) == []


def test_download_of_truncated_copy_is_refused(http_server, tmp_path):
    (http_server.root / "blob.gz").write_bytes(CONTENT[:4096])
    with pytest.raises(DownloadError, match="4,096 bytes, the original is 10,240 bytes"):
        download_file(SPEC, [http_server.url], tmp_path / "dest", timeout=5)
    assert leftovers(tmp_path / "dest") == []


def test_download_cut_short_by_the_server_is_refused(http_server, tmp_path):
    (http_server.root / "blob.gz").write_bytes(CONTENT)
    with pytest.raises(DownloadError, match=r"after 5,120 of 10,240 bytes|IncompleteRead"):
        download_file(SPEC, [http_server.url + "cut/"], tmp_path / "dest", timeout=5)
    assert leftovers(tmp_path / "dest") == []


def test_download_http_error_is_named(http_server, tmp_path):
    with pytest.raises(DownloadError, match="HTTP 404"):
        download_file(SPEC, [http_server.url], tmp_path, timeout=5)


def test_download_from_a_server_that_is_down(tmp_path):
    url = f"http://127.0.0.1:{closed_port()}/"
    start = time.monotonic()
    with pytest.raises(DownloadError) as err:
        download_file(SPEC, [url], tmp_path, timeout=2)
    message = str(err.value)
    assert time.monotonic() - start < 2
    assert "\n" not in message and url + "blob.gz" in message and "network error" in message
    assert leftovers(tmp_path) == []


def test_download_times_out(http_server, tmp_path):
    (http_server.root / "blob.gz").write_bytes(CONTENT)
    start = time.monotonic()
    with pytest.raises(DownloadError, match="timed out"):
        download_file(SPEC, [http_server.url + "slow/"], tmp_path / "dest", timeout=0.3)
    assert time.monotonic() - start < 1.9  # gave up before the server answered
    assert leftovers(tmp_path / "dest") == []


# ------------------------------------------------------------------ where files are looked for
def test_cache_dir_honours_xdg_then_home(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "convnet"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir() == tmp_path / "home" / ".cache" / "convnet"


@pytest.fixture
def places(tmp_path, monkeypatch, fake_idx):
    """The same valid copy of the fake files in root/mnist, $CONVNET_DATA/mnist and the cache."""
    dirs = {"root": tmp_path / "root" / "mnist", "env": tmp_path / "env" / "mnist",
            "cache": tmp_path / "xdg" / "convnet" / "mnist"}
    for d in dirs.values():
        fake_idx.write(d)
    monkeypatch.setenv("CONVNET_DATA", str(tmp_path / "env"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    return dirs


def locate(fake_idx, root, mirrors=("http://127.0.0.1:9/",), download=True):
    files = [fake_idx.resources["t10k-images-idx3-ubyte.gz"], fake_idx.resources["t10k-labels-idx1-ubyte.gz"]]
    return locate_files("Fake", "mnist", files, mirrors, root, download)


def test_search_order_root_env_cache_download(places, fake_idx, http_server, tmp_path):
    root = tmp_path / "root"
    assert {p.parent for p in locate(fake_idx, root)} == {places["root"]}
    for name in fake_idx.files:
        (places["root"] / name).unlink()
    assert {p.parent for p in locate(fake_idx, root)} == {places["env"]}
    for name in fake_idx.files:
        (places["env"] / name).unlink()
    assert {p.parent for p in locate(fake_idx, root)} == {places["cache"]}
    for name in fake_idx.files:
        (places["cache"] / name).unlink()
    fake_idx.write(http_server.root)
    found = locate(fake_idx, root, [http_server.url])
    assert {p.parent for p in found} == {places["root"]}  # downloads go to root/<folder> when root is given
    assert found[0].read_bytes() == fake_idx.files["t10k-images-idx3-ubyte.gz"]


def test_download_goes_to_the_cache_without_root(fake_idx, http_server, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    fake_idx.write(http_server.root)
    found = locate(fake_idx, None, [http_server.url])
    assert {p.parent for p in found} == {tmp_path / "xdg" / "convnet" / "mnist"}


def test_root_may_be_the_dataset_folder_itself(fake_idx, tmp_path):
    folder = fake_idx.write(tmp_path / "my-mnist")
    assert {p.parent for p in locate(fake_idx, folder, download=False)} == {folder}


def test_a_corrupt_copy_is_an_error_not_skipped(places, fake_idx, tmp_path):
    (places["root"] / "t10k-images-idx3-ubyte.gz").write_bytes(b"not the file")
    with pytest.raises(DatasetError, match=str(places["root"] / "t10k-images-idx3-ubyte.gz")):
        locate(fake_idx, tmp_path / "root")


def test_nothing_found_names_every_place_and_the_fix(fake_idx, tmp_path, monkeypatch):
    monkeypatch.setenv("CONVNET_DATA", str(tmp_path / "env"))
    with pytest.raises(DatasetNotFoundError) as err:
        locate(fake_idx, tmp_path / "root", [f"http://127.0.0.1:{closed_port()}/"])
    message = str(err.value)
    assert "\n" not in message
    for place in [tmp_path / "root" / "mnist", tmp_path / "root", tmp_path / "env" / "mnist",
                  cache_dir() / "mnist"]:
        assert str(place) in message
    assert "could not download" in message and "CONVNET_DATA=DIR" in message and "--data-dir" in message
    assert isinstance(err.value, FileNotFoundError)


def test_nothing_found_without_download_says_how_to_enable_it(fake_idx):
    with pytest.raises(DatasetNotFoundError) as err:
        locate(fake_idx, None, download=False)
    message = str(err.value)
    assert "root (not given)" in message and "$CONVNET_DATA (not set)" in message
    assert "download=False" in message and "download=True" in message


def test_the_command_line_spelling_names_its_options(fake_idx, tmp_path, monkeypatch):
    monkeypatch.delenv("CONVNET_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    with command_line_spelling(), pytest.raises(DatasetNotFoundError) as err:
        locate(fake_idx, tmp_path / "empty", download=False)
    message = str(err.value)
    assert f"Looked in: --data-dir {tmp_path / 'empty' / 'mnist'}, --data-dir {tmp_path / 'empty'}" in message
    assert "download disabled (--no-download)" in message and "or leave out --no-download to fetch them" in message
    assert "download=" not in message and "root=" not in message
    with pytest.raises(DatasetNotFoundError) as err:      # outside the block: Python's words again
        locate(fake_idx, tmp_path / "empty", download=False)
    assert "download disabled (download=False)" in str(err.value) and "--no-download" not in str(err.value)


def test_search_dirs_lists_the_sources_in_order(tmp_path, monkeypatch):
    monkeypatch.setenv("CONVNET_DATA", str(tmp_path / "env"))
    assert [d for _, d in search_dirs("kmnist", tmp_path / "r")] == [
        tmp_path / "r" / "kmnist", tmp_path / "r", tmp_path / "env" / "kmnist", cache_dir() / "kmnist"]


def test_dataset_downloads_into_cache_and_reads_it(fake_idx, http_server, monkeypatch):
    monkeypatch.setattr(MNIST, "resources", fake_idx.resources)
    monkeypatch.setattr(MNIST, "mirrors", (http_server.url,))
    fake_idx.write(http_server.root)
    ds = MNIST(train=False)
    images, labels = fake_idx.arrays["t10k"]
    np.testing.assert_array_equal(ds.images[:, 0], images)
    np.testing.assert_array_equal(ds.targets, labels)
    assert leftovers(cache_dir() / "mnist") == ["t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]
