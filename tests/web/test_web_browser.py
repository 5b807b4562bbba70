"""The pages in a real browser: Debian's chromium driven by Playwright against a uvicorn server on 127.0.0.1.

Screenshots go to each test's tmp_path. With ``CONVNET_SCREENSHOTS=docs/images`` the tests also write the
screenshots of docs/WEB.md there (web-*.png); see docs/WEB.md.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from web_helpers import browser, chromium_missing

import convnet as cn
from convnet.nn import functional as F

pytestmark = pytest.mark.skipif(chromium_missing() is not None, reason=chromium_missing() or "")

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    with browser() as b:
        yield b


@pytest.fixture
def page(chromium: Any) -> Iterator[Any]:
    context = chromium.new_context(viewport=DESKTOP)
    context.set_default_timeout(15_000)
    p = context.new_page()
    errors: list[str] = []
    p.on("pageerror", lambda e: errors.append(str(e)))
    p.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    yield p
    context.close()
    assert errors == [], f"the page logged errors: {errors}"


def save(page: Any, tmp_path: Path, name: str, full_page: bool = False) -> None:
    """A screenshot in tmp_path, and in $CONVNET_SCREENSHOTS (for docs/images) when that is set."""
    page.screenshot(path=str(tmp_path / name), full_page=full_page)
    folder = os.environ.get("CONVNET_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / name), full_page=full_page)


def open_page(page: Any, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("body[data-ready=true]")


def draw(page: Any, points: list[tuple[float, float]]) -> None:
    """One stroke with the mouse (down, moves, up) through `points` given as fractions of the pad."""
    box = page.locator("#pad").bounding_box()

    def at(p: tuple[float, float]) -> tuple[float, float]:
        return box["x"] + p[0] * box["width"], box["y"] + p[1] * box["height"]

    page.mouse.move(*at(points[0]))
    page.mouse.down()
    for a, b in zip(points, points[1:], strict=False):
        for t in np.linspace(0, 1, 8)[1:]:
            page.mouse.move(*at((a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1]))))
    page.mouse.up()


def prediction_after(page: Any, count: int) -> str:
    """The predicted class once the page has shown its `count`-th prediction, and that for
    the finished drawing (on a slow machine a pause in the stroke can ask for one midway)."""
    page.wait_for_function(f"Number(document.getElementById('prediction').dataset.count || 0) >= {count}")
    page.wait_for_function("document.getElementById('prediction').dataset.drawn === "
                           "document.getElementById('pad').dataset.drawn")
    page.wait_for_function("document.getElementById('prediction-card').getAttribute('aria-busy') === 'false'")
    return page.inner_text("#prediction")


CIRCLE = [(0.5 + 0.28 * math.cos(t), 0.5 + 0.36 * math.sin(t)) for t in np.linspace(0, 2 * math.pi, 40)]
LINE = [(0.5, 0.12), (0.5, 0.88)]


def test_drawing_changes_the_prediction(page: Any, server_url: str, client: Any, tmp_path: Path) -> None:
    open_page(page, server_url + "/")
    assert page.inner_text("#prediction") == "–"
    draw(page, LINE)
    first = prediction_after(page, 1)
    shown = page.inner_text("#prediction")
    # what the page shows is what the API answers for the drawing
    png = page.evaluate("document.getElementById('pad').toDataURL('image/png')")
    assert client.post("/api/predict", json={"image": png}).json()["prediction"] == shown
    page.click("#clear")
    assert page.inner_text("#prediction") == "–"
    count = int(page.get_attribute("#prediction", "data-count"))
    draw(page, CIRCLE)
    second = prediction_after(page, count + 1)
    assert (first, second) == ("1", "0")
    bars = page.locator("#probabilities li")
    assert bars.count() == 10 and page.locator("#probabilities li.best").get_attribute("data-label") == second
    assert page.locator(".layer").count() == 6 and page.locator(".layer .tile").count() == 6 + 6 + 6 + 16 + 16 + 16
    assert "inverted it" in page.inner_text("#notes")
    assert page.locator("#summary tbody tr").count() == 14 and "61,706 parameters" in page.inner_text("#totals")
    assert page.locator("#filters figure").count() == 2
    page.wait_for_timeout(200)
    save(page, tmp_path, "web-network.png")


def test_a_feature_map_opens_larger_with_its_receptive_field(page: Any, server_url: str, tmp_path: Path) -> None:
    open_page(page, server_url + "/")
    draw(page, [(0.3, 0.2), (0.72, 0.2), (0.45, 0.85)])
    prediction_after(page, 1)
    tile = page.locator(".layer[data-layer='features.3'] .tile").nth(4)
    tile.scroll_into_view_if_needed()
    box = tile.locator("canvas").bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.55, box["y"] + box["height"] * 0.35)
    assert "features.3 · channel 4 · row 3, column 5" in page.inner_text("#tooltip")
    page.wait_for_function("document.getElementById('field-text').textContent.includes('sees input rows')")
    assert "features.3 (Conv2d), output 16x10x10: cell (row 3, column 5) sees input rows 4-17, columns 8-21" \
        in page.inner_text("#field-text")
    tile.click()
    page.wait_for_selector("#zoom[open]")
    assert page.inner_text("#zoom-title") == "features.3 (Conv2d), channel 4 of 16"
    big = page.locator("#zoom-map").bounding_box()
    assert big["width"] >= 150
    page.mouse.move(big["x"] + big["width"] * 0.25, big["y"] + big["height"] * 0.75)
    page.wait_for_function("document.getElementById('field-text').textContent.includes('cell (row 7, column 2)')")
    assert page.inner_text("#zoom-value").startswith("features.3 · channel 4 · row 7, column 2: ≈ ")
    page.focus("#zoom-map")
    page.keyboard.press("ArrowRight")
    assert "row 7, column 3" in page.inner_text("#zoom-value")
    page.click("#zoom-next")
    assert page.inner_text("#zoom-title") == "features.3 (Conv2d), channel 5 of 16"
    assert page.inner_text("#zoom-value").startswith("features.3 · channel 5 · row 7, column 3: ≈ ")
    page.wait_for_timeout(200)
    save(page, tmp_path, "web-feature-map.png")
    page.keyboard.press("Escape")
    page.wait_for_selector("#zoom", state="hidden")


def grid_from_page(page: Any, selector: str) -> np.ndarray:
    cells = page.eval_on_selector_all(selector, "els => els.map(e => [+e.dataset.row, +e.dataset.col, +e.value])")
    rows, cols = max(r for r, _, _ in cells) + 1, max(c for _, c, _ in cells) + 1
    grid = np.zeros((rows, cols), np.float32)
    for r, c, v in cells:
        grid[r, c] = v
    return grid


def current_step(page: Any) -> tuple[int, float, str]:
    return (int(page.get_attribute("#result", "data-step")), float(page.get_attribute("#result", "data-value")),
            page.inner_text("#step-value"))


def wait_for_step(page: Any, index: int) -> None:
    page.wait_for_function(f"document.getElementById('result').dataset.step === '{index}'")


def test_stepping_the_convolution_shows_the_library_numbers(page: Any, server_url: str, tmp_path: Path) -> None:
    open_page(page, server_url + "/convolution")
    wait_for_step(page, 0)
    page.fill("#bias", "0.5")
    page.fill("#padding", "0")
    page.wait_for_function("document.getElementById('formula-h').textContent.endsWith('= 5')")
    assert page.inner_text("#formula-h") == "⌊(7 + 2·0 − 3) / 1⌋ + 1 = 5"
    wait_for_step(page, 0)
    for _ in range(7):
        page.click("#next")
    wait_for_step(page, 7)
    x = grid_from_page(page, "#grid-editor input")
    w = grid_from_page(page, "#kernel-editor input")
    out = F.conv2d(cn.tensor(x[None, None]), cn.tensor(w[None, None]), cn.tensor(np.array([0.5], np.float32)),
                   stride=int(page.input_value("#stride")), padding=int(page.input_value("#padding")),
                   dilation=int(page.input_value("#dilation"))).numpy()[0, 0]
    index, value, text = current_step(page)
    i, j = divmod(index, out.shape[1])
    assert value == out[i, j] and float(text.replace("−", "-")) == pytest.approx(out[i, j], abs=1e-3)
    total = float(page.inner_text("#step-sum").replace("−", "-")) + float(page.inner_text("#step-bias"))
    assert total == pytest.approx(out[i, j], abs=1e-3)
    assert "(row 1, column 2)" in page.inner_text("#step-line")
    # edit a cell of the input: the numbers follow
    page.locator("#grid-editor input[data-row='2'][data-col='4']").fill("4")
    page.wait_for_function("document.getElementById('result').dataset.value !== '" + str(value) + "'")
    x[2, 4] = 4
    out = F.conv2d(cn.tensor(x[None, None]), cn.tensor(w[None, None]), cn.tensor(np.array([0.5], np.float32))
                   ).numpy()[0, 0]
    assert current_step(page)[1] == out[1, 2]
    # with padding again, for the picture
    page.fill("#padding", "1")
    page.wait_for_function("document.getElementById('formula-h').textContent.endsWith('= 7')")
    page.fill("#scrub", "17")
    wait_for_step(page, 17)
    page.wait_for_timeout(200)
    save(page, tmp_path, "web-convolution.png", full_page=True)
    # max pooling in the same view
    page.select_option("#mode", "maxpool")
    page.wait_for_function("document.getElementById('operation').textContent.startsWith('convnet.nn.functional.max')")
    assert (page.input_value("#ksize"), page.input_value("#stride"), page.input_value("#padding")) == ("2", "2", "0")
    page.click("#first")
    wait_for_step(page, 0)
    page.click("#last")
    wait_for_step(page, 8)
    pooled = F.max_pool2d(cn.tensor(x[None, None]), 2, 2).numpy()[0, 0]
    assert current_step(page)[1] == pooled[2, 2]
    assert page.locator("#calc td.best").count() == 1


def test_a_phone_sized_window(chromium: Any, server_url: str, tmp_path: Path) -> None:
    context = chromium.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        open_page(page, server_url + "/")
        draw(page, LINE)
        prediction_after(page, 1)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        assert page.locator("#pad-badge").is_visible()
        page.wait_for_timeout(200)
        save(page, tmp_path, "web-network-phone.png")
        open_page(page, server_url + "/convolution")
        wait_for_step(page, 0)
        page.click("#next")
        wait_for_step(page, 1)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        page.evaluate("window.scrollTo(0, 0)")
        page.wait_for_timeout(200)
        save(page, tmp_path, "web-convolution-phone.png")
    finally:
        context.close()


def test_the_api_reference_page(page: Any, server_url: str, tmp_path: Path) -> None:
    open_page(page, server_url + "/docs")
    titles = page.locator(".endpoint h2").all_inner_texts()
    assert "POST/api/convolve" in [t.replace(" ", "").replace("\n", "") for t in titles]
    assert page.locator(".method").count() == 9
    assert page.locator("#schema-ConvolveRequest table tbody tr").count() == 10
    save(page, tmp_path, "web-api.png")
