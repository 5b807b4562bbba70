"""The JSON shapes of the web API: request bodies (validated by pydantic, with messages that say what
to send instead) and responses (which the OpenAPI page at /docs lists).

Arrays of pixels, feature maps and kernels travel as `Array8`: one byte per value, base64-encoded,
with the range it was quantised on. Value ``q`` (0-255) stands for ``lo + q * (hi - lo) / 255``, and
its colour is entry ``q`` of palette `cmap` (GET /api/palettes), the colour scale `convnet.viz` uses.

>>> r = ConvolveRequest(input=[[1, 2], [3, 4]], kernel=[[1]])
>>> r.mode, r.padding, r.stride, r.dilation
('conv', 0, 1, 1)
>>> ConvolveRequest(input=[[1, 2], [3]], kernel=[[1]])
Traceback (most recent call last):
...
pydantic_core._pydantic_core.ValidationError: 1 validation error for ConvolveRequest
input
  Value error, every row must have the same length: row 0 has 2 numbers but row 1 has 1 ...
"""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

MAX_GRID = 64          # the convolution page's input: at most 64 x 64 numbers
MAX_KERNEL = 11        # kernels and pooling windows: at most 11 x 11
MAX_PADDING = 10
MAX_STRIDE = 5
MAX_DILATION = 5
MAX_VALUE = 1e6        # |numbers| sent to /api/convolve: large enough for anything, small enough for float32


class Strict(BaseModel):
    """A request body: unknown fields are an error (a misspelt option is never silently ignored)."""

    model_config = ConfigDict(extra="forbid")


def _grid(rows: list[list[float]], what: str, limit: int) -> list[list[float]]:
    """Check a 2-D grid of numbers: not empty, rectangular, at most `limit` x `limit`, finite and bounded."""
    if not rows or not rows[0]:
        raise ValueError(f"the {what} is empty: give at least one row of at least one number")
    for i, row in enumerate(rows):
        if len(row) != len(rows[0]):
            raise ValueError(f"every row must have the same length: row 0 has {len(rows[0])} numbers but row {i} "
                             f"has {len(row)}")
    h, w = len(rows), len(rows[0])
    if h > limit or w > limit:
        raise ValueError(f"the {what} is {h}x{w}; the limit is {limit}x{limit}")
    for i, row in enumerate(rows):
        for j, v in enumerate(row):
            if not math.isfinite(v) or abs(v) > MAX_VALUE:
                raise ValueError(f"row {i}, column {j} holds {v}: numbers must be finite and at most {MAX_VALUE:g} "
                                 "in size")
    return rows


class Error(BaseModel):
    """Every error answer: one message saying what was wrong and what to send instead."""

    detail: str
    errors: list[dict[str, Any]] | None = Field(None, description="422 only: each validation error (loc, msg)")


class Array8(BaseModel):
    """An array quantised to one byte per value: value = lo + q * (hi - lo) / 255, colour = palette[cmap][q]."""

    shape: list[int]
    lo: float
    hi: float
    cmap: str = Field(description="the palette to colour it with: diverging, sequential or gray")
    data: str = Field(description="the bytes q, row-major, base64-encoded")


class PredictRequest(Strict):
    """An image to classify: an image file as base64 (`image`), or the pixels the model takes (`pixels`)."""

    image: str | None = Field(None, description="an image file (PNG, JPEG, BMP, GIF, TIFF, WebP) as base64, or "
                                                "as a data: URL; it is prepared as `convnet predict` prepares files")
    pixels: list[Any] | None = Field(None, description="the model's input as numbers 0-255: height x width rows "
                                                       "(one channel) or channels x height x width, used as given")
    features: bool = Field(True, description="also return every layer's feature maps")

    @model_validator(mode="after")
    def _one_source(self) -> PredictRequest:
        if (self.image is None) == (self.pixels is None):
            raise ValueError("send exactly one of 'image' (an image file as base64) and 'pixels' (an array of "
                             "numbers 0-255)")
        return self


class Probability(BaseModel):
    label: str
    probability: float


class FeatureMaps(Array8):
    """One layer's output for the image: `shown` channels x rows x columns of its `shape`, every `step`-th
    row and column (step 1: all of them). The layer's channels share one colour scale."""

    name: str
    type: str
    shown: list[int]
    step: int


class Prediction(BaseModel):
    prediction: str
    index: int
    probabilities: list[Probability] = Field(description="one per class, in the model's class order")
    input: Array8 = Field(description="the image as the model sees it (uint8, channels x height x width)")
    notes: list[str] = Field(description="what was done to the image to make it look like the training data")
    layers: list[FeatureMaps]
    seconds: float = Field(description="time the server spent on the image")


class LayerRow(BaseModel):
    name: str
    type: str
    output_shape: list[int]


class ModelInfo(BaseModel):
    name: str
    kwargs: dict[str, Any]
    source: str
    dataset: dict[str, Any] = Field(description="name, classes, in_channels, image_size, style, mean, std")
    input: Literal["draw", "upload"] = Field(description="draw for digit models, upload for the others")
    test_accuracy: float | None
    layers: list[LayerRow] = Field(description="the layers whose feature maps /api/predict returns")
    summary: dict[str, Any] = Field(description="convnet.inspect.summary(model, input_shape).as_dict()")


