"""The JSON API with FastAPI's TestClient: every endpoint, with good input and bad (each message checked)."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi import FastAPI
from PIL import Image
from web_helpers import data_url, png_bytes, stroke_image

import convnet as cn
from convnet import arith, filters
from convnet.cli.predict import classify
from convnet.errors import ConvnetValueError
from convnet.io import load_model
from convnet.nn import functional as F
from convnet.viz import colors
from convnet.viz.features import feature_maps
from convnet.viz.images import normalise
from convnet.viz.receptive import receptive_region
from convnet.web import create_app
from convnet.web.session import ModelSession

SEVEN = [(0.25, 0.2), (0.75, 0.2), (0.45, 0.85)]
ONE = [(0.5, 0.15), (0.5, 0.85)]


def decode(a: dict[str, Any]) -> np.ndarray:
    """An Array8 back to numbers (within half a quantisation step of the originals)."""
    q = np.frombuffer(base64.b64decode(a["data"]), np.uint8).reshape(a["shape"] if "shown" not in a else a["shown"])
    return a["lo"] + q.astype(np.float64) * (a["hi"] - a["lo"]) / 255


def detail(response: Any, status: int) -> str:
    assert response.status_code == status, response.text
    assert "Traceback" not in response.text
    return response.json()["detail"]


@pytest.fixture(scope="module")
def model_and_meta(web_checkpoint: Path) -> tuple[Any, dict[str, Any]]:
    return load_model(str(web_checkpoint))


# ---------------------------------------------------------------- GET /api/model, /api/palettes, pages


def test_model_describes_the_checkpoint(client: Any) -> None:
    info = client.get("/api/model").json()
    assert info["name"] == "lenet5" and info["input"] == "draw"
    assert info["dataset"]["classes"] == list("0123456789") and info["dataset"]["image_size"] == [28, 28]
    assert [row["name"] for row in info["layers"]] == [f"features.{k}" for k in range(6)]
    assert info["layers"][3] == {"name": "features.3", "type": "Conv2d", "output_shape": [16, 10, 10]}
    assert info["summary"] == cn.summary(load_model(info["source"])[0], (1, 28, 28)).as_dict()
    assert 0 < info["test_accuracy"] <= 1


def test_palettes_are_the_viz_colour_scales(client: Any) -> None:
    named = client.get("/api/palettes").json()
    assert set(named) == {"diverging", "sequential", "blues", "gray"}
    for cmap, hexes in named.items():
        assert len(hexes) == 256 and all(re.fullmatch(r"#[0-9a-f]{6}", h) for h in hexes)
        rgb = colors.ColorScale(0, 255, cmap)(np.array([0, 128, 255]))
        assert [hexes[0], hexes[128], hexes[255]] == ["#{:02x}{:02x}{:02x}".format(*map(int, c)) for c in rgb]


def test_pages_and_static_files_are_served(client: Any) -> None:
    for path, script in (("/", "network.js"), ("/convolution", "convolution.js"), ("/docs", "docs.js")):
        r = client.get(path)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html") and script in r.text
        assert "http://" not in r.text and "https://" not in r.text            # nothing from elsewhere
    assert client.get("/static/css/app.css").headers["content-type"].startswith("text/css")
    assert "javascript" in client.get("/static/js/api.js").headers["content-type"]
    spec = client.get("/openapi.json").json()
    assert set(spec["paths"]) == {"/api/model", "/api/predict", "/api/predict/upload", "/api/weights",
                                  "/api/receptive-field", "/api/samples", "/api/filters", "/api/convolve",
                                  "/api/palettes"}


def test_unknown_paths_and_methods_answer_json(client: Any) -> None:
    assert detail(client.get("/api/nothing"), 404) == "Not Found"
    assert detail(client.get("/static/nothing.js"), 404) == "Not Found"
    assert detail(client.get("/api/predict"), 405) == "Method Not Allowed"


# ---------------------------------------------------------------- POST /api/predict


def test_predict_matches_convnet_predict(client: Any, model_and_meta: tuple[Any, Any], tmp_path: Path) -> None:
    image = stroke_image(SEVEN)
    image.save(tmp_path / "seven.png")
    expected = classify(*model_and_meta, [tmp_path / "seven.png"], 10)[0]
    for body in ({"image": data_url(image)}, {"image": base64.b64encode(png_bytes(image)).decode()}):
        p = client.post("/api/predict", json=body).json()
        assert p["prediction"] == expected["prediction"]
        probs = {row["label"]: row["probability"] for row in p["probabilities"]}
        assert [row["label"] for row in p["probabilities"]] == list("0123456789")
        for top in expected["top"]:
            assert probs[top["class"]] == pytest.approx(top["probability"], abs=1e-6)
        assert p["notes"] == expected["preprocessing"]
        assert p["input"]["shape"] == [1, 28, 28] and p["input"]["cmap"] == "gray"


def test_feature_maps_are_the_layers_outputs(client: Any, model_and_meta: tuple[Any, Any]) -> None:
    model, meta = model_and_meta
    p = client.post("/api/predict", json={"image": data_url(stroke_image(ONE))}).json()
    pixels = np.rint(decode(p["input"])).astype(np.uint8)
    truth = feature_maps(model, normalise(pixels[None], meta["dataset"])[0], "all")
    assert [m["name"] for m in p["layers"]] == list(truth)
    for m in p["layers"]:
        exact = truth[m["name"]]
        assert m["shape"] == list(exact.shape) == m["shown"] and m["step"] == 1
        scale = colors.auto(exact)
        assert m["cmap"] == scale.cmap and (m["lo"], m["hi"]) == pytest.approx((scale.lo, scale.hi), abs=1e-5)
        assert np.abs(decode(m) - exact).max() <= (m["hi"] - m["lo"]) / 255 / 2 + 1e-5


def test_predict_takes_pixels_as_given(client: Any, model_and_meta: tuple[Any, Any]) -> None:
    model, meta = model_and_meta
    pixels = np.zeros((28, 28), np.uint8)
    pixels[5:23, 13:16] = 255
    with cn.no_grad():
        probs = F.softmax(model(cn.tensor(normalise(pixels[None, None], meta["dataset"]))), dim=1).numpy()[0]
    for sent in (pixels.tolist(), pixels[None].tolist()):
        p = client.post("/api/predict", json={"pixels": sent, "features": False}).json()
        assert p["layers"] == [] and p["notes"] == ["used the pixels as given"]
        assert [r["probability"] for r in p["probabilities"]] == pytest.approx(probs.tolist(), abs=1e-6)
        assert np.array_equal(decode(p["input"])[0].round(), pixels)


def test_upload_gives_the_same_answer(client: Any) -> None:
    image = stroke_image(SEVEN)
    by_json = client.post("/api/predict", json={"image": data_url(image)}).json()
    files = {"file": ("seven.jpg", png_bytes(image.convert("RGB"), "JPEG"), "image/jpeg")}
    by_form = client.post("/api/predict/upload", files=files, params={"features": "false"}).json()
    assert by_form["prediction"] == by_json["prediction"] and by_form["layers"] == []
    files = {"file": ("seven.png", png_bytes(image), "image/png")}
    same = client.post("/api/predict/upload", files=files).json()
    assert same["probabilities"] == by_json["probabilities"] and len(same["layers"]) == 6


def big_png(width: int, height: int) -> bytes:
    return png_bytes(Image.new("1", (width, height), 1))        # 1 bit a pixel: a few KB


@pytest.mark.parametrize(("body", "status", "message"), [
    ({}, 422, "send exactly one of 'image' (an image file as base64) and 'pixels' (an array of numbers 0-255)"),
    ({"image": "x", "pixels": [[0]]}, 422, "send exactly one of 'image'"),
    ({"image": "abc"}, 422, "'image' is not valid base64: send the file's bytes base64-encoded"),
    ({"image": "data:image/png,abc"}, 422, "the data URL must be base64-encoded (data:image/png;base64,...), got "
                                           "'data:image/png'"),
    ({"image": base64.b64encode(b"hello, world").decode()}, 415,
     "the file is not an image Pillow can read (12 bytes, starting b'hello, w': UnidentifiedImageError); send a "
     "PNG, JPEG, BMP, GIF, TIFF or WebP file"),
    ({"image": base64.b64encode(png_bytes(Image.new("L", (300, 300), 255))[:200]).decode()}, 415,
     "the PNG file is damaged or truncated"),
    ({"image": base64.b64encode(big_png(8000, 7000)).decode()}, 413,
     "the image declares 8000x7000 pixels, 56.0 megapixels; the limit is 50 megapixels (for example 8000x6000): "
     "shrink it first"),
    ({"image": base64.b64encode(big_png(14000, 14000)).decode()}, 413,     # Pillow itself refuses to open it
     "the image declares 196.0 megapixels; the limit is 50 megapixels"),
    ({"image": data_url(Image.new("L", (50, 50), 255))}, 422,
     "the image looks blank: nothing stands out from its background"),
    ({"pixels": [[0] * 28] * 27}, 422, "'pixels' has shape 1x27x28 but the model takes 1x28x28: send 28 rows of 28 "
                                       "numbers"),
    ({"pixels": [[0] * 28] * 27 + [[0] * 5]}, 422, "'pixels' must be a rectangular array of numbers"),
    ({"pixels": [[300] * 28] * 28}, 422, "'pixels' must hold numbers from 0 to 255 (the image's brightness), got "
                                         "values from 300 to 300"),
    ({"pixels": [["a"] * 28] * 28}, 422, "'pixels' must be a rectangular array of numbers"),
    ({"image": "x", "colour": True}, 422, "colour: unknown field (check its spelling against /docs)"),
    ({"image": 3}, 422, "image: input should be a valid string"),
])
def test_predict_refuses_bad_input(client: Any, body: dict[str, Any], status: int, message: str) -> None:
    assert detail(client.post("/api/predict", json=body), status).startswith(message)


def test_bodies_that_are_not_json_objects(client: Any) -> None:
    r = client.post("/api/predict", content=b'{"image": ', headers={"content-type": "application/json"})
    assert detail(r, 400).startswith("the request body is not valid JSON (")
    assert detail(r, 400).endswith("send a JSON object, with Content-Type: application/json")
    for raw in (b"[1, 2]", b'"text"'):
        r = client.post("/api/convolve", content=raw, headers={"content-type": "application/json"})
        assert detail(r, 422) == ("the request body must be a JSON object (see /docs for its fields), sent with "
                                  "Content-Type: application/json")
    r = client.post("/api/predict", content=b"", headers={"content-type": "application/json"})
    assert detail(r, 422) == "the request body: required, but missing"


def test_too_large_bodies_are_refused_early(client: Any) -> None:
    r = client.post("/api/predict", content=b"x" * (8 * 1024 * 1024), headers={"content-type": "application/json"})
    assert detail(r, 413) == ("the request body is 8.00 MB; the limit is 6.73 MB (an image file of at most 5.00 MB, "
                              "base64-encoded): send a smaller image")

    def chunks() -> Any:                      # no Content-Length: counted as it streams in
        for _ in range(8):
            yield b"x" * (1024 * 1024)

    r = client.post("/api/predict", content=chunks(), headers={"content-type": "application/json"})
    assert detail(r, 413).startswith("the request body is over 6.73 MB; the limit is 6.73 MB")
    big = {"file": ("big.png", b"\x89PNG" + bytes(5 * 1024 * 1024), "image/png")}
    assert detail(client.post("/api/predict/upload", files=big), 413) == (
        "the file 'big.png' is larger than 5.00 MB, the limit: send a smaller or more compressed image")
    text = "A" * (5 * 1024 * 1024 * 4 // 3 + 40_000)          # just under the body limit, over 5 MB once decoded
    assert detail(client.post("/api/predict", json={"image": text}), 413) == (
        "the image is about 5.03 MB once decoded; the limit is 5.00 MB: send a smaller or more compressed image")


def test_upload_refusals(client: Any) -> None:
    files = {"file": ("notes.txt", b"just some words", "text/plain")}
    assert detail(client.post("/api/predict/upload", files=files), 415).startswith(
        "the file is not an image Pillow can read (15 bytes")
    assert detail(client.post("/api/predict/upload", data={"other": "1"}), 422) == "file: required, but missing"
    files = {"file": ("empty.png", b"", "image/png")}
    assert detail(client.post("/api/predict/upload", files=files), 422) == "the image file is empty"
    files = {"file": ("bomb.png", big_png(14000, 14000), "image/png")}          # 24 KB declaring 196 megapixels
    assert detail(client.post("/api/predict/upload", files=files), 413) == (
        "the image declares 196.0 megapixels; the limit is 50 megapixels (for example 8000x6000): shrink it first")


# ---------------------------------------------------------------- GET /api/weights, /api/receptive-field


def test_weights_are_the_learned_kernels(client: Any, model_and_meta: tuple[Any, Any]) -> None:
    model, _ = model_and_meta
    layers = client.get("/api/weights").json()["layers"]
    assert [(k["name"], k["shape"], k["rgb"], k["cmap"]) for k in layers] == [
        ("features.0", [6, 1, 5, 5], False, "diverging"), ("features.3", [16, 6, 5, 5], False, "diverging")]
    for k in layers:
        w = dict(model.named_modules())[k["name"]].weight.numpy()
        assert k["hi"] == pytest.approx(np.abs(w).max()) and k["lo"] == -k["hi"]
        assert np.abs(decode(k) - w).max() <= k["hi"] / 255 + 1e-6


def test_receptive_field_is_the_viz_region(client: Any, model_and_meta: tuple[Any, Any]) -> None:
    model, _ = model_and_meta
    r = client.get("/api/receptive-field", params={"layer": "features.3", "y": 0, "x": 9}).json()
    region = receptive_region(model, "features.3", (0, 9), (1, 28, 28))
    assert (r["top"], r["left"], r["bottom"], r["right"]) == (region.top, region.left, region.bottom, region.right)
    assert r["clipped"] == list(region.clipped) and r["receptive_field"] == [14, 14] and r["stride"] == [2, 2]
    assert r["description"] == region.describe()
    assert "reaches into the padding" in r["description"]


@pytest.mark.parametrize(("params", "message"), [
    ({"layer": "features.9", "y": 0, "x": 0}, "no layer named 'features.9' in LeNet5; its layers are: features "
                                              "(Sequential), features.0 (Conv2d)"),
    ({"layer": "classifier.1", "y": 0, "x": 0}, "layer classifier.1 (Linear) outputs 120, not a grid of cells"),
    ({"layer": "features.5", "y": 5, "x": 0}, "position (5, 0) is outside layer features.5's 5x5 output: rows go "
                                              "from 0 to 4, columns from 0 to 4"),
    ({"layer": "features.5", "y": "top", "x": 0}, "y (query parameter): input should be a valid integer"),
    ({"y": 0, "x": 0}, "layer (query parameter): required, but missing"),
])
def test_receptive_field_refusals(client: Any, params: dict[str, Any], message: str) -> None:
    assert detail(client.get("/api/receptive-field", params=params), 422).startswith(message)


# ---------------------------------------------------------------- GET /api/samples, /api/filters


def test_samples_take_turns_over_the_classes(client: Any) -> None:
    answer = client.get("/api/samples", params={"count": 12}).json()
    assert answer["dataset"] == "synth-digits" and answer["note"] is None
    assert [s["label"] for s in answer["samples"]] == list("0123456789") + ["0", "1"]
    assert all(s["pixels"]["shape"] == [1, 28, 28] for s in answer["samples"])
    assert detail(client.get("/api/samples", params={"count": 0}), 422) == "count (query parameter): must be at " \
                                                                            "least 1 (got 0)"
    assert detail(client.get("/api/samples", params={"count": 51}), 422) == "count (query parameter): must be at " \
                                                                             "most 50 (got 51)"


def test_filters_are_convnet_filters(client: Any) -> None:
    listed = client.get("/api/filters").json()["filters"]
    assert [f["name"] for f in listed] == filters.names()
    for f in listed:
        assert np.array_equal(np.array(f["kernel"], np.float32), filters.get(f["name"]))
        assert f["description"] == filters.describe(f["name"])


# ---------------------------------------------------------------- POST /api/convolve


def convolve(client: Any, **body: Any) -> dict[str, Any]:
    r = client.post("/api/convolve", json=body)
    assert r.status_code == 200, r.text
    return r.json()


def test_convolution_steps_are_the_library_numbers(client: Any) -> None:
    rng = np.random.default_rng(0)
    x = rng.integers(0, 10, (9, 8)).astype(np.float32)
    w = rng.integers(-2, 3, (3, 3)).astype(np.float32)
    r = convolve(client, input=x.tolist(), kernel=w.tolist(), bias=0.5, padding=2, stride=2, dilation=2,
                 max_steps=100)
    out = F.conv2d(cn.tensor(x[None, None]), cn.tensor(w[None, None]), cn.tensor(np.array([0.5], np.float32)),
                   stride=2, padding=2, dilation=2).numpy()[0, 0]
    assert np.array_equal(np.array(r["output"], np.float32), out)
    assert r["operation"] == "convnet.nn.functional.conv2d" and r["total_steps"] == out.size == len(r["steps"])
    plane = np.pad(x, 2)
    for s in r["steps"]:
        i, j = s["position"]
        assert s["origin"] == [2 * i, 2 * j] and s["value"] == out[i, j]
        window = plane[2 * i:2 * i + 5:2, 2 * j:2 * j + 5:2]
        assert np.array_equal(s["window"], window) and np.array_equal(s["products"], window * w)
        assert s["sum"] + 0.5 == pytest.approx(s["value"], abs=1e-5)
    oh = arith.conv_output_size(9, 3, 2, 2, 2)
    assert r["formula"]["height"] == f"⌊(9 + 2·2 − 2·(3 − 1) − 1) / 2⌋ + 1 = {oh}" and oh == out.shape[0]
    assert r["formula"]["general"] == "output = ⌊(input + 2·padding − dilation·(kernel − 1) − 1) / stride⌋ + 1"


def test_pooling_steps(client: Any) -> None:
    x = np.arange(25, dtype=np.float32).reshape(5, 5) % 7
    r = convolve(client, input=x.tolist(), mode="maxpool", kernel_size=3, padding=1, stride=2)
    expected = F.max_pool2d(cn.tensor(x[None, None]), 3, 2, 1).numpy()[0, 0]
    assert np.array_equal(r["output"], expected) and r["padding_value"] is None
    first = r["steps"][0]
    assert first["window"][0] == [None, None, None] and first["products"] is None
    a, b = first["argmax"]
    assert first["window"][a][b] == first["value"] == expected[0, 0]
    r = convolve(client, input=x.tolist(), mode="avgpool", kernel_size=2, stride=1)
    expected = F.avg_pool2d(cn.tensor(x[None, None]), 2, 1).numpy()[0, 0]
    assert np.array_equal(r["output"], expected) and r["padding_value"] == 0
    assert all(s["sum"] / s["count"] == pytest.approx(s["value"]) for s in r["steps"])


def test_steps_come_in_pages(client: Any) -> None:
    grid = np.ones((10, 10)).tolist()
    r = convolve(client, input=grid, kernel=[[1, 2], [3, 4]], first_step=80, max_steps=5)
    assert [s["index"] for s in r["steps"]] == [80] and r["total_steps"] == 81 and r["first_step"] == 80
    r = convolve(client, input=grid, kernel=[[1]], first_step=7, max_steps=3)
    assert [(s["index"], s["position"]) for s in r["steps"]] == [(7, [0, 7]), (8, [0, 8]), (9, [0, 9])]
    r = client.post("/api/convolve", json={"input": grid, "kernel": [[1]], "first_step": 100})
    assert detail(r, 422) == "first_step 100 is past the last step: there are 100 steps (0 to 99)"
    big = np.ones((64, 64)).tolist()
    r = client.post("/api/convolve", json={"input": big, "kernel": np.ones((11, 11)).tolist(), "padding": 5,
                                           "max_steps": 4096})
    assert detail(r, 422) == ("4,096 steps of 11x11 numbers make 991,232 numbers, more than one answer holds "
                              "(60,000): ask for at most 247 steps (max_steps)")


@pytest.mark.parametrize(("body", "message"), [
    ({"input": [[1, 2], [3]], "kernel": [[1]]}, "input: every row must have the same length: row 0 has 2 numbers "
                                                "but row 1 has 1"),
    ({"input": [], "kernel": [[1]]}, "input: the input is empty: give at least one row of at least one number"),
    ({"input": [[0] * 65] * 65, "kernel": [[1]]}, "input: the input is 65x65; the limit is 64x64"),
    ({"input": [[1]], "kernel": [[1] * 12] * 12}, "kernel: the kernel is 12x12; the limit is 11x11"),
    ({"input": [[1e7]], "kernel": [[1]]}, "input: row 0, column 0 holds 10000000.0: numbers must be finite and at "
                                          "most 1e+06 in size"),
    ({"input": [[1]], "kernel": [[1]], "padding": 11}, "padding: must be at most 10 (got 11)"),
    ({"input": [[1]], "kernel": [[1]], "stride": 0}, "stride: must be at least 1 (got 0)"),
    ({"input": [[1]], "kernel": [[1]], "dilation": 6}, "dilation: must be at most 5 (got 6)"),
    ({"input": [[1]], "kernel": [[1]], "padding": -1, "stride": 9}, "padding: must be at least 0 (got -1); stride: "
                                                                    "must be at most 5 (got 9)"),
    ({"input": [[1]]}, "a convolution needs a 'kernel' (rows of numbers)"),
    ({"input": [[1]], "mode": "maxpool"}, "maxpool needs 'kernel_size', the size of its window (1 to 11)"),
    ({"input": [[1]], "mode": "maxpool", "kernel": [[1]]}, "maxpool has no kernel weights: give 'kernel_size'"),
    ({"input": [[1]], "mode": "avgpool", "kernel_size": 1, "bias": 1}, "pooling adds no bias"),
    ({"input": [[1, 2]], "mode": "avgpool", "kernel_size": 1, "dilation": 2}, "average pooling has no dilation"),
    ({"input": [[1]], "mode": "conv3d", "kernel": [[1]]}, "mode: input should be 'conv', 'maxpool' or 'avgpool'"),
    ({"input": [[1]], "kernel": [[1]], "size": 3}, "size: unknown field (check its spelling against /docs)"),
    ({"input": [[1, 2, 3]], "kernel": [[1, 1], [1, 1]]}, "conv2d (height): kernel 2 does not fit input 1 + padding 0; "
                                                         "use a smaller kernel or dilation, more padding, or a larger "
                                                         "input"),
    ({"input": [[1] * 4] * 4, "mode": "maxpool", "kernel_size": 2, "padding": 2}, "max_pool2d: padding"),
])
def test_convolve_refuses_bad_requests(client: Any, body: dict[str, Any], message: str) -> None:
    assert detail(client.post("/api/convolve", json=body), 422).startswith(message)


def test_convolve_refuses_nan(client: Any) -> None:
    r = client.post("/api/convolve", content=b'{"input": [[NaN]], "kernel": [[1]]}',
                    headers={"content-type": "application/json"})
    assert detail(r, 422).startswith("input: row 0, column 0 holds nan: numbers must be finite")
    assert json.loads(r.text)["errors"][0]["loc"] == ["body", "input"]


# ---------------------------------------------------------------- other models, and failures


def test_a_colour_model_takes_uploads() -> None:
    from fastapi.testclient import TestClient

    meta = {"model": {"name": "lenet5", "kwargs": {"in_channels": 3}},
            "dataset": {"name": "cifar10", "classes": [f"c{k}" for k in range(10)], "mean": [0.5] * 3,
                        "std": [0.25] * 3, "in_channels": 3, "image_size": [32, 32], "style": "photo"}}
    client = TestClient(create_app(model=cn.models.create("lenet5", in_channels=3), meta=meta))
    assert client.get("/api/model").json()["input"] == "upload"
    photo = Image.fromarray(np.random.default_rng(1).integers(0, 255, (40, 60, 3), dtype=np.uint8))
    p = client.post("/api/predict", json={"image": data_url(photo)}).json()
    assert p["input"]["shape"] == [3, 32, 32] and p["notes"][0].startswith("resized it from 60x40 to 32x32")
    assert client.get("/api/weights").json()["layers"][0]["rgb"] is True
    samples = client.get("/api/samples").json()
    if samples["samples"]:                                 # CIFAR-10 happens to be on this machine
        assert samples["samples"][0]["pixels"]["shape"] == [3, 32, 32]
    else:
        assert samples["note"] == "no samples: cifar10 is not on this machine"
    gray = {"pixels": np.zeros((32, 32)).tolist()}
    assert detail(client.post("/api/predict", json=gray), 422) == ("'pixels' has shape 32x32 but the model takes "
                                                                    "3x32x32: send 3 channels of 32 rows of 32 numbers")


def test_a_fashion_model_is_shown_with_uploads(model_and_meta: tuple[Any, Any]) -> None:
    model, meta = model_and_meta
    fashion = {**meta, "dataset": {**meta["dataset"], "name": "fashion-mnist", "style": "objects"}}
    assert ModelSession(model, fashion).info()["input"] == "upload"


def test_create_app_needs_a_model_with_its_metadata(web_checkpoint: Path) -> None:
    model = cn.models.create("lenet5", input_size=28)
    with pytest.raises(ValueError, match="a model needs its meta"):
        create_app(model=model)
    with pytest.raises(ValueError, match="give a checkpoint or a model, not both"):
        create_app(checkpoint=web_checkpoint, model=model, meta={})
    with pytest.raises(ValueError, match=r"the model's metadata has no 'dataset' entry"):
        create_app(model=model, meta={"model": {}})
    with pytest.raises(ValueError, match=r"the model's dataset metadata lacks mean, std"):
        create_app(model=model, meta={"dataset": {"classes": ["a"], "in_channels": 1, "image_size": [28, 28]}})


def test_a_server_failure_is_a_short_json_500(web_app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    from fastapi.testclient import TestClient

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(web_app.state.session, "predict", broken)
    client = TestClient(web_app, raise_server_exceptions=False)
    r = client.post("/api/predict", json={"pixels": np.zeros((28, 28)).tolist()})
    assert r.status_code == 500 and "secret" not in r.text and "Traceback" not in r.text
    assert r.json()["detail"] == ("the server failed on this request (RuntimeError); this is a bug in convnet, please "
                                  "report it with the request")


@pytest.mark.parametrize(("error", "status"), [(ValueError("numpy said no"), 500), (KeyError("x"), 500),
                                               (ConvnetValueError("the drawing is blank: draw a digit"), 422)])
def test_only_convnet_errors_are_the_users_fault(web_app: FastAPI, monkeypatch: pytest.MonkeyPatch,
                                                error: Exception, status: int) -> None:
    """A built-in ValueError that convnet did not raise on purpose is a bug (500), not a 422."""
    from fastapi.testclient import TestClient

    def broken(*args: Any, **kwargs: Any) -> None:
        raise error

    monkeypatch.setattr(web_app.state.session, "predict", broken)
    r = TestClient(web_app, raise_server_exceptions=False).post("/api/predict",
                                                                 json={"pixels": np.zeros((28, 28)).tolist()})
    assert r.status_code == status
    if status == 422:
        assert r.json()["detail"] == "the drawing is blank: draw a digit"
    else:
        assert "this is a bug in convnet" in r.json()["detail"] and "numpy said no" not in r.text


def test_many_validation_errors_are_summarised(client: Any) -> None:
    r = client.post("/api/convolve", json={"input": [["x"] * 64] * 64, "kernel": [[1]]})
    message = detail(r, 422)
    assert message.startswith("input [0][0]: input should be a valid number, unable to parse string as a number; ")
    assert message.endswith("; and 4091 more") and len(r.json()["errors"]) == 50
