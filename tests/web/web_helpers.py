"""Helpers for the web tests: a uvicorn server in a thread on 127.0.0.1, images, the browser."""

from __future__ import annotations

import base64
import io
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
from PIL import Image, ImageDraw

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]


@contextmanager
def live_server(app: Any, lifetime: float = 180.0) -> Iterator[str]:
    """Serve `app` with uvicorn on 127.0.0.1 (a free port) in a daemon thread; yields the base URL.

    The server stops when the block ends, or by itself after `lifetime` seconds, whichever is first.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=2))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    watchdog = threading.Timer(lifetime, lambda: setattr(server, "should_exit", True))
    watchdog.daemon = True
    thread.start()
    watchdog.start()
    try:
        deadline = time.monotonic() + 20
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the test server did not start within 20 s")
            time.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        watchdog.cancel()
        thread.join(timeout=10)
        sock.close()


def stroke_image(points: list[tuple[float, float]], size: int = 280, width: int = 22) -> Image.Image:
    """Dark strokes through `points` (fractions of the side) on white paper, as the drawing pad makes them."""
    img = Image.new("L", (size, size), 255)
    ImageDraw.Draw(img).line([(x * size, y * size) for x, y in points], fill=0, width=width, joint="curve")
    return img


def png_bytes(image: Image.Image, fmt: str = "PNG") -> bytes:
    buf = io.BytesIO()
    image.save(buf, fmt)
    return buf.getvalue()


def data_url(image: Image.Image) -> str:
    return "data:image/png;base64," + base64.b64encode(png_bytes(image)).decode()


def chromium_missing() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install playwright)"
    if shutil.which(CHROMIUM) is None:
        return f"Debian's chromium is not at {CHROMIUM} (apt-get install chromium)"
    return None


@contextmanager
def browser() -> Iterator[Any]:
    """Debian's chromium driven by Playwright (sync API), closed at the end. Playwright gives every launch a
    fresh temporary profile (user-data dir) and removes it afterwards; each test opens its own context."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS, timeout=60_000)
        try:
            yield b
        finally:
            b.close()
