"""A small digit model trained once for the web tests, the app around it, and a live server."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from trained import train_lenet

pytest.importorskip("fastapi", reason="the web app needs the [web] extra: pip install 'convnet[web]'")

from fastapi import FastAPI  # noqa: E402
from web_helpers import live_server  # noqa: E402

from convnet.web import create_app  # noqa: E402

with warnings.catch_warnings():
    # recent Starlette prefers the httpx2 package for its TestClient; httpx, which the tests use, still works
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient


@pytest.fixture(scope="session")
def web_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """LeNet-5 after one epoch on 3,000 generated digits (about 88% right): seconds to train, no data needed."""
    return train_lenet(tmp_path_factory.mktemp("web-model"), tmp_path_factory.getbasetemp() / "web-cache",
                       images=3000, epochs=1, val=300, batch_size=32).best_checkpoint


@pytest.fixture(scope="session")
def web_app(web_checkpoint: Path) -> FastAPI:
    return create_app(checkpoint=web_checkpoint)


@pytest.fixture(scope="session")
def client(web_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(web_app) as c:
        yield c


@pytest.fixture(scope="session")
def server_url(web_app: FastAPI) -> Iterator[str]:
    """The app served by uvicorn on 127.0.0.1 for the whole session (it stops by itself after 5 minutes)."""
    with live_server(web_app, lifetime=300) as url:
        yield url