class Kernels(Array8):
    """A convolution layer's learned kernels (out x in x KH x KW), the first `shown` of them, on a scale
    symmetric about zero. `rgb`: the first layer of a colour model, best drawn as one colour tile per kernel."""

    name: str
    type: str
    shown: list[int]
    rgb: bool


class WeightsResponse(BaseModel):
    layers: list[Kernels]


class Filter(BaseModel):
    name: str
    kernel: list[list[float]]
    description: str


class FiltersResponse(BaseModel):
    filters: list[Filter]


class Sample(BaseModel):
    label: str
    source: str
    pixels: Array8


class SamplesResponse(BaseModel):
    dataset: str | None
    note: str | None
    samples: list[Sample]


class ReceptiveField(BaseModel):
    layer: str
    kind: str
    position: list[int]
    top: int
    left: int
    bottom: int
    right: int
    clipped: list[int] = Field(description="top, left, bottom, right of the part inside the image")
    receptive_field: list[int]
    stride: list[int]
    padding: list[int]
    input_shape: list[int]
    description: str


class ConvolveRequest(Strict):
    """A kernel (or a pooling window) sliding over a small grid of numbers."""

    input: list[list[float]] = Field(description=f"rows of numbers, at most {MAX_GRID}x{MAX_GRID}")
    mode: Literal["conv", "maxpool", "avgpool"] = "conv"
    kernel: list[list[float]] | None = Field(None, description=f"conv: the kernel's rows (at most "
                                                               f"{MAX_KERNEL}x{MAX_KERNEL})")
    kernel_size: int | None = Field(None, ge=1, le=MAX_KERNEL, description="pooling: the window's size")
    bias: float = Field(0.0, description="conv: added to every sum")
    padding: int = Field(0, ge=0, le=MAX_PADDING)
    stride: int = Field(1, ge=1, le=MAX_STRIDE)
    dilation: int = Field(1, ge=1, le=MAX_DILATION)
    first_step: int = Field(0, ge=0, description="the first step (kernel position) to return records for")
    max_steps: int = Field(256, ge=1, le=4096, description="how many steps to return at most")

    @field_validator("input")
    @classmethod
    def _input(cls, rows: list[list[float]]) -> list[list[float]]:
        return _grid(rows, "input", MAX_GRID)

    @field_validator("kernel")
    @classmethod
    def _kernel(cls, rows: list[list[float]] | None) -> list[list[float]] | None:
        return None if rows is None else _grid(rows, "kernel", MAX_KERNEL)

    @field_validator("bias")
    @classmethod
    def _bias(cls, v: float) -> float:
        if not math.isfinite(v) or abs(v) > MAX_VALUE:
            raise ValueError(f"the bias must be finite and at most {MAX_VALUE:g} in size, got {v}")
        return v

    @model_validator(mode="after")
    def _shape(self) -> ConvolveRequest:
        if self.mode == "conv":
            if self.kernel is None:
                raise ValueError("a convolution needs a 'kernel' (rows of numbers)")
            if self.kernel_size is not None and self.kernel_size != len(self.kernel):
                raise ValueError(f"kernel_size {self.kernel_size} does not match the {len(self.kernel)}-row kernel; "
                                 "leave kernel_size out for a convolution")
        else:
            if self.kernel is not None:
                raise ValueError(f"{self.mode} has no kernel weights: give 'kernel_size' (the window's size) "
                                 "instead of 'kernel'")
            if self.kernel_size is None:
                raise ValueError(f"{self.mode} needs 'kernel_size', the size of its window (1 to {MAX_KERNEL})")
            if self.bias:
                raise ValueError("pooling adds no bias: leave 'bias' out (or 0)")
        if self.mode == "avgpool" and self.dilation != 1:
            raise ValueError("average pooling has no dilation (avg_pool2d takes none): use dilation 1")
        return self


class Step(BaseModel):
    """One kernel position: the output cell it fills and the numbers that fill it."""

    index: int
    position: list[int] = Field(description="the output cell: row, column")
    origin: list[int] = Field(description="the padded input cell under the kernel's first tap: row, column")
    window: list[list[float | None]] = Field(description="the numbers under the kernel's taps (null: max "
                                                         "pooling's padding, minus infinity)")
    products: list[list[float]] | None = Field(description="conv: window x kernel, element by element")
    sum: float | None = Field(description="conv: the sum of the products; avgpool: the sum of the window")
    count: int | None = Field(description="avgpool: how many cells the sum is divided by")
    argmax: list[int] | None = Field(description="maxpool: where in the window the maximum is")
    value: float = Field(description="the output cell, as convnet.nn.functional computed it")


class ConvolveResponse(BaseModel):
    mode: str
    operation: str = Field(description="the convnet.nn.functional call that computed the output")
    input_shape: list[int]
    kernel_shape: list[int]
    padding: int
    stride: int
    dilation: int
    bias: float
    padding_value: float | None = Field(description="what the padding holds: 0, or null for minus infinity")
    output: list[list[float]]
    formula: dict[str, str] = Field(description="the output-size formula, in general and with the numbers, "
                                                "for height and width")
    total_steps: int
    first_step: int
    steps: list[Step]
