"""One loaded model and everything the web app asks of it, safe to share between request threads.

A forward pass with hooks (`convnet.viz.probe.capture`) and a summary both attach hooks to the
model and switch it to eval mode: two requests doing that at once would read each other's
outputs. `ModelSession` therefore runs every use of the model under one lock. What is computed
once (the summary, the layers worth showing, their receptive-field geometry, the learned
kernels, the sample images) is cached, and the caches are filled under a second lock.
Decoding and encoding happen outside both.

Arrays leave as `schemas.Array8` dictionaries (`quantise`): feature maps on their layer's colour
scale (`convnet.viz.colors.auto`, as `convnet viz features` draws them), kernels on a scale
symmetric about zero (as `convnet viz filters`), at most 64 channels and 64 x 64 cells each.

>>> import convnet as cn
>>> model = cn.models.create("lenet5", input_size=28).eval()
>>> meta = {"dataset": {"name": "synth-digits", "classes": list("0123456789"), "mean": [0.15], "std": [0.31],
...                     "in_channels": 1, "image_size": [28, 28], "style": "digits"}, "model": {"name": "lenet5"}}
>>> s = ModelSession(model, meta)
>>> s.layers
['features.0', 'features.1', 'features.2', 'features.3', 'features.4', 'features.5']
>>> out = s.predict(np.zeros((1, 28, 28), np.uint8))
>>> len(out["probabilities"]), [m["shown"] for m in out["layers"]][3]
(10, [16, 10, 10])
>>> s.receptive_field("features.3", 2, 5).describe()
'features.3 (Conv2d), output 16x10x10: cell (row 2, column 5) sees input rows 2-15, columns 8-21'
"""

from __future__ import annotations

import base64
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from .. import data
from .._tensor import Tensor
from ..autograd import no_grad
from ..data.download import DatasetNotFoundError
from ..errors import ConvnetValueError
from ..inspect import summary
from ..nn import Module
from ..nn import functional as F
from ..train import predict_logits, tta_of
from ..viz import colors
from ..viz.features import spatial_layers
from ..viz.images import normalise
from ..viz.probe import capture, conv_layers
from ..viz.receptive import FieldGeometry, Region, field_geometry
from ..viz.weights import MAX_INPUTS, MAX_OUTPUTS

MAX_CHANNELS = 64          # feature maps shown per layer
MAX_CELLS = 64             # rows and columns shown per feature map (larger maps: every k-th)
SAMPLE_POOL = 200          # test images searched for samples of every class


def quantise(values: np.ndarray, scale: colors.ColorScale) -> dict[str, Any]:
    """`values` as one byte each on `scale` (q = round(255 (v - lo) / (hi - lo)), clipped): an Array8 dict."""
    v = np.asarray(values, dtype=np.float64)
    q = np.clip(np.rint((v - scale.lo) / (scale.hi - scale.lo) * 255.0), 0, 255).astype(np.uint8)
    return {"shape": list(v.shape), "lo": float(scale.lo), "hi": float(scale.hi), "cmap": scale.cmap,
            "data": base64.b64encode(q.tobytes()).decode("ascii")}


def image_array(pixels: np.ndarray) -> dict[str, Any]:
    """A uint8 image (C, H, W) as an Array8 dict, exactly (lo 0, hi 255)."""
    return quantise(pixels, colors.gray())


def palettes() -> dict[str, list[str]]:
    """The 256 colours of each `convnet.viz.colors` scale as '#rrggbb', indexed by the quantised byte."""
    out = {}
    for cmap in ("diverging", "sequential", "blues", "gray"):
        rgb = colors.ColorScale(0.0, 255.0, cmap)(np.arange(256))
        out[cmap] = ["#{:02x}{:02x}{:02x}".format(*(int(c) for c in px)) for px in rgb]
    return out


