"""The operation database: one row per operation, with sample inputs and a PyTorch reference.

tests/test_op_db.py runs every row the same way: outputs and gradients against PyTorch in
float32, and finite-difference gradient checks in float64. Adding an operation means
adding a row here.

A sample's `inputs` are NumPy arrays (or `None` for an absent optional tensor); floating
arrays become tensors that require grad unless their index is in `no_grad`; integer and
boolean arrays are passed as plain tensors. `kwargs` values wrapped in `Arr` become tensors
too (a class weight, say); everything else is passed as is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as TF

import convnet as cn
import convnet.nn.functional as F


@dataclass
class Arr:
    """A tensor-valued keyword argument."""

    value: np.ndarray
    requires_grad: bool = False


@dataclass
class Sample:
    inputs: list[Any]
    kwargs: dict[str, Any] = field(default_factory=dict)
    no_grad: tuple[int, ...] = ()
    name: str = ""
    paths: dict[str, str] = field(default_factory=dict)   # primitive -> the native path it must take


@dataclass
class OpInfo:
    name: str
    ours: Callable[..., Any]
    ref: Callable[..., Any]
    samples: Callable[[np.random.Generator], list[Sample]]
    gradcheck: int = 3          # how many of the smallest samples get a float64 gradcheck
    gradcheck_key: Callable[[Sample], Any] | None = None   # if set: the smallest sample of each key
    rtol: float = 1e-4
    atol: float = 1e-5
    differentiable: bool = True


def same(fn: Callable[..., Any]) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """The same expression serves both libraries (the APIs agree)."""
    return fn, fn


# ------------------------------------------------------------------ helpers for samples
def normal(rng: np.random.Generator, *shape: int) -> np.ndarray:
    return rng.standard_normal(shape).astype(np.float32)


def positive(rng: np.random.Generator, *shape: int) -> np.ndarray:
    return rng.uniform(0.5, 2.0, shape).astype(np.float32)


def away_from_zero(rng: np.random.Generator, *shape: int) -> np.ndarray:
    return (positive(rng, *shape) * rng.choice([-1.0, 1.0], shape)).astype(np.float32)


def distinct(rng: np.random.Generator, *shape: int) -> np.ndarray:
    """Values with no ties and gaps of at least 0.01 (max and its gradient are well defined)."""
    n = int(np.prod(shape))
    return (rng.permutation(n).astype(np.float32) * 0.01 - n * 0.005).reshape(shape)


def pick(rng: np.random.Generator, *options: Any) -> Any:
    return options[int(rng.integers(len(options)))]


def pair_or_int(rng: np.random.Generator, lo: int, hi: int, p_pair: float = 0.3) -> Any:
    if rng.random() < p_pair:
        return int(rng.integers(lo, hi + 1)), int(rng.integers(lo, hi + 1))
    return int(rng.integers(lo, hi + 1))


def as_pair(v: Any) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else tuple(v)


# ------------------------------------------------------------------ convolution
def same_pads(size: int, k: int, s: int, d: int) -> tuple[int, int]:
    """SAME_UPPER, stated independently of convnet.arith: out = ceil(size / s)."""
    total = max((-(-size // s) - 1) * s + d * (k - 1) + 1 - size, 0)
    return total // 2, total - total // 2


def ref_conv2d(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor | None = None, stride: Any = 1,
               padding: Any = 0, dilation: Any = 1, groups: int = 1) -> torch.Tensor:
    s, d = as_pair(stride), as_pair(dilation)
    if padding == "same" and s != (1, 1):
        (t, bo), (l, r) = (same_pads(x.shape[2], w.shape[2], s[0], d[0]),
                           same_pads(x.shape[3], w.shape[3], s[1], d[1]))
        x, padding = TF.pad(x, (l, r, t, bo)), 0
    elif isinstance(padding, tuple) and isinstance(padding[0], tuple):
        (t, bo), (l, r) = padding
        x, padding = TF.pad(x, (l, r, t, bo)), 0
    return TF.conv2d(x, w, b, stride, padding, dilation, groups)


def native_conv_paths(x_shape: tuple[int, ...], w_shape: tuple[int, ...], stride: Any,
                      groups: int, padding: Any = 0, dilation: Any = 1) -> dict[str, str]:
    """Which native path a convolution must take, stated here independently of convnet:
    one kernel per channel is "depthwise"; otherwise stride 1 reads the padded image in
    place ("grid"), unless the kernel's reach across the padded width, dilation*(KW - 1),
    is an eighth of that width or more and both sides have 64 channels per group or more:
    then it reads KW shifted copies of the image with no padding between rows ("shifted");
    other strides read the image split into stride phases ("phases"). The kernel gradient
    is a product ("gemm") from 16 output channels per group and 64 taps per output channel
    (input channels per group x kernel height x kernel width), else dot products ("dots")."""
    c, o, width, kw = x_shape[1], w_shape[0], x_shape[3], w_shape[3]
    if groups > 1 and groups == c == o:
        return {"conv2d": "depthwise", "conv2d_input_grad": "depthwise", "conv2d_weight_grad": "depthwise"}
    forward = "grid" if as_pair(stride) == (1, 1) else "phases"
    reach = as_pair(dilation)[1] * (kw - 1)
    if padding == "same":
        padded = width + reach
    elif padding == "valid":
        padded = width
    elif isinstance(padding, tuple) and isinstance(padding[0], tuple):
        padded = width + sum(padding[1])
    else:
        padded = width + 2 * as_pair(padding)[1]
    if forward == "grid" and kw > 1 and reach * 8 >= padded and min(c, o) // groups >= 64:
        forward = "shifted"
    return {"conv2d": forward, "conv2d_input_grad": forward,
            "conv2d_weight_grad": "gemm" if o // groups >= 16 and w_shape[1] * w_shape[2] * kw >= 64 else "dots"}


def conv2d_path_samples(rng: np.random.Generator) -> list[Sample]:
    """Samples chosen per native path, at sizes that reach its blocking: several panels of
    positions (more than 128 flat positions), reductions longer than one block (more than
    384 taps), more output channels than one block of rows (240), stride phases without
    taps, groups, dilation, uneven padding, and batches large enough (16 images or more for
    two threads) that the kernel gradient shares out images rather than taps."""
    specs = [  # n, c, h, w, o, (kh, kw), stride, padding, dilation, groups
        (2, 3, 9, 11, 5, (3, 3), 1, 1, 1, 1), (3, 2, 16, 14, 4, (3, 3), 1, 1, 1, 1),
        (2, 32, 10, 9, 8, (3, 3), 1, 1, 1, 1), (1, 6, 14, 14, 16, (5, 5), 1, 0, 1, 1),
        (2, 4, 12, 12, 20, (3, 3), 1, "same", 1, 1), (2, 30, 8, 8, 24, (3, 3), 1, 1, 1, 1),
        (1, 3, 6, 7, 250, (3, 3), 1, 1, 1, 1), (2, 8, 7, 7, 17, (1, 1), 1, 0, 1, 1),
        (1, 5, 15, 13, 18, (3, 3), 1, ((2, 0), (1, 3)), 2, 1), (2, 1, 28, 28, 6, (5, 5), 1, 2, 1, 1),
        (2, 4, 10, 10, 32, (2, 4), 1, (1, 2), (2, 1), 2), (1, 2, 9, 9, 3, (7, 7), 1, 3, 1, 1),
        (2, 3, 11, 11, 6, (3, 3), 2, 1, 1, 1), (2, 16, 12, 12, 32, (3, 3), 2, 1, 1, 1),
        (2, 8, 13, 9, 16, (1, 1), 2, 0, 1, 1), (1, 3, 20, 17, 8, (5, 5), 3, 2, 1, 1),
        (2, 4, 10, 12, 20, (3, 3), (2, 1), 1, 1, 1), (1, 6, 16, 16, 18, (3, 3), 2, 2, 2, 1),
        (2, 4, 11, 11, 16, (2, 2), (3, 2), ((0, 1), (1, 0)), 1, 2), (1, 3, 23, 23, 4, (11, 11), 4, 2, 1, 1),
        (2, 6, 9, 9, 6, (3, 3), 1, 1, 1, 6), (2, 8, 20, 20, 8, (5, 5), 1, 2, 1, 8),
        (2, 5, 9, 10, 5, (3, 3), 2, 1, 1, 5), (1, 4, 12, 12, 4, (3, 3), 1, 2, 2, 4),
        (2, 3, 8, 8, 3, (2, 3), (3, 2), ((1, 0), (0, 1)), 1, 3),
        (2, 3, 12, 12, 16, (3, 3), 2, 1, 1, 1), (1, 5, 9, 14, 24, (1, 3), (1, 2), (0, 1), 1, 1),
        (2, 4, 15, 15, 16, (7, 7), 2, 3, 1, 1),
        (20, 3, 6, 7, 16, (3, 3), 1, 1, 1, 1), (17, 4, 7, 6, 20, (3, 3), 2, 1, 1, 2),   # many images per thread
        (1, 48, 6, 6, 8, (3, 3), 1, 1, 1, 1), (1, 8, 6, 7, 48, (3, 3), 1, 1, 1, 1),     # two reduction blocks
    ]
    # The shifted grid: narrow maps, 64 channels per group or more on both sides; one and two
    # panels of positions, several reduction blocks, dilation, uneven padding, groups.
    specs += [(1 + k % 2, 64 + 3 * (k % 4) if k % 5 else 128, 4 + k % 9, 5 + (3 * k) % 9,
               64 + 5 * (k % 3) if k % 7 else 130, (3, 3) if k % 4 else (2, 3 + k % 3), 1,
               ((k % 3, 1), (1, k % 2)) if k % 6 == 5 else 1, 2 if k % 8 == 3 else 1, 1) for k in range(20)]
    specs += [(2, 128, 7, 6, 128, (3, 3), 1, 1, 1, 2), (1, 64, 12, 12, 64, (3, 3), 1, 1, 1, 1)]
    # the kernel gradient's rule on taps per output channel: 72 and 144 a product, 63 and 9 dot products
    specs += [(2, 8, 12, 12, 16, (3, 3), 1, 1, 1, 1), (1, 16, 10, 10, 32, (3, 3), 1, 1, 1, 1),
              (1, 7, 9, 11, 20, (3, 3), 1, 1, 1, 1), (2, 1, 28, 28, 24, (3, 3), 1, 1, 1, 1),
              # ... and at other strides (the stride phases), 64 to 100 taps
              (2, 8, 13, 9, 16, (3, 3), 2, 1, 1, 1), (2, 64, 9, 9, 16, (1, 1), 2, 0, 1, 1),
              (1, 8, 12, 10, 24, (3, 3), (2, 1), 1, 1, 1), (17, 16, 7, 6, 40, (3, 3), 2, 1, 1, 2),
              (1, 4, 20, 17, 16, (5, 5), 3, 2, 1, 1)]
    out = []
    for k, (n, c, h, w, o, kernel, stride, padding, dilation, groups) in enumerate(specs):
        bias = k % 3 != 2
        fan_in = c // groups * kernel[0] * kernel[1]       # weights scaled as layers are initialised,
        weight = normal(rng, o, c // groups, *kernel) / np.float32(np.sqrt(fan_in) if fan_in > 300 else 1)
        inputs = [normal(rng, n, c, h, w), weight, normal(rng, o) if bias else None]   # outputs near 1
        kwargs = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
        paths = native_conv_paths((n, c, h, w), (o, c // groups, *kernel), stride, groups, padding, dilation)
        out.append(Sample(inputs, kwargs, name=f"path-{paths['conv2d']}-{paths['conv2d_weight_grad']}-{k}",
                          paths=paths))
    return out


def conv2d_samples(rng: np.random.Generator, count: int = 320) -> list[Sample]:
    out = []
    forms = ("int", "pair", "valid", "same", "explicit")
    for i in range(count):
        form = forms[i % 5]
        kind = ("1", "2", "depthwise")[(i // 5) % 3]
        bias = (i // 15) % 2 == 0
        n = 1 if (i // 2) % 2 else int(rng.integers(2, 4))
        kh = 1 + i % 7
        kw = kh if rng.random() < 0.6 else int(rng.integers(1, 8))
        s = {0: 1, 4: 2}.get(i % 8, 1 + (i // 7) % 3)     # the product-gradient samples: both kinds
        stride = s if rng.random() < 0.7 or i % 4 == 0 else (s, int(rng.integers(1, 4)))
        dl = 1 + (i // 21) % 3
        dilation = dl if rng.random() < 0.7 else (dl, int(rng.integers(1, 4)))
        if kind == "1":
            groups, c, o = 1, int(rng.integers(1, 5)), int(rng.integers(1, 6))
            if i % 4 == 0:                 # enough output channels and taps for the kernel gradient's product
                o = int(rng.integers(16, 21))
                c = max(c, -(-64 // (kh * kw)))
        elif kind == "2":
            groups, c, o = 2, 2 * int(rng.integers(1, 4)), 2 * int(rng.integers(1, 4))
        else:
            c = int(rng.integers(2, 5))
            groups, o = c, c * int(rng.integers(1, 3))
        if form == "int":
            padding = int(rng.integers(0, 4))
        elif form == "pair":
            padding = (int(rng.integers(0, 4)), int(rng.integers(0, 4)))
        elif form == "explicit":
            padding = ((int(rng.integers(0, 4)), int(rng.integers(0, 4))),
                       (int(rng.integers(0, 4)), int(rng.integers(0, 4))))
        else:
            padding = form
        dh, dw = as_pair(dilation)
        if isinstance(padding, str):
            pads = (0, 0)
        elif isinstance(padding, tuple) and isinstance(padding[0], tuple):
            pads = (sum(padding[0]), sum(padding[1]))
        else:
            ph, pw = as_pair(padding)
            pads = (2 * ph, 2 * pw)
        h = max(dh * (kh - 1) + 1 - pads[0], 1) + int(rng.integers(0, 6))
        w = max(dw * (kw - 1) + 1 - pads[1], 1) + int(rng.integers(0, 6))
        inputs = [normal(rng, n, c, h, w), normal(rng, o, c // groups, kh, kw),
                  normal(rng, o) if bias else None]
        kwargs = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
        out.append(Sample(inputs, kwargs, name=f"k{kh}x{kw}-s{stride}-p{padding}-d{dilation}-"
                                              f"g{groups}-b{int(bias)}-n{n}",
                          paths=native_conv_paths(inputs[0].shape, inputs[1].shape, stride, groups,
                                                  padding, dilation)))
    return out + conv2d_path_samples(rng)


def conv_transpose2d_samples(rng: np.random.Generator, count: int = 120) -> list[Sample]:
    out = []
    for i in range(count):
        kh, kw = 1 + i % 5, int(rng.integers(1, 6))
        stride = pair_or_int(rng, 1, 3)
        dilation = pair_or_int(rng, 1, 3)
        groups = 1 if i % 3 else 2
        c, og = groups * int(rng.integers(1, 4)), int(rng.integers(1, 4))
        n, h, w = 1 + i % 2, int(rng.integers(1, 7)), int(rng.integers(1, 7))
        (sh, sw), (dh, dw) = as_pair(stride), as_pair(dilation)
        ph = int(rng.integers(0, max(1, (dh * (kh - 1)) // 2 + 1)))
        pw = int(rng.integers(0, max(1, (dw * (kw - 1)) // 2 + 1)))
        oph = int(rng.integers(0, max(sh, dh)))
        opw = int(rng.integers(0, max(sw, dw)))
        if (h - 1) * sh - 2 * ph + dh * (kh - 1) + oph + 1 < 1:
            ph = 0
        if (w - 1) * sw - 2 * pw + dw * (kw - 1) + opw + 1 < 1:
            pw = 0
        bias = i % 4 != 0
        inputs = [normal(rng, n, c, h, w), normal(rng, c, og, kh, kw),
                  normal(rng, og * groups) if bias else None]
        kwargs = dict(stride=stride, padding=(ph, pw), output_padding=(oph, opw), groups=groups,
                      dilation=dilation)
        out.append(Sample(inputs, kwargs, name=f"{i}"))
    return out


# ------------------------------------------------------------------ pooling
def windows_touch_input(size: int, k: int, s: int, p: int, d: int, out: int) -> bool:
    """Every window has at least one tap inside the input (not only padding)."""
    taps = np.arange(out)[:, None] * s - p + np.arange(k)[None, :] * d
    return bool(((taps >= 0) & (taps < size)).any(axis=1).all())


def pool_out(size: int, k: int, s: int, p: int, d: int, ceil: bool) -> int:
    span = size + 2 * p - d * (k - 1) - 1
    o = (-(-span // s) if ceil else span // s) + 1
    return o - 1 if ceil and (o - 1) * s >= size + p else o


def max_pool2d_samples(rng: np.random.Generator, count: int = 120) -> list[Sample]:
    out: list[Sample] = []
    i = 0
    while len(out) < count:
        i += 1
        k = (1 + i % 5, int(rng.integers(1, 6))) if rng.random() < 0.3 else (1 + i % 5,) * 2
        stride = None if i % 4 == 0 else pair_or_int(rng, 1, 3)
        pad = (int(rng.integers(0, k[0] // 2 + 1)), int(rng.integers(0, k[1] // 2 + 1)))
        dil = 1 if i % 3 else pair_or_int(rng, 1, 3)
        (dh, dw) = as_pair(dil)
        h = max(dh * (k[0] - 1) + 1 - 2 * pad[0], 1) + int(rng.integers(0, 7))
        w = max(dw * (k[1] - 1) + 1 - 2 * pad[1], 1) + int(rng.integers(0, 7))
        n, c = 1 + i % 2, int(rng.integers(1, 4))
        kwargs = dict(kernel_size=k, stride=stride, padding=pad, dilation=dil,
                      ceil_mode=bool(i % 2), return_indices=bool((i // 2) % 2))
        s_ = as_pair(k if stride is None else stride)
        if not all(windows_touch_input(size, k[a], s_[a], pad[a], (dh, dw)[a],
                                       pool_out(size, k[a], s_[a], pad[a], (dh, dw)[a], bool(i % 2)))
                   for a, size in enumerate((h, w))):
            continue  # convnet refuses windows made only of padding (tested in test_errors)
        out.append(Sample([distinct(rng, n, c, h, w)], kwargs, name=str(i)))
    return out


def avg_pool2d_samples(rng: np.random.Generator, count: int = 120) -> list[Sample]:
    out = []
    for i in range(count):
        k = (1 + i % 5, int(rng.integers(1, 6))) if rng.random() < 0.3 else (1 + i % 5,) * 2
        stride = None if i % 4 == 0 else pair_or_int(rng, 1, 3)
        pad = (int(rng.integers(0, k[0] // 2 + 1)), int(rng.integers(0, k[1] // 2 + 1)))
        h = max(k[0] - 2 * pad[0], 1) + int(rng.integers(0, 7))
        w = max(k[1] - 2 * pad[1], 1) + int(rng.integers(0, 7))
        if i % 10 == 9 and stride is not None and k[0] >= 3:
            stride, h = (k[0], 1), k[0] - 1 - 2 * pad[0]    # ceil mode: kernel longer than input
            h = max(h, 1)
        n, c = 1 + i % 2, int(rng.integers(1, 4))
        kwargs = dict(kernel_size=k, stride=stride, padding=pad, ceil_mode=bool(i % 2) or i % 10 == 9,
                      count_include_pad=bool((i // 2) % 2),
                      divisor_override=int(rng.integers(1, 10)) if i % 11 == 5 else None)
        out.append(Sample([normal(rng, n, c, h, w)], kwargs, name=str(i)))
    return out


def adaptive_samples(rng: np.random.Generator, count: int = 110, ties_free: bool = False
                     ) -> list[Sample]:
    out = []
    for i in range(count):
        h, w = int(rng.integers(1, 14)), int(rng.integers(1, 14))
        oh, ow = int(rng.integers(1, h + 3)), int(rng.integers(1, w + 3))
        size: Any = (oh, ow)
        if i % 7 == 0:
            size = oh
            ow = oh
        elif i % 7 == 1:
            size = (None, ow)
        n, c = 1 + i % 2, int(rng.integers(1, 4))
        x = distinct(rng, n, c, h, w) if ties_free else normal(rng, n, c, h, w)
        out.append(Sample([x], dict(output_size=size), name=f"{h}x{w}->{size}"))
    return out


# ------------------------------------------------------------------ tensor operations
def binary_samples(rng: np.random.Generator, make: Callable[..., np.ndarray] = normal
                   ) -> list[Sample]:
    shapes = [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 4), (3, 1)), ((5,), ()),
              ((2, 3, 1, 2), (1, 3, 4, 1)), ((1,), (2, 3))]
    return [Sample([normal(rng, *a), make(rng, *b)], name=f"{a}x{b}") for a, b in shapes]


def unary_samples(rng: np.random.Generator, make: Callable[..., np.ndarray] = normal
                  ) -> list[Sample]:
    return [Sample([make(rng, *s)], name=str(s)) for s in [(5,), (3, 4), (2, 3, 4, 5), ()]]


def reduction_samples(rng: np.random.Generator, make: Callable[..., np.ndarray] = normal
                      ) -> list[Sample]:
    out = []
    for dim, keep in [(None, False), (0, False), (1, True), (-1, False), ((0, 2), False),
                      ((1, 2), True)]:
        out.append(Sample([make(rng, 3, 4, 5)], dict(dim=dim, keepdim=keep),
                          name=f"dim{dim}-keep{keep}"))
    return out


def matmul_samples(rng: np.random.Generator) -> list[Sample]:
    shapes = [((3, 4), (4, 5)), ((4,), (4, 5)), ((3, 4), (4,)), ((4,), (4,)),
              ((2, 3, 4), (4, 5)), ((2, 3, 4), (2, 4, 5)), ((1, 3, 4), (2, 4, 2)),
              ((4,), (2, 4, 3)), ((2, 2, 3, 4), (4,))]
    return [Sample([normal(rng, *a), normal(rng, *b)], name=f"{a}@{b}") for a, b in shapes]


def index_samples(rng: np.random.Generator) -> list[Sample]:
    return [Sample([normal(rng, 4, 5, 3)], dict(index=i), name=str(n)) for n, i in enumerate([
        (1,), (slice(1, 3),), (slice(None), 2), (Ellipsis, 1), (slice(None, None, 2), slice(1, 4)),
        (np.array([0, 2, 2, 3]),), (np.array([[0, 1], [1, 1]]), slice(None), 0),
        (np.array([0, 3]), np.array([1, 4])), (None, 1, slice(0, 2)),
        (np.array([True, False, True, True]),),
    ])]


def shape_samples(rng: np.random.Generator) -> list[Sample]:
    return [Sample([normal(rng, 2, 3, 4)], name="2x3x4")]


def join_samples(rng: np.random.Generator) -> list[Sample]:
    return [Sample([normal(rng, 2, 3), normal(rng, 2, 3), normal(rng, 2, 3)], dict(dim=d),
                   name=f"dim{d}") for d in (0, 1, -1)]


def cat_samples(rng: np.random.Generator) -> list[Sample]:
    return [Sample([normal(rng, 2, 3, 4), normal(rng, 2, 1, 4), normal(rng, 2, 5, 4)],
                   dict(dim=1), name="dim1"),
            Sample([normal(rng, 1, 3), normal(rng, 4, 3)], dict(dim=0), name="dim0"),
            Sample([normal(rng, 2, 2), normal(rng, 2, 3)], dict(dim=-1), name="dim-1")]


def where_samples(rng: np.random.Generator) -> list[Sample]:
    return [Sample([normal(rng, 3, 4), normal(rng, 3, 4), rng.random((3, 4)) > 0.5], name="same"),
            Sample([normal(rng, 3, 4), normal(rng, 4), rng.random((3, 1)) > 0.5], name="bcast")]


def softmax_samples(rng: np.random.Generator) -> list[Sample]:
    big = normal(rng, 3, 5) * 1e4
    return [Sample([normal(rng, 4, 6)], dict(dim=1), name="dim1"),
            Sample([normal(rng, 2, 3, 4, 5)], dict(dim=1), name="nchw"),
            Sample([normal(rng, 2, 3, 4)], dict(dim=-1), name="last"),
            Sample([normal(rng, 7)], dict(dim=0), name="vector"),
            Sample([big], dict(dim=1), name="logits1e4")]


# ------------------------------------------------------------------ functional: others
def linear_samples(rng: np.random.Generator) -> list[Sample]:
    return [Sample([normal(rng, 4, 3), normal(rng, 5, 3), normal(rng, 5)], name="bias"),
            Sample([normal(rng, 2, 6, 3), normal(rng, 2, 3), None], name="3d-nobias"),
            Sample([normal(rng, 3), normal(rng, 4, 3), normal(rng, 4)], name="vector"),
            Sample([normal(rng, 64, 40), normal(rng, 30, 40), normal(rng, 30)], name="large")]


def activation_samples(rng: np.random.Generator, _avoid_zero: bool = True, **kwargs: Any
                       ) -> list[Sample]:
    make = away_from_zero if _avoid_zero else normal
    return [Sample([make(rng, *s)], dict(kwargs), name=str(s)) for s in [(6,), (3, 4), (2, 3, 4, 5)]]


def batch_norm_samples(rng: np.random.Generator) -> list[Sample]:
    out = []
    for shape in [(4, 3), (5, 3, 6), (3, 2, 4, 5)]:
        c = shape[1]
        for training in (True, False):
            for affine in (True, False):
                rm, rv = normal(rng, c), positive(rng, c)
                w, b = (positive(rng, c), normal(rng, c)) if affine else (None, None)
                out.append(Sample([normal(rng, *shape) * 3 + 1, rm, rv, w, b],
                                  dict(training=training, momentum=0.2, eps=1e-5),
                                  no_grad=(1, 2), name=f"{shape}-t{int(training)}-a{int(affine)}"))
                if len(shape) == 4:   # stored channel by channel, as convolution outputs are
                    x = channel_major(normal(rng, *shape) * 2 - 1)
                    out.append(Sample([x, rm.copy(), rv.copy(), w, b], dict(training=training, momentum=0.1),
                                      no_grad=(1, 2), name=f"{shape}-channel-major-t{int(training)}-a{int(affine)}"))
    return out


def channel_major(a: np.ndarray) -> np.ndarray:
    """The same (N, C, ...) values laid out in memory as (C, N, ...)."""
    return np.ascontiguousarray(a.swapaxes(0, 1)).swapaxes(0, 1)


def lrn_samples(rng: np.random.Generator) -> list[Sample]:
    return [Sample([normal(rng, *shape)], dict(size=size, alpha=alpha, beta=beta, k=k),
                   name=f"{shape}-size{size}")
            for shape, size, alpha, beta, k in [
                ((2, 7, 4, 4), 5, 1e-4, 0.75, 2.0), ((2, 6, 3, 3), 4, 0.1, 0.75, 1.0),
                ((1, 5, 6), 3, 0.5, 0.5, 1.0), ((2, 3, 2, 2), 1, 0.2, 1.5, 1.0),
                ((1, 4, 3, 3), 9, 0.3, 0.75, 1.0)]]


def pad_samples(rng: np.random.Generator) -> list[Sample]:
    cases = [((2, 3, 5, 6), (1, 2), "constant", 0.0), ((2, 3, 5, 6), (1, 2, 3, 0), "constant", 1.5),
             ((2, 3, 5, 6), (-1, 2, 0, -2), "constant", 0.0), ((1, 2, 5, 6), (2, 3, 1, 4), "reflect", None),
             ((2, 5, 6), (3, 1), "reflect", None), ((1, 2, 4, 5), (2, 3, 4, 1), "replicate", None),
             ((2, 3, 7), (2, 2), "replicate", None), ((1, 2, 5, 6), (2, 3, 4, 1), "circular", None),
             ((2, 3, 7), (3, 0), "circular", None)]
    return [Sample([normal(rng, *shape)], dict(pad=p, mode=m, value=v), name=f"{m}-{p}")
            for shape, p, m, v in cases]


def cross_entropy_samples(rng: np.random.Generator) -> list[Sample]:
    n, c = 6, 5
    t = rng.integers(0, c, n)
    t_ign = t.copy()
    t_ign[[1, 4]] = -100
    t_custom = t.copy()
    t_custom[2] = 3
    w = positive(rng, c)
    probs = rng.dirichlet(np.ones(c), n).astype(np.float32)
    return [
        Sample([normal(rng, n, c), t], name="plain"),
        Sample([normal(rng, n, c), t], dict(reduction="sum"), name="sum"),
        Sample([normal(rng, n, c), t], dict(reduction="none"), name="none"),
        Sample([normal(rng, n, c), t], dict(weight=Arr(w)), name="weight"),
        Sample([normal(rng, n, c), t], dict(weight=Arr(w), reduction="none"), name="weight-none"),
        Sample([normal(rng, n, c), t_ign], dict(), name="ignore"),
        Sample([normal(rng, n, c), t_custom], dict(ignore_index=3, weight=Arr(w)), name="ignore3-w"),
        Sample([normal(rng, n, c), t], dict(label_smoothing=0.1), name="smooth"),
        Sample([normal(rng, n, c), t_ign], dict(label_smoothing=0.2, weight=Arr(w)),
               name="smooth-weight-ignore"),
        Sample([normal(rng, n, c), t_ign], dict(label_smoothing=0.3, reduction="sum"),
               name="smooth-sum-ignore"),
        Sample([normal(rng, n, c), t_ign], dict(label_smoothing=0.3, reduction="none",
                                                weight=Arr(w)), name="smooth-none"),
        Sample([normal(rng, 2, c, 3, 4), rng.integers(0, c, (2, 3, 4))], name="spatial"),
        Sample([normal(rng, 2, c, 3, 4), rng.integers(0, c, (2, 3, 4))],
               dict(weight=Arr(w), label_smoothing=0.1), name="spatial-w-smooth"),
        Sample([normal(rng, c), np.array(2)], name="unbatched"),
        Sample([normal(rng, n, c) * 1e4, t], name="logits1e4"),
        Sample([normal(rng, n, c), probs], no_grad=(1,), name="probs"),
        Sample([normal(rng, n, c), probs], dict(label_smoothing=0.2, weight=Arr(w)),
               no_grad=(1,), name="probs-smooth-w"),
        Sample([normal(rng, n, c), probs], dict(reduction="none"), no_grad=(1,), name="probs-none"),
    ]


def nll_samples(rng: np.random.Generator) -> list[Sample]:
    n, c = 6, 4
    t = rng.integers(0, c, n)
    t_ign = t.copy()
    t_ign[0] = -100
    lp = np.log(rng.dirichlet(np.ones(c), n)).astype(np.float32)
    return [Sample([lp, t], name="plain"), Sample([lp, t_ign], dict(reduction="sum"), name="sum"),
            Sample([lp, t], dict(weight=Arr(positive(rng, c))), name="weight"),
            Sample([lp, t_ign], dict(reduction="none"), name="none"),
            Sample([normal(rng, 2, c, 3), rng.integers(0, c, (2, 3))], name="spatial")]


def regression_samples(rng: np.random.Generator) -> list[Sample]:
    return [Sample([normal(rng, *s), normal(rng, *s)], dict(reduction=r), name=f"{s}-{r}")
            for s, r in [((4, 3), "mean"), ((2, 3, 4), "sum"), ((5,), "none"), ((2, 1), "mean")]]


def bce_samples(rng: np.random.Generator) -> list[Sample]:
    s = (4, 3)
    t = rng.random(s).astype(np.float32)
    return [Sample([normal(rng, *s), t], name="plain"),
            Sample([normal(rng, *s) * 50, (t > 0.5).astype(np.float32)], dict(reduction="sum"),
                   name="large-sum"),
            Sample([normal(rng, *s), t], dict(weight=Arr(positive(rng, *s)), reduction="none"),
                   name="weight-none"),
            Sample([normal(rng, *s), t], dict(pos_weight=Arr(positive(rng, 3))), name="pos_weight"),
            Sample([normal(rng, *s), t], dict(pos_weight=Arr(positive(rng, 3)),
                                              weight=Arr(positive(rng, 1, 3))),
                   name="weight-pos_weight")]


# ------------------------------------------------------------------ 1-D and 3-D convolution and pooling
def _pads_ref(x: torch.Tensor, padding: Any, kernel: tuple[int, ...], stride: tuple[int, ...],
              dilation: tuple[int, ...]) -> tuple[torch.Tensor, Any]:
    """PyTorch cannot take "same" with a stride, nor unequal sides: pad explicitly instead."""
    n = len(kernel)
    if padding == "same" and any(s != 1 for s in stride):
        pads = [same_pads(x.shape[2 + i], kernel[i], stride[i], dilation[i]) for i in range(n)]
    elif isinstance(padding, tuple) and isinstance(padding[0], tuple):
        pads = list(padding)
    else:
        return x, padding
    return TF.pad(x, [v for p in reversed(pads) for v in p]), 0


def _as_tuple(v: Any, n: int) -> tuple[int, ...]:
    return (v,) * n if isinstance(v, int) else tuple(v)


def ref_conv_nd(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor | None = None, stride: Any = 1,
                padding: Any = 0, dilation: Any = 1, groups: int = 1) -> torch.Tensor:
    n = x.ndim - 2
    s, d = _as_tuple(stride, n), _as_tuple(dilation, n)
    x, padding = _pads_ref(x, padding, tuple(w.shape[2:]), s, d)
    return (TF.conv1d if n == 1 else TF.conv3d)(x, w, b, stride, padding, dilation, groups)


def conv_nd_samples(rng: np.random.Generator, spatial: int, count: int) -> list[Sample]:
    """Kernels, strides, dilations, groups and every padding form over `spatial` axes, at
    sizes small enough for 3-D finite differences."""
    out = []
    forms = ("int", "tuple", "valid", "same", "explicit")
    for i in range(count):
        form, groups = forms[i % 5], (1, 2, 3)[(i // 5) % 3]
        k = tuple(int(rng.integers(1, 4 if spatial == 3 else 6)) for _ in range(spatial))
        stride = 1 + i % 3 if i % 2 else tuple(int(rng.integers(1, 3)) for _ in range(spatial))
        dilation = 1 if i % 4 else tuple(int(rng.integers(1, 3)) for _ in range(spatial))
        d = _as_tuple(dilation, spatial)
        if form == "int":
            padding: Any = int(rng.integers(0, 3))
        elif form == "tuple":
            padding = tuple(int(rng.integers(0, 3)) for _ in range(spatial))
        elif form == "explicit":
            padding = tuple((int(rng.integers(0, 3)), int(rng.integers(0, 3))) for _ in range(spatial))
        else:
            padding = form
        c, o = groups * int(rng.integers(1, 3)), groups * int(rng.integers(1, 3))
        size = [d[a] * (k[a] - 1) + 1 + int(rng.integers(0, 4)) for a in range(spatial)]
        bias = i % 3 != 1
        inputs = [normal(rng, 1 + i % 2, c, *size), normal(rng, o, c // groups, *k), normal(rng, o) if bias else None]
        out.append(Sample(inputs, dict(stride=stride, padding=padding, dilation=dilation, groups=groups),
                          name=f"k{k}-s{stride}-p{padding}-d{dilation}-g{groups}-b{int(bias)}"))
    return out


def conv_transpose1d_samples(rng: np.random.Generator, count: int = 20) -> list[Sample]:
    out = []
    for i in range(count):
        k, s, d, groups = 1 + i % 5, 1 + i % 3, 1 + (i // 3) % 2, 1 + (i // 4) % 2
        c, og, length = groups * int(rng.integers(1, 3)), int(rng.integers(1, 4)), int(rng.integers(2, 8))
        p = int(rng.integers(0, (d * (k - 1)) // 2 + 1))
        op = int(rng.integers(0, max(s, d)))
        inputs = [normal(rng, 1 + i % 2, c, length), normal(rng, c, og, k), normal(rng, og * groups) if i % 4 else None]
        out.append(Sample(inputs, dict(stride=s, padding=p, output_padding=op, groups=groups, dilation=d),
                          name=f"{i}"))
    return out


def conv_transpose3d_samples(rng: np.random.Generator, count: int = 12) -> list[Sample]:
    out = []
    for i in range(count):
        k = tuple(1 + (i + a) % 3 for a in range(3))
        s, d, groups = tuple(1 + (i + a) % 2 for a in range(3)), 1 + (i // 4) % 2, 1 + (i // 3) % 2
        c, og = groups * int(rng.integers(1, 3)), int(rng.integers(1, 3))
        p = tuple(int(rng.integers(0, (d * (ka - 1)) // 2 + 1)) for ka in k)
        op = tuple(int(rng.integers(0, max(sa, d))) for sa in s)
        bias = normal(rng, og * groups) if i % 3 else None
        inputs = [normal(rng, 1 + i % 2, c, 2, 3, 2), normal(rng, c, og, *k), bias]
        out.append(Sample(inputs, dict(stride=s, padding=p, output_padding=op, groups=groups, dilation=d), name=f"{i}"))
    return out


def pool_nd_samples(rng: np.random.Generator, spatial: int, kind: str, count: int) -> list[Sample]:
    """Windows with and without stride, padding, dilation (max) and ceil_mode; the average
    with and without the padding in its divisor (and, in 3-D, a divisor_override)."""
    out: list[Sample] = []
    i = 0
    while len(out) < count:
        i += 1
        k = tuple(1 + (i + a) % (3 if spatial == 3 else 5) for a in range(spatial))
        stride = None if i % 4 == 0 else tuple(int(rng.integers(1, 3)) for _ in range(spatial))
        pad = tuple(int(rng.integers(0, ka // 2 + 1)) for ka in k)
        dil = (1,) * spatial if kind == "avg" or i % 3 else tuple(int(rng.integers(1, 3)) for _ in range(spatial))
        ceil = bool(i % 2)
        least = [dil[a] * (k[a] - 1) + 1 - (2 * pad[a] if kind == "max" else 0) for a in range(spatial)]
        size = [max(least[a], 1) + int(rng.integers(0, 4)) for a in range(spatial)]   # PyTorch's avg: >= kernel
        s_ = k if stride is None else stride
        if not all(windows_touch_input(size[a], k[a], s_[a], pad[a], dil[a],
                                       pool_out(size[a], k[a], s_[a], pad[a], dil[a], ceil)) for a in range(spatial)):
            continue
        kwargs: dict[str, Any] = dict(kernel_size=k, stride=stride, padding=pad, ceil_mode=ceil)
        if kind == "max":
            kwargs.update(dilation=dil, return_indices=bool((i // 2) % 2))
            x = distinct(rng, 1 + i % 2, int(rng.integers(1, 3)), *size)
        else:
            kwargs.update(count_include_pad=bool((i // 2) % 2))
            if spatial == 3 and i % 7 == 3:
                kwargs.update(divisor_override=int(rng.integers(1, 9)))
            x = normal(rng, 1 + i % 2, int(rng.integers(1, 3)), *size)
        out.append(Sample([x], kwargs, name=str(i)))
    return out


# ------------------------------------------------------------------ the table
def _ref_where(a: Any, b: Any, c: Any) -> Any:
    return torch.where(c, a, b)


OPS: list[OpInfo] = [
    # tensor arithmetic and math
    OpInfo("add", *same(lambda a, b: a + b), binary_samples),
    OpInfo("sub", *same(lambda a, b: a - b), binary_samples),
    OpInfo("rsub-scalar", *same(lambda a: 2.5 - a), unary_samples),
    OpInfo("mul", *same(lambda a, b: a * b), binary_samples),
    OpInfo("div", *same(lambda a, b: a / b), lambda r: binary_samples(r, away_from_zero)),
    OpInfo("rdiv-scalar", *same(lambda a: 3.0 / a), lambda r: unary_samples(r, away_from_zero)),
    OpInfo("neg", *same(lambda a: -a), unary_samples),
    OpInfo("pow-2", *same(lambda a: a ** 2), unary_samples),
    OpInfo("pow-frac", *same(lambda a: a ** 1.7), lambda r: unary_samples(r, positive)),
    OpInfo("pow-tensor", *same(lambda a, b: a.abs() ** b), binary_samples),
    OpInfo("rpow", *same(lambda a: 2.0 ** a), unary_samples),
    OpInfo("matmul", *same(lambda a, b: a @ b), matmul_samples),
    OpInfo("exp", *same(lambda a: a.exp()), unary_samples),
    OpInfo("log", *same(lambda a: a.log()), lambda r: unary_samples(r, positive)),
    OpInfo("sqrt", *same(lambda a: a.sqrt()), lambda r: unary_samples(r, positive)),
    OpInfo("abs", *same(lambda a: a.abs()), lambda r: unary_samples(r, away_from_zero)),
    OpInfo("tanh", *same(lambda a: a.tanh()), unary_samples),
    OpInfo("sigmoid", *same(lambda a: a.sigmoid()), unary_samples),
    OpInfo("relu-method", *same(lambda a: a.relu()), lambda r: unary_samples(r, away_from_zero)),
    OpInfo("clamp", *same(lambda a: a.clamp(-0.5, 0.7)), unary_samples),
    OpInfo("clamp-min", *same(lambda a: a.clamp(min=0.1)), unary_samples),
    OpInfo("sum", *same(lambda a, dim, keepdim: a.sum(dim=dim, keepdim=keepdim)),
           reduction_samples),
    OpInfo("mean", *same(lambda a, dim, keepdim: a.mean(dim=dim, keepdim=keepdim)),
           reduction_samples),
    OpInfo("var", *same(lambda a, dim, keepdim: a.var(dim=dim, keepdim=keepdim)),
           reduction_samples),
    OpInfo("std-biased", *same(lambda a, dim, keepdim: a.std(dim=dim, unbiased=False,
                                                             keepdim=keepdim)), reduction_samples),
    OpInfo("amax", *same(lambda a, dim, keepdim: a.amax(dim=() if dim is None else dim,
                                                        keepdim=keepdim)),
           lambda r: reduction_samples(r, distinct)),
    OpInfo("amin", *same(lambda a, dim, keepdim: a.amin(dim=() if dim is None else dim,
                                                        keepdim=keepdim)),
           lambda r: reduction_samples(r, distinct)),
    OpInfo("max-all", *same(lambda a: a.max()), lambda r: unary_samples(r, distinct)),
    OpInfo("min-all", *same(lambda a: a.min()), lambda r: unary_samples(r, distinct)),
    OpInfo("max-dim", *same(lambda a: a.max(dim=1)), lambda r: [Sample([distinct(r, 3, 4, 2)])]),
    OpInfo("min-dim-keepdim", *same(lambda a: a.min(dim=-1, keepdim=True)),
           lambda r: [Sample([distinct(r, 3, 4, 2)])]),
    OpInfo("softmax-method", *same(lambda a, dim: a.softmax(dim)), softmax_samples),
    OpInfo("log_softmax-method", *same(lambda a, dim: a.log_softmax(dim)), softmax_samples),
    # shapes
    OpInfo("reshape", *same(lambda a: a.reshape(4, -1)), shape_samples),
    OpInfo("view", *same(lambda a: a.view(6, 4)), shape_samples),
    OpInfo("flatten", *same(lambda a: a.flatten(1)), shape_samples),
    OpInfo("flatten-all", *same(lambda a: a.flatten()), shape_samples),
    OpInfo("permute", *same(lambda a: a.permute(2, 0, 1)), shape_samples),
    OpInfo("transpose", *same(lambda a: a.transpose(0, 2)), shape_samples),
    OpInfo("T-2d", *same(lambda a: a.reshape(6, 4).T), shape_samples),
    OpInfo("unsqueeze-squeeze", *same(lambda a: a.unsqueeze(1).unsqueeze(-1).squeeze(1)),
           shape_samples),
    OpInfo("expand", *same(lambda a: a[:, :1].expand(2, 5, 4)), shape_samples),
    OpInfo("index", *same(lambda a, index: a[index]), index_samples),
    OpInfo("cat", lambda *ts, dim: cn.cat(ts, dim), lambda *ts, dim: torch.cat(ts, dim),
           cat_samples),
    OpInfo("stack", lambda *ts, dim: cn.stack(ts, dim), lambda *ts, dim: torch.stack(ts, dim),
           join_samples),
    OpInfo("where", lambda a, b, c: cn.where(c, a, b), _ref_where, where_samples),
    # convolution (gradchecks run on the reference kernels, for which "shifted" is "grid")
    OpInfo("conv2d", F.conv2d, ref_conv2d, conv2d_samples, gradcheck=2,
           gradcheck_key=lambda s: ({"shifted": "grid"}.get(s.paths["conv2d"], s.paths["conv2d"]),
                                    s.paths["conv2d_weight_grad"],
                                    min(s.inputs[1].shape[2:]) > 1, s.inputs[2] is None)),
    OpInfo("conv_transpose2d", F.conv_transpose2d, TF.conv_transpose2d, conv_transpose2d_samples,
           gradcheck=8),
    # pooling
    OpInfo("max_pool2d", F.max_pool2d, TF.max_pool2d, max_pool2d_samples, gradcheck=8),
    OpInfo("avg_pool2d", F.avg_pool2d, TF.avg_pool2d, avg_pool2d_samples, gradcheck=8),
    OpInfo("adaptive_avg_pool2d", F.adaptive_avg_pool2d, TF.adaptive_avg_pool2d,
           adaptive_samples, gradcheck=6),
    OpInfo("adaptive_max_pool2d",
           lambda x, output_size: F.adaptive_max_pool2d(x, output_size, return_indices=True),
           lambda x, output_size: TF.adaptive_max_pool2d(x, output_size, return_indices=True),
           lambda r: adaptive_samples(r, ties_free=True), gradcheck=6),
    # layers' functions
    OpInfo("linear", F.linear, TF.linear, linear_samples),
    OpInfo("relu", F.relu, TF.relu, lambda r: activation_samples(r)),
    OpInfo("leaky_relu", F.leaky_relu, TF.leaky_relu,
           lambda r: activation_samples(r, negative_slope=0.2)),
    OpInfo("elu", F.elu, TF.elu, lambda r: activation_samples(r, alpha=0.7)),
    OpInfo("gelu", F.gelu, TF.gelu, lambda r: activation_samples(r, _avoid_zero=False)),
    OpInfo("gelu-tanh", F.gelu, TF.gelu,
           lambda r: activation_samples(r, approximate="tanh", _avoid_zero=False)),
    OpInfo("silu", F.silu, TF.silu, lambda r: activation_samples(r, _avoid_zero=False)),
    OpInfo("F.sigmoid", F.sigmoid, torch.sigmoid, lambda r: activation_samples(r)),
    OpInfo("F.tanh", F.tanh, torch.tanh, lambda r: activation_samples(r)),
    OpInfo("softmax", F.softmax, TF.softmax, softmax_samples),
    OpInfo("log_softmax", F.log_softmax, TF.log_softmax, softmax_samples),
    OpInfo("dropout-eval", F.dropout, TF.dropout,
           lambda r: activation_samples(r, p=0.5, training=False)),
    OpInfo("dropout-p0", F.dropout, TF.dropout, lambda r: activation_samples(r, p=0.0)),
    OpInfo("batch_norm", F.batch_norm, TF.batch_norm, batch_norm_samples, gradcheck=6),
    OpInfo("local_response_norm", F.local_response_norm, TF.local_response_norm, lrn_samples),
    OpInfo("pad", F.pad, TF.pad, pad_samples, gradcheck=9),
    # losses
    OpInfo("cross_entropy", F.cross_entropy, TF.cross_entropy, cross_entropy_samples,
           gradcheck=18),
    OpInfo("nll_loss", F.nll_loss, TF.nll_loss, nll_samples),
    OpInfo("mse_loss", F.mse_loss, TF.mse_loss, regression_samples),
    OpInfo("l1_loss", F.l1_loss, TF.l1_loss, regression_samples),
    OpInfo("binary_cross_entropy_with_logits", F.binary_cross_entropy_with_logits,
           TF.binary_cross_entropy_with_logits, bce_samples, gradcheck=5),
    # 1-D and 3-D convolution and pooling (1-D runs on the 2-D kernels, 3-D in NumPy)
    OpInfo("conv1d", F.conv1d, ref_conv_nd, lambda r: conv_nd_samples(r, 1, 40), gradcheck=4),
    OpInfo("conv3d", F.conv3d, ref_conv_nd, lambda r: conv_nd_samples(r, 3, 25), gradcheck=4),
    OpInfo("conv_transpose1d", F.conv_transpose1d, TF.conv_transpose1d, conv_transpose1d_samples, gradcheck=4),
    OpInfo("max_pool1d", F.max_pool1d, TF.max_pool1d, lambda r: pool_nd_samples(r, 1, "max", 30), gradcheck=4),
    OpInfo("max_pool3d", F.max_pool3d, TF.max_pool3d, lambda r: pool_nd_samples(r, 3, "max", 25), gradcheck=4),
    OpInfo("avg_pool1d", F.avg_pool1d, TF.avg_pool1d, lambda r: pool_nd_samples(r, 1, "avg", 30), gradcheck=4),
    OpInfo("avg_pool3d", F.avg_pool3d, TF.avg_pool3d, lambda r: pool_nd_samples(r, 3, "avg", 25), gradcheck=4),
    OpInfo("conv_transpose3d", F.conv_transpose3d, TF.conv_transpose3d, conv_transpose3d_samples, gradcheck=4),
]
