"""Shared fixtures for convnet.data tests: an isolated cache, fake IDX files, and a local HTTP server."""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from data_helpers import FakeIDXSet


@pytest.fixture(autouse=True)
def _isolated(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads the developer's data or cache, or writes there."""
    monkeypatch.delenv("CONVNET_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))


@pytest.fixture
def fake_idx() -> FakeIDXSet:
    return FakeIDXSet()


class Server:
    """What the `http_server` fixture yields: the folder it serves and its base URL."""

    def __init__(self, root: Path, url: str) -> None:
        self.root, self.url = root, url


@pytest.fixture
def http_server(tmp_path: Path) -> Iterator[Server]:
    """A file server on 127.0.0.1 (port chosen by the OS), stopped after the test.

    Besides plain files: ``/cut/<name>`` announces the full size of ``<name>`` but sends half and hangs
    up; ``/slow/<name>`` waits 2 s before answering.
    """
    root = tmp_path / "www"
    root.mkdir()

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(root), **kwargs)

        def log_message(self, *args) -> None:  # keep test output clean
            pass

        def do_GET(self) -> None:
            if self.path.startswith("/cut/"):
                data = (root / self.path[5:]).read_bytes()
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data[: len(data) // 2])
                self.close_connection = True
                return
            if self.path.startswith("/slow/"):
                time.sleep(2.0)
                self.path = self.path[5:]
            super().do_GET()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield Server(root, f"http://127.0.0.1:{server.server_address[1]}/")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
