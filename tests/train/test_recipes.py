"""The table of training recipes: how a run's recipe is chosen, overridden and recorded."""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path

import pytest

from convnet import data, models
from convnet.errors import OptionError
from convnet.train import load_checkpoint
from convnet.train.recipes import RECIPES, TRAINING_FIELDS, Recipe, choose_recipe, get_recipe
from convnet.train.run import TrainConfig, run_training


@pytest.mark.parametrize("name", list(RECIPES))
def test_every_recipe_is_complete_and_valid(name: str) -> None:
    recipe = RECIPES[name]
    assert recipe.name == name and recipe.about and "\n" not in recipe.about
    assert recipe.model in models.list() and recipe.dataset in data.list_datasets()
    assert TrainConfig(recipe_name=name).recipe() == recipe          # passes every option check


def test_the_default_recipe_follows_the_dataset_and_the_model() -> None:
    assert choose_recipe() == RECIPES["mnist"] and RECIPES["mnist"].model == "mnist-bn"
    assert choose_recipe("mnist", "lenet5") == RECIPES["lenet5"]          # LeNet-5's own recipe
    assert choose_recipe("fashion-mnist") == RECIPES["fashion-mnist"]
    assert choose_recipe("synth-digits").model == "lenet5"
    other = choose_recipe("kmnist", "lenet5")                             # no KMNIST recipe for LeNet-5:
    assert other == RECIPES["kmnist"].__class__(**{**asdict(RECIPES["kmnist"]), "model": "lenet5"})
    assert choose_recipe("fashion-mnist", name="speedrun").dataset == "fashion-mnist"
    assert TrainConfig().recipe() == RECIPES["mnist"]
    assert TrainConfig(model="lenet5").recipe().name == "lenet5"


def test_every_flag_replaces_one_field_of_the_recipe() -> None:
    base = RECIPES["speedrun"]
    changed = {"epochs": 3, "batch_size": 64, "optimizer": "sgd", "lr": 0.05, "momentum": 0.8,
               "weight_decay": 1e-4, "schedule": "cosine", "augment": "digits", "label_smoothing": 0.2,
               "val_split": 1000, "tta": "flip"}
    assert set(changed) == set(TRAINING_FIELDS)
    for field, value in changed.items():
        overrides = {field: value, **({"optimizer": "sgd"} if field == "momentum" else {})}
        recipe = TrainConfig(recipe_name="speedrun", overrides=overrides).recipe()
        assert getattr(recipe, field) == value
        assert asdict(recipe) == {**asdict(base), **overrides}        # nothing else moved
    assert TrainConfig(recipe_name="speedrun", model="mnist-bn").recipe().model == "mnist-bn"
    wide = TrainConfig(dataset="fashion-mnist").recipe()
    assert wide.model == "mnist-bn" and wide.model_options == {"widths": (24, 48, 96)}
    assert TrainConfig(dataset="fashion-mnist", model="lenet5").recipe().model_options == {}   # not lenet5's


def test_unknown_recipe_and_unknown_field_are_option_errors() -> None:
    with pytest.raises(OptionError, match=r"--recipe 'speedrn' is not a recipe \(did you mean speedrun\?\); "
                                          r"recipes: mnist, "):
        get_recipe("speedrn")
    with pytest.raises(OptionError, match=r"unknown recipe option\(s\) \['epoch'\]"):
        TrainConfig(overrides={"epoch": 3}).recipe()
    with pytest.raises(OptionError, match="unknown recipe option"):
        Recipe().with_options(name="mine")                              # the name is not a training field


def test_a_run_records_its_resolved_recipe_and_its_timing(tmp_path: Path) -> None:
    config = TrainConfig(model="lenet5", dataset="synth-digits", recipe_name="speedrun", out_dir=str(tmp_path),
                         progress=False, dataset_options={"size": 768},
                         overrides={"epochs": 2, "batch_size": 64, "val_split": 128})
    result = run_training(config, log=lambda *_: None)
    expected = {**asdict(RECIPES["speedrun"]), "model": "lenet5", "dataset": "synth-digits", "epochs": 2,
                "batch_size": 64, "val_split": 128}
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["recipe"] == expected and asdict(result.recipe) == expected
    assert load_checkpoint(result.best_checkpoint).meta["recipe"] == expected
    history = json.loads((tmp_path / "history.json").read_text())
    validation = sum(row["val_seconds"] for row in history)
    assert validation > 0 and metrics["validation_seconds"] == pytest.approx(validation)
    assert 0 < metrics["data_loading_seconds"] < metrics["seconds"] == result.seconds
    assert metrics["seconds"] >= sum(row["seconds"] for row in history)   # every training pass is counted
    assert metrics["epochs_run"] == 2


MNIST_ROOT = os.environ.get("CONVNET_DATA")      # read at import: the autouse fixture hides it from the tests


@pytest.mark.slow
@pytest.mark.skipif(not MNIST_ROOT or not (Path(MNIST_ROOT) / "mnist").is_dir(),
                    reason="needs real MNIST: set CONVNET_DATA to a folder holding mnist/")
def test_the_default_recipe_clears_99_percent_of_mnist_in_a_short_run(tmp_path: Path) -> None:
    """The default recipe, cut to 2 of its epochs (about 20 s of training on 2 cores): a regression in
    the model, the recipe or the engine shows here; the full figures are in docs/TRAINING.md."""
    config = TrainConfig(data_dir=MNIST_ROOT, download=False, out_dir=str(tmp_path), progress=False,
                         overrides={"epochs": 2})
    result = run_training(config, log=lambda *_: None)
    assert (result.recipe.name, result.recipe.model, result.dataset) == ("mnist", "mnist-bn", "mnist")
    assert result.test.accuracy >= 0.99, f"{result.test.accuracy:.2%} after 2 epochs"