class ModelSession:
    """A model (in eval mode) and its checkpoint metadata, used by the app's request threads.

    `meta` is a checkpoint's metadata: ``meta["dataset"]`` gives classes, input shape, normalisation
    and the image style; ``meta["model"]`` the model's name and arguments.
    """

    def __init__(self, model: Module, meta: dict[str, Any], source: str = "in memory") -> None:
        ds = meta.get("dataset")
        if not isinstance(ds, dict):
            raise ConvnetValueError(
                "the model's metadata has no 'dataset' entry (classes, in_channels, image_size, mean, "
                "std): use a checkpoint written by `convnet train`"
            )
        missing = [k for k in ("classes", "in_channels", "image_size", "mean", "std") if k not in ds]
        if missing:
            raise ConvnetValueError(
                f"the model's dataset metadata lacks {', '.join(missing)}: use a checkpoint written "
                "by `convnet train`"
            )
        self.model, self.meta, self.dataset, self.source = model, meta, ds, source
        self.input_shape = (int(ds["in_channels"]), *(int(v) for v in ds["image_size"]))
        self._lock = threading.Lock()                 # every use of the model
        self._cache_lock = threading.Lock()           # filling the caches below
        self._geometry: dict[str, FieldGeometry] = {}
        self._weights: list[dict[str, Any]] | None = None
        self._samples: tuple[str | None, str | None, list[dict[str, Any]]] | None = None
        with self._lock:
            model.eval()
            self.summary = summary(model, self.input_shape)
            self.layers = spatial_layers(model, self.input_shape)
        self._rows = {r.name: r for r in self.summary.layers}

    @property
    def draws(self) -> bool:
        """Whether people draw their input (one-channel digit models) rather than upload a picture."""
        return self.input_shape[0] == 1 and self.dataset.get("style", "digits") == "digits"

    def info(self) -> dict[str, Any]:
        """What GET /api/model answers: names, the dataset, the layers with feature maps, the summary."""
        spec = self.meta.get("model") or {}
        keep = ("name", "classes", "in_channels", "image_size", "style", "mean", "std")
        rows = self._rows
        return {"name": spec.get("name", type(self.model).__name__), "kwargs": spec.get("kwargs", {}),
                "source": self.source, "dataset": {k: self.dataset[k] for k in keep if k in self.dataset},
                "input": "draw" if self.draws else "upload",
                "test_accuracy": (self.meta.get("test") or {}).get("accuracy"),
                "layers": [{"name": n, "type": rows[n].type, "output_shape": list(rows[n].output_shape)}
                           for n in self.layers],
                "summary": self.summary.as_dict()}

    def prepare(self, image: Any) -> tuple[np.ndarray, list[str]]:
        """A PIL image prepared as `convnet predict` prepares files: uint8 (C, H, W) and what was done."""
        from ..data.preprocess import prepare_image

        c, h, w = self.input_shape
        return prepare_image(image, c, (h, w), self.dataset.get("style", "digits"))

    def predict(self, pixels: np.ndarray, features: bool = True, notes: list[str] | None = None) -> dict[str, Any]:
        """Class probabilities for one uint8 image (C, H, W) and, with `features`, every layer's feature maps."""
        start = time.perf_counter()
        x = normalise(pixels[None], self.dataset)                                # (1, C, H, W) float32
        with self._lock:
            with no_grad():
                probs = F.softmax(predict_logits(self.model, Tensor(x), tta_of(self.meta)), dim=1).numpy()[0]
            maps = capture(self.model, x, self.layers) if features else {}
        classes = self.dataset["classes"]
        if probs.shape != (len(classes),):
            raise ConvnetValueError(
                f"the model outputs {probs.size} numbers per image but its dataset has {len(classes)} "
                "classes: the checkpoint and its metadata do not match"
            )
        best = int(np.argmax(probs))
        return {"prediction": classes[best], "index": best,
                "probabilities": [{"label": c, "probability": float(p)} for c, p in zip(classes, probs, strict=True)],
                "input": image_array(pixels), "notes": notes or [],
                "layers": [self._maps(name, self._rows[name].type, out[0]) for name, out in maps.items()],
                "seconds": time.perf_counter() - start}

    @staticmethod
    def _maps(name: str, kind: str, maps: np.ndarray) -> dict[str, Any]:
        """One layer's maps (C, H, W): the first 64 channels, every k-th cell when larger than 64 x 64."""
        c, h, w = maps.shape
        step = -(-max(h, w) // MAX_CELLS)
        shown = maps[:MAX_CHANNELS, ::step, ::step]
        return {**quantise(shown, colors.auto(maps)), "name": name, "type": kind, "shown": list(shown.shape),
                "step": step, "shape": [c, h, w]}

    def geometry(self, layer: str) -> FieldGeometry:
        """How the cells of `layer` map onto the input (receptive field, effective stride and padding)."""
        with self._cache_lock:
            if layer not in self._geometry:
                with self._lock:
                    self._geometry[layer] = field_geometry(self.model, layer, self.input_shape)
            return self._geometry[layer]

    def receptive_field(self, layer: str, y: int, x: int) -> Region:
        """The input region that cell (y, x) of `layer` sees."""
        return self.geometry(layer).at((y, x))

    def weights(self) -> list[dict[str, Any]]:
        """Every convolution layer's kernels (the first 64 outputs and 32 inputs), quantised."""
        with self._cache_lock:
            if self._weights is None:
                layers = []
                for name, conv in conv_layers(self.model):
                    w = conv.weight.numpy()
                    shown = w[:MAX_OUTPUTS, :MAX_INPUTS]
                    layers.append({**quantise(shown, colors.symmetric(shown)), "name": name,
                                   "type": type(conv).__name__, "shape": list(w.shape), "shown": list(shown.shape),
                                   "rgb": w.shape[1] == 3})
                self._weights = layers
            return self._weights

    def samples(self, count: int) -> tuple[str | None, str | None, list[dict[str, Any]]]:
        """Up to `count` test images of the model's dataset, classes in turn: (dataset, note, samples).

        Nothing is downloaded: a dataset not on this machine gives generated digits for digit models
        (with a note saying so) and no samples for the others.
        """
        with self._cache_lock:
            if self._samples is None:
                self._samples = self._load_samples()
            name, note, found = self._samples
        return name, note, found[:count]

    def _load_samples(self) -> tuple[str | None, str | None, list[dict[str, Any]]]:
        name = str(self.dataset.get("name", ""))
        options = (self.meta.get("train_config") or {}).get("dataset_options") or {}
        note = None
        try:
            if name == "synth-digits":
                ds = data.SynthDigits(train=False, size=SAMPLE_POOL, seed=options.get("seed", 0), cache=False)
            else:
                ds = data.get_dataset(name, train=False, download=False, **options)
        except (ValueError, OSError) as e:
            if not self.draws:
                why = "is not on this machine" if isinstance(e, DatasetNotFoundError) else f"cannot be read here ({e})"
                return None, f"no samples: {name or 'the dataset'} {why}", []
            note = f"{name} is not on this machine, so these are generated digits (synth-digits)"
            name, ds = "synth-digits", data.SynthDigits(train=False, size=SAMPLE_POOL, cache=False)
        if tuple(ds.images.shape[1:]) != self.input_shape:
            return None, f"no samples: {name} images are not {'x'.join(map(str, self.input_shape))}", []
        targets = np.asarray(ds.targets[:SAMPLE_POOL])
        by_class = [np.flatnonzero(targets == k).tolist() for k in range(len(ds.classes))]
        order = [c[k] for k in range(max(map(len, by_class))) for c in by_class if k < len(c)]   # classes in turn
        return name, note, [{"label": ds.classes[int(ds.targets[i])], "source": f"{name} test image {i}",
                             "pixels": image_array(ds.images[i])} for i in order[:50]]


def load_session(checkpoint: str | Path) -> ModelSession:
    """A `ModelSession` for a checkpoint written by `convnet train` (or an .onnx file convnet can read)."""
    from ..io import load_model

    model, meta = load_model(checkpoint, note=lambda text: print(f"Note: {text}.", file=sys.stderr))
    return ModelSession(model, meta, str(checkpoint))
