"""Training tests run on a small synthetic digit set, cached once per session."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _session_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CONVNET_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "cache"))
