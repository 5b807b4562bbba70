"""`convnet serve`, the cached default model, and a real server under load."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from click.testing import CliRunner
from web_helpers import data_url, stroke_image

import convnet as cn
from convnet.cli import main
from convnet.io.checkpoint import load_checkpoint, save_checkpoint
from convnet.web.default_model import default_checkpoint


def test_serve_help() -> None:
    result = CliRunner().invoke(main, ["serve", "--help"])
    assert result.exit_code == 0
    assert "--checkpoint" in result.output and "127.0.0.1" in result.output and "8000" in result.output


def test_serve_refuses_a_busy_port_and_a_missing_checkpoint(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        result = CliRunner().invoke(main, ["serve", "--port", str(port), "--checkpoint", __file__])
    assert result.exit_code == 2
    assert f"Error: cannot listen on 127.0.0.1:{port}: another program is using it: pick another with --port" \
        in result.output
    result = CliRunner().invoke(main, ["serve", "--checkpoint", str(tmp_path / "none.safetensors")])
    assert result.exit_code == 2 and "does not exist" in result.output


def test_serve_runs_a_server(web_checkpoint: Path) -> None:
    """The real command in a subprocess: it prints its address, answers, and stops on Ctrl-C (SIGINT)."""
    code = "import sys; from convnet.cli import main; sys.exit(main())"
    proc = subprocess.Popen([sys.executable, "-c", code, "serve", "--checkpoint", str(web_checkpoint), "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        line = ""
        deadline = time.monotonic() + 60
        while "open http://" not in line:
            assert time.monotonic() < deadline and proc.poll() is None, f"serve did not start: {line}"
            line = proc.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+/", line).group(0)
        with httpx.Client(base_url=url, timeout=30) as client:
            assert client.get("api/model").json()["name"] == "lenet5"
            assert "network.js" in client.get("").text
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=20) == 0
        assert "convnet serve: stopped." in proc.stdout.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        proc.stdout.close()


def test_default_model_is_trained_once_and_cached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    said: list[str] = []
    first = default_checkpoint(said.append, train_size=600, epochs=1, runs=tmp_path / "runs")
    assert first.is_file() and first.parent.parent == tmp_path / "convnet" / "serve"
    assert said[0].startswith(f"No training run of yours in {tmp_path / 'runs'}/ and no cached model yet: "
                              "training ") and " 600 " in said[0]
    assert re.match(r"Trained: \d+\.\d% of the (mnist|synth-digits) test images right", said[-1])
    recipe = load_checkpoint(first).meta["recipe"]
    assert recipe["name"] in ("mnist", "synth-digits") and recipe["epochs"] == 1    # the default recipe
    assert first.parent.name == f"{recipe['model']}-{recipe['dataset']}-{recipe['name']}-n600-e1"
    again: list[str] = []
    assert default_checkpoint(again.append, train_size=600, epochs=1, runs=tmp_path / "runs") == first
    assert len(again) == 1 and again[0].startswith("Showing the cached ")


def test_the_users_latest_mnist_run_comes_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               web_checkpoint: Path) -> None:
    """A finished MNIST run under runs/ is shown instead of the cached model; the newest one wins;
    unfinished runs, other datasets and damaged files are passed over."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    runs = tmp_path / "runs"
    ckpt = load_checkpoint(web_checkpoint)
    model = cn.models.create(ckpt.model_name, **ckpt.model_kwargs)

    def finished(name: str, dataset: str, accuracy: float, age: float) -> Path:
        folder = runs / name
        folder.mkdir(parents=True)
        meta = {**ckpt.meta, "dataset": {**ckpt.meta["dataset"], "name": dataset}}
        best = save_checkpoint(folder / "best.safetensors", model, None, meta)
        (folder / "metrics.json").write_text(json.dumps({"test": {"accuracy": accuracy}}))
        os.utime(folder / "metrics.json", (time.time() - age, time.time() - age))
        return best

    older = finished("lenet5-mnist", "mnist", 0.9932, 300)
    newer = finished("mnist-bn-mnist", "mnist", 0.9951, 200)
    finished("mnist-bn-fashion-mnist", "fashion-mnist", 0.93, 100)          # newest, but not digits
    (runs / "broken").mkdir()
    (runs / "broken" / "best.safetensors").write_bytes(b"not a checkpoint")
    (runs / "broken" / "metrics.json").write_text("{}")
    (runs / "unfinished").mkdir()
    save_checkpoint(runs / "unfinished" / "best.safetensors", model, None, ckpt.meta)   # no metrics.json yet
    said: list[str] = []
    assert default_checkpoint(said.append, runs=runs) == newer != older
    assert said == [f"Showing your latest training run: {newer}, 99.51% of the MNIST test images right. "
                    "Pass --checkpoint to choose another."]
    assert not (tmp_path / "cache" / "convnet" / "serve").exists()             # nothing trained


def test_server_holds_up_under_load(server_url: str, client: Any) -> None:
    """200 predictions from 8 concurrent clients on loopback: every answer is the right one."""
    images = [stroke_image(points) for points in (
        [(0.5, 0.15), (0.5, 0.85)], [(0.25, 0.2), (0.75, 0.2), (0.45, 0.85)],
        [(0.3, 0.3), (0.5, 0.15), (0.7, 0.3), (0.3, 0.85), (0.75, 0.85)], [(0.7, 0.15), (0.3, 0.6), (0.75, 0.6)])]
    bodies = [{"image": data_url(img)} for img in images]
    expected = [client.post("/api/predict", json=b).json() for b in bodies]      # in-process, one at a time

    def client_run(first: int) -> list[tuple[int, dict[str, Any]]]:
        """One client: 25 requests, one after the other, over its own connection."""
        answers = []
        with httpx.Client(base_url=server_url, timeout=30) as http:
            for k in range(first, 200, 8):
                r = http.post("/api/predict", json=bodies[k % len(bodies)])
                answers.append((k, r.json() if r.status_code == 200 else {"status": r.status_code, "text": r.text}))
        return answers

    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = [pool.submit(client_run, first) for first in range(8)]
        done, pending = wait(futures, timeout=120)
        assert not pending, f"{len(pending)} of 8 clients did not finish their requests in 120 s"
    answers = [a for f in done for a in f.result()]
    assert sorted(k for k, _ in answers) == list(range(200))
    for k, answer in answers:
        want = expected[k % len(bodies)]
        assert answer.get("prediction") == want["prediction"], answer
        got = [p["probability"] for p in answer["probabilities"]]
        assert np.allclose(got, [p["probability"] for p in want["probabilities"]], atol=1e-6)
        assert [m["data"] for m in answer["layers"]] == [m["data"] for m in want["layers"]]


def test_a_wildcard_host_is_not_shown_as_the_address_to_open() -> None:
    from convnet.cli.serve import browser_address

    assert browser_address("0.0.0.0", 8123) == "http://127.0.0.1:8123/"
    assert browser_address("::", 8123) == "http://[::1]:8123/"
    assert browser_address("127.0.0.1", 80) == "http://127.0.0.1:80/"
    assert browser_address("192.168.1.20", 80) == "http://192.168.1.20:80/"
    assert browser_address("fe80::1", 80) == "http://[fe80::1]:80/"
