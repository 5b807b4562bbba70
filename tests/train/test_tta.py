"""Test-time flips (a recipe's ``tta="flip"``): each image is scored together with its mirror image,
the same way wherever a checkpoint classifies (training's test score, evaluate, predict, serve)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

import convnet as cn
from convnet import data
from convnet.cli import main
from convnet.cli.predict import classify
from convnet.data.preprocess import prepare_image
from convnet.errors import OptionError
from convnet.io import load_model
from convnet.train import evaluate, predict_logits
from convnet.train.recipes import RECIPES
from convnet.train.run import TrainConfig, eval_transform, run_training
from convnet.web.session import ModelSession


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def by_hand(model: cn.nn.Module, x: np.ndarray) -> np.ndarray:
    """The mean of the class probabilities of each image and of its mirror image (float64)."""
    with cn.no_grad():
        plain = model(cn.tensor(x)).numpy().astype(np.float64)
        mirrored = model(cn.tensor(np.ascontiguousarray(x[..., ::-1]))).numpy().astype(np.float64)
    return (softmax(plain) + softmax(mirrored)) / 2


def lopsided_net() -> cn.nn.Module:
    """A network that tells an image from its mirror image (a plain linear layer over the pixels)."""
    cn.manual_seed(3)
    return cn.nn.Sequential(cn.nn.Conv2d(1, 4, 3), cn.nn.ReLU(), cn.nn.Flatten(), cn.nn.Linear(4 * 6 * 6, 5)).eval()


def test_flip_scores_are_the_mean_of_the_image_and_its_mirror() -> None:
    net = lopsided_net()
    x = np.random.default_rng(0).standard_normal((6, 1, 8, 8)).astype(np.float32)
    with cn.no_grad():
        plain = predict_logits(net, cn.tensor(x)).numpy()
        flipped = predict_logits(net, cn.tensor(x), "flip").numpy()
        assert np.array_equal(plain, net(cn.tensor(x)).numpy())                  # "none": the model's output
    np.testing.assert_allclose(softmax(flipped.astype(np.float64)), by_hand(net, x), atol=1e-6)
    assert np.abs(softmax(flipped) - softmax(plain)).max() > 0.01                # the mirror images counted
    symmetric = (x + x[..., ::-1]) / 2                   # an image equal to its mirror: nothing to average
    with cn.no_grad():
        np.testing.assert_allclose(softmax(predict_logits(net, cn.tensor(symmetric), "flip").numpy()),
                                   softmax(net(cn.tensor(symmetric)).numpy()), atol=1e-6)
    with pytest.raises(OptionError) as error:
        predict_logits(net, cn.tensor(x), "mirror")
    assert str(error.value) == ("tta must be 'none' or 'flip' (test-time augmentation: 'flip' averages the class "
                                "probabilities of each image and its mirror image), got 'mirror'")
    with pytest.raises(OptionError) as error:
        TrainConfig(overrides={"tta": "Flip"}).recipe()
    assert str(error.value) == ("--tta must be one of none, flip (flip: score each test image with its mirror "
                                "image, for data a mirror does not change), got 'Flip'")


def test_only_fashion_mnist_flips_at_test_time() -> None:
    """Digits change meaning in a mirror (a mirrored 2 is no digit); clothes do not."""
    assert {name for name, r in RECIPES.items() if r.tta == "flip"} == {"fashion-mnist"}
    assert RECIPES["fashion-mnist"].augment == "shift-flip"          # trained on mirror images too


@pytest.fixture(scope="module")
def flip_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("tta-run")
    config = TrainConfig(model="lenet5", dataset="synth-digits", out_dir=str(out), progress=False,
                         dataset_options={"size": 768},
                         overrides={"epochs": 1, "batch_size": 64, "val_split": 128, "tta": "flip"})
    result = run_training(config, log=lambda *_: None)
    return result.best_checkpoint, json.loads((out / "metrics.json").read_text())


def test_a_run_with_flips_scores_its_test_set_both_ways(flip_run: tuple[Path, dict]) -> None:
    checkpoint, metrics = flip_run
    model, meta = load_model(checkpoint)
    assert meta["recipe"]["tta"] == metrics["recipe"]["tta"] == "flip"
    test = data.get_dataset("synth-digits", train=False, size=768)
    images, labels = test.get_batch(np.arange(len(test)))
    x = eval_transform(meta["dataset"]["mean"], meta["dataset"]["std"])(images)
    with cn.no_grad():
        plain = model(cn.tensor(x)).numpy()
    flipped_right = float(np.mean(by_hand(model, x).argmax(1) == labels))
    assert metrics["test"]["accuracy"] == pytest.approx(flipped_right, abs=1e-9)
    assert metrics["test"]["accuracy_without_tta"] == pytest.approx(float(np.mean(plain.argmax(1) == labels)))
    assert meta["test"]["accuracy"] == metrics["test"]["accuracy"]
    assert metrics["test"]["accuracy"] != metrics["test"]["accuracy_without_tta"]      # digits: flips differ
    loader = data.DataLoader(test, batch_size=100, transform=eval_transform(meta["dataset"]["mean"],
                                                                            meta["dataset"]["std"]))
    assert evaluate(model, loader, tta="flip").accuracy == pytest.approx(flipped_right)


def test_evaluate_predict_and_serve_score_as_the_recipe_did(flip_run: tuple[Path, dict], tmp_path: Path) -> None:
    checkpoint, _ = flip_run
    model, meta = load_model(checkpoint)
    test = data.get_dataset("synth-digits", train=False)              # what `convnet evaluate` reads
    images, labels = test.get_batch(np.arange(len(test)))
    x = eval_transform(meta["dataset"]["mean"], meta["dataset"]["std"])(images)
    with cn.no_grad():
        plain_right = float(np.mean(model(cn.tensor(x)).numpy().argmax(1) == labels))
    runner = CliRunner()
    result = runner.invoke(main, ["evaluate", str(checkpoint), "--json"], catch_exceptions=False)
    said = json.loads(result.output)
    assert said["tta"] == "flip" and said["accuracy"] == pytest.approx(np.mean(by_hand(model, x).argmax(1) == labels))
    result = runner.invoke(main, ["evaluate", str(checkpoint), "--json", "--tta", "none"], catch_exceptions=False)
    assert json.loads(result.output)["accuracy"] == pytest.approx(plain_right) != said["accuracy"]
    text = " ".join(runner.invoke(main, ["evaluate", str(checkpoint)], catch_exceptions=False).output.split())
    assert "each image scored together with its mirror image (--tta flip; --tta none scores it once)" in text
    out = runner.invoke(main, ["export", str(checkpoint), str(tmp_path / "m.onnx")], catch_exceptions=False).output
    plain_test = load_model(checkpoint)[1]["test"]["accuracy_without_tta"]
    assert ("Note: its recipe scores each image together with its mirror image (--tta flip); the ONNX file scores "
            f"each image once ({100 * plain_test:.2f}% on the test set that way).") in out

    rng = np.random.default_rng(1)
    paths = []
    for i in range(3):                                  # lopsided strokes, so an image differs from its mirror
        pixels = np.zeros((28, 28), np.uint8)
        pixels[4 + 3 * i:20, 6:9] = 255
        pixels[6:9, 6:22 - 2 * i] = 255
        pixels[rng.integers(0, 28, 30), rng.integers(0, 28, 30)] = 200
        paths.append(tmp_path / f"stroke{i}.png")
        Image.fromarray(pixels).save(paths[-1])
    size = tuple(meta["dataset"]["image_size"])
    prepared = np.stack([prepare_image(p, 1, size, meta["dataset"]["style"])[0] for p in paths])
    x = eval_transform(meta["dataset"]["mean"], meta["dataset"]["std"])(prepared)
    expected = by_hand(model, x)
    results = classify(model, meta, paths, top_k=10)
    for row, want in zip(results, expected, strict=True):
        got = {t["class"]: t["probability"] for t in row["top"]}
        np.testing.assert_allclose([got[c] for c in meta["dataset"]["classes"]], want, atol=1e-5)
    plain = classify(model, {**meta, "recipe": {**meta["recipe"], "tta": "none"}}, paths, top_k=10)
    moved = [abs(a["top"][0]["probability"] - b["top"][0]["probability"]) for a, b in zip(results, plain, strict=True)]
    assert max(moved) > 1e-4                            # with the recipe's flips the probabilities change

    session = ModelSession(model, meta)
    answer = session.predict(prepared[0], features=False)
    np.testing.assert_allclose([p["probability"] for p in answer["probabilities"]], expected[0], atol=1e-5)


def test_the_flag_and_the_recipe_line_name_the_flips() -> None:
    from convnet.cli.train import _recipe_line

    assert _recipe_line(RECIPES["fashion-mnist"]).endswith(", label smoothing 0.1, test-time flip")
    assert "test-time" not in _recipe_line(RECIPES["mnist"])
