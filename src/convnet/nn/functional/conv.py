"""Convolution and transposed convolution, forward and backward side by side.

A convolution slides each kernel over the (padded) input and, at every position, sums the
element-wise products of the kernel with the patch under it, plus a bias. Along each axis

    out = (W - K + 2P) / S + 1        (floor; with dilation d, K becomes d(K - 1) + 1)

Here it is computed as one matrix product (im2col): a strided *view* lists every patch
without copying, the patches are laid out as columns, and the kernels multiply them all
at once. In backward:

* the kernel gradient is summed over every position the kernel visited (weight sharing);
* the input gradient sends each column's gradient back to the pixels that patch came from,
  adding where patches overlap (col2im);
* the bias gradient is the output gradient summed over batch and positions.

A transposed convolution is the input-gradient of a convolution run forward, so it reuses
the same two helpers with their roles swapped.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ... import arith
from ..._tensor import Tensor
from ...autograd.function import Function
from ._checks import float_arg, int_arg, ndim_arg, pair_arg, same_dtype, tensor_arg

Pad2d = tuple[tuple[int, int], tuple[int, int]]  # ((top, bottom), (left, right))


# ------------------------------------------------------------------ the helpers
def channel_major(a: np.ndarray) -> bool:
    """True when (N, C, ...) `a` is stored channel by channel, (C, N, ...) in memory."""
    return a.ndim >= 2 and a.strides[1] > a.strides[0]


def empty_like_layout(shape: tuple[int, ...], like: np.ndarray, zeros: bool = False) -> np.ndarray:
    """An (N, C, ...) array laid out in memory like `like`: channel-major when `like` is
    (as convolution outputs are), so that elementwise work on both runs contiguously."""
    make = np.zeros if zeros else np.empty
    if channel_major(like):
        return make((shape[1], shape[0], *shape[2:]), dtype=like.dtype).swapaxes(0, 1)
    return make(shape, dtype=like.dtype)


def pad_zeros(x: np.ndarray, pad: Pad2d) -> np.ndarray:
    """x (N, C, H, W) with zeros added around H and W (no copy when there is no padding)."""
    (t, b), (l, r) = pad
    if not (t or b or l or r):
        return x
    n, c, h, w = x.shape
    out = empty_like_layout((n, c, h + t + b, w + l + r), x, zeros=True)
    out[:, :, t:t + h, l:l + w] = x
    return out


def flat_rows(xp: np.ndarray) -> np.ndarray:
    """(C, N*H*W): each channel's images laid end to end (a view when already channel-major)."""
    n, c, h, w = xp.shape
    return np.ascontiguousarray(xp.transpose(1, 0, 2, 3)).reshape(c, n * h * w)


def windows(xp: np.ndarray, kernel: tuple[int, int], out: tuple[int, int],
            stride: tuple[int, int], dilation: tuple[int, int]) -> np.ndarray:
    """Read-only view (N, C, KH, KW, OH, OW) of every kernel tap at every position: no copy.

    Element [n, c, i, j, y, x] is xp[n, c, y*stride + i*dilation, x*stride + j*dilation].
    """
    n, c = xp.shape[:2]
    sn, sc, sh, sw = xp.strides
    (kh, kw), (oh, ow), (s_h, s_w), (d_h, d_w) = kernel, out, stride, dilation
    return as_strided(xp, (n, c, kh, kw, oh, ow),
                      (sn, sc, sh * d_h, sw * d_w, sh * s_h, sw * s_w), writeable=False)


def crop(xp: np.ndarray, pad: Pad2d, hw: tuple[int, int]) -> np.ndarray:
    (t, _), (l, _) = pad
    return xp[:, :, t:t + hw[0], l:l + hw[1]]


# ------------------------------------------------------------------ conv2d
CHUNK_BYTES = 6 << 20   # im2col columns are built this many bytes at a time, to stay in cache
COLUMN_MULTIPLE = 64    # column counts handed to BLAS are padded to this: see Conv2dFn
FLAT_WASTE = 1.2        # the flat-row path computes Hp*Wp positions for OH*OW outputs: at most this ratio
KEEP_BYTES = 24 << 20   # columns up to this size are built in one go and kept for backward


SHORT_COLUMNS = 32      # columns this short (C/G*KH*KW) are multiplied PANEL positions at a time
PANEL = 4096


def _round_up(n: int) -> int:
    return -(-n // COLUMN_MULTIPLE) * COLUMN_MULTIPLE


def _panel(k: int, width: int) -> int:
    """How many positions to multiply at a time. For short columns (few input channels,
    small kernels: LeNet's first layer has 25) OpenBLAS is 2 to 3 times faster on panels of
    PANEL positions than on one long matrix; deeper columns it blocks well by itself. Panels
    are multiples of COLUMN_MULTIPLE wide, so each output is computed exactly as in one
    product."""
    return PANEL if k <= SHORT_COLUMNS else max(width, 1)


def _matmul_into(w2: np.ndarray, cols: np.ndarray, out: np.ndarray) -> None:
    """out (G, A, P) = w2 (G, A, K) @ cols (G, K, P), panel by panel for short columns."""
    width = cols.shape[2]
    step = _panel(cols.shape[1], width)
    for s in range(0, width, step):
        np.matmul(w2, cols[:, :, s:s + step], out=out[:, :, s:s + step])


def _kernel_grad(gc: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """gc (G, A, P) @ cols (G, K, P)^T: the kernel gradient summed over positions, panel
    by panel for short columns."""
    width = gc.shape[2]
    step = _panel(cols.shape[1], width)
    total = np.matmul(gc[:, :, :step], cols[:, :, :step].transpose(0, 2, 1))
    for s in range(step, width, step):
        total += np.matmul(gc[:, :, s:s + step], cols[:, :, s:s + step].transpose(0, 2, 1))
    return total


class Conv2dFn(Function):
    """out[n, o] = bias[o] + sum over c, i, j of weight[o, c, i, j] * x_padded[n, c, y*s + i*d, ...].

    im2col and a matrix product: the patches under the kernel become columns (C/G*KH*KW,
    positions) and all O kernels multiply them at once, per group. Three choices make it fast:

    * stride 1 (most convolutions): each channel's padded images are laid end to end in one
      row of N*Hp*Wp values, so tap (i, j) of every window of every image is one contiguous
      slice starting at i*d*Wp + j*d. Positions whose window straddles a row end are
      computed too, then cropped; in backward they get zero gradient. Where that would more
      than FLAT_WASTE the work (small maps, large kernels), and for larger strides, the
      windows of a strided view are copied instead, a group of images at a time;
    * the columns are built in chunks of about CHUNK_BYTES that stay in cache, each chunk
      multiplied as soon as it is built; backward rebuilds them rather than keeping them,
      unless all of them fit in KEEP_BYTES: then they are built at once and kept;
    * the result is computed channel-major, (O, N, OH, OW) in memory, and returned as an
      NCHW view: later operations read any layout, and the next im2col reads this one faster;
    * every product hands BLAS a column count padded (with zeros) to a multiple of
      COLUMN_MULTIPLE: BLAS computes leftover columns with a narrower kernel that rounds
      differently, so without this the same output pixel could differ in its last bit
      depending on how many pixels were computed with it (and tiled inference would not
      equal the whole-image result exactly).

    Backward: the kernel gradient sums, over every position, the patch times the output
    gradient (weight sharing); the input gradient sends each column's gradient back to the
    pixels its patch came from, adding where patches overlap (col2im).
    """

    def forward(self, x: np.ndarray, w: np.ndarray, b: np.ndarray | None, stride: tuple[int, int],
                padding: Pad2d, dilation: tuple[int, int], groups: int,
                out_hw: tuple[int, int]) -> np.ndarray:
        n, c, h, wd = x.shape
        o, cg, kh, kw = w.shape
        g = groups
        oh, ow = out_hw
        xp = pad_zeros(x, padding)
        hp, wp = xp.shape[2:]
        w2 = w.reshape(g, o // g, cg * kh * kw)                     # (G, O/G, C/G*KH*KW)
        self.geometry = (x.shape, w.shape, (hp, wp), stride, padding, dilation, groups, out_hw)
        self.depthwise = g > 1 and g == c == o
        if self.depthwise:
            return self._depthwise_forward(xp, w, b)
        self.flat = stride == (1, 1) and hp * wp <= FLAT_WASTE * oh * ow
        positions = n * hp * wp if self.flat else n * oh * ow
        need_x, need_w, _ = self.needs_input_grad
        self.whole = c * kh * kw * positions * x.itemsize <= KEEP_BYTES    # one chunk, kept
        self.cols = None
        if self.flat:
            rows = flat_rows(xp)                                    # (C, N*Hp*Wp)
            full = np.empty((g, o // g, n * hp * wp + COLUMN_MULTIPLE), dtype=x.dtype)
            covered = 0
            for start, stop, cols in self._flat_chunks(rows):
                if self.whole and need_w:
                    self.cols = cols
                # padded columns spill garbage past the chunk; the next chunk overwrites it
                _matmul_into(w2, cols, full[:, :, start:start + cols.shape[2]])
                covered = stop
            full = full[:, :, :n * hp * wp]
            full[:, :, covered:] = 0               # positions past the last window: never valid
            if b is not None:
                full += b.reshape(g, o // g, 1)
            out = full.reshape(o, n, hp, wp)[:, :, :oh, :ow]       # (O, N, OH, OW) view
            self.source = rows
        else:
            out = np.empty((g, o // g, n, oh * ow), dtype=x.dtype)
            for n0, n1, cols in self._image_chunks(xp):
                if self.whole and need_w:
                    self.cols = cols
                m = (n1 - n0) * oh * ow
                prod = np.empty((g, o // g, cols.shape[2]), dtype=x.dtype)
                _matmul_into(w2, cols, prod)
                out[:, :, n0:n1] = prod[:, :, :m].reshape(g, o // g, n1 - n0, oh * ow)
            if b is not None:
                out += b.reshape(g, o // g, 1, 1)
            out = out.reshape(o, n, oh, ow)
            self.source = xp
        if not need_w or self.cols is not None:
            self.source = None
        self.w2 = w2 if need_x else None
        return out.transpose(1, 0, 2, 3)                            # NCHW view, channel-major

    # ---------------------------------------------------------------- the flat padded grid
    def _flat_length(self) -> int:
        """Flat positions worth computing: every valid window starts before this one."""
        (n, _, _, _), (_, _, kh, kw), (hp, wp), _, _, dilation, _, _ = self.geometry
        return n * hp * wp - dilation[0] * (kh - 1) * wp - dilation[1] * (kw - 1)

    def _grad_on_grid(self, grad: np.ndarray) -> np.ndarray:
        """The output gradient (N, O, OH, OW) as (O, N*Hp*Wp) on the padded grid, zero where
        no window was (the positions the flat paths compute and crop)."""
        _, _, (hp, wp), _, _, _, _, (oh, ow) = self.geometry
        n, o = grad.shape[:2]
        full = np.zeros((o, n, hp, wp), dtype=grad.dtype)
        full[:, :, :oh, :ow] = grad.transpose(1, 0, 2, 3)
        return full.reshape(o, n * hp * wp)

    def _input_from_rows(self, gx_rows: np.ndarray) -> np.ndarray:
        """Input gradient rows (C, N*Hp*Wp) as the (N, C, H, W) gradient, padding cropped."""
        x_shape, _, (hp, wp), _, padding, _, _, _ = self.geometry
        n, c = x_shape[:2]
        return crop(gx_rows.reshape(c, n, hp, wp).transpose(1, 0, 2, 3), padding, x_shape[2:])

    # ---------------------------------------------------------------- depthwise
    # One kernel per channel (groups == in == out channels): as G products of a 1 x KH*KW
    # kernel with its columns, BLAS would see thousands of tiny matrices. Instead each kernel
    # tap multiplies every channel at once, KH*KW broadcast passes and no columns. At stride
    # 1 the passes run over flat rows (each channel's padded images end to end, tap (i, j)
    # one long slice, as in the flat path above; positions straddling a row end are cropped),
    # otherwise over strided views. Either way every output adds its taps in the same fixed
    # order, so the result does not depend on how many pixels were computed together.
    def _depthwise_forward(self, xp: np.ndarray, w: np.ndarray, b: np.ndarray | None) -> np.ndarray:
        n, c, hp, wp = xp.shape
        _, _, _, stride, _, dilation, _, (oh, ow) = self.geometry
        kh, kw = w.shape[2:]
        self.flat = stride == (1, 1)
        if self.flat:
            rows = flat_rows(xp)                                    # (C, N*Hp*Wp)
            length = self._flat_length()
            full = np.zeros((c, n * hp * wp), dtype=xp.dtype)
            out, tmp = full[:, :length], np.empty((c, length), dtype=xp.dtype)
            taps = ((i, j, rows[:, i * dilation[0] * wp + j * dilation[1]:][:, :length])
                    for i in range(kh) for j in range(kw))
            shape = (c, 1)
        else:
            rows = None
            view = windows(xp, (kh, kw), (oh, ow), stride, dilation)   # (N, C, KH, KW, OH, OW)
            out = empty_like_layout((n, c, oh, ow), xp)
            tmp = empty_like_layout((n, c, oh, ow), xp)
            taps = ((i, j, view[:, :, i, j]) for i in range(kh) for j in range(kw))
            shape = (1, c, 1, 1)
        for i, j, tap in taps:
            k = w[:, 0, i, j].reshape(shape)
            if i == 0 and j == 0:
                np.multiply(tap, k, out=out)
            else:
                np.multiply(tap, k, out=tmp)
                out += tmp
        if b is not None:
            out += b.reshape(shape)
        need_x, need_w, _ = self.needs_input_grad
        self.source = (rows if self.flat else xp) if need_w else None
        self.w = w if need_x else None
        if self.flat:
            return full.reshape(c, n, hp, wp)[:, :, :oh, :ow].transpose(1, 0, 2, 3)
        return out

    def _depthwise_backward(self, grad: np.ndarray) -> tuple:
        x_shape, w_shape, (hp, wp), stride, padding, dilation, _, (oh, ow) = self.geometry
        need_x, need_w, need_b = self.needs_input_grad
        n, c = grad.shape[:2]
        kh, kw = w_shape[2:]
        gx = gb = None
        gw = np.empty(w_shape, dtype=grad.dtype) if need_w else None
        if self.flat:
            length = self._flat_length()
            g2 = self._grad_on_grid(grad)[:, :length]
            gx_rows = np.zeros((c, n * hp * wp), dtype=grad.dtype) if need_x else None
            tmp = np.empty((c, length), dtype=grad.dtype)
            for i in range(kh):
                for j in range(kw):
                    off = i * dilation[0] * wp + j * dilation[1]
                    if need_w:                       # per channel: one dot product (BLAS)
                        gw[:, 0, i, j] = np.matmul(self.source[:, None, off:off + length],
                                                   g2[:, :, None])[:, 0, 0]
                    if need_x:
                        np.multiply(g2, self.w[:, 0, i, j].reshape(c, 1), out=tmp)
                        gx_rows[:, off:off + length] += tmp
            if need_x:
                gx = self._input_from_rows(gx_rows)
        else:
            view = windows(self.source, (kh, kw), (oh, ow), stride, dilation) if need_w else None
            gxp = empty_like_layout((n, c, hp, wp), grad, zeros=True) if need_x else None
            tmp = empty_like_layout(grad.shape, grad)
            (s_h, s_w), (d_h, d_w) = stride, dilation
            for i in range(kh):
                for j in range(kw):
                    if need_w:
                        np.multiply(grad, view[:, :, i, j], out=tmp)
                        gw[:, 0, i, j] = tmp.sum(axis=(0, 2, 3))
                    if need_x:
                        np.multiply(grad, self.w[:, 0, i, j].reshape(1, c, 1, 1), out=tmp)
                        y0, x0 = i * d_h, j * d_w
                        gxp[:, :, y0:y0 + s_h * (oh - 1) + 1:s_h, x0:x0 + s_w * (ow - 1) + 1:s_w] += tmp
            if need_x:
                gx = crop(gxp, padding, x_shape[2:])
        if need_b:
            gb = grad.sum(axis=(0, 2, 3))
        return gx, gw, gb

    # ---------------------------------------------------------------- column chunks
    def _flat_chunks(self, rows: np.ndarray | None) -> Iterator[tuple[int, int, np.ndarray | None]]:
        """(start, stop, columns (G, C/G*KH*KW, stop - start)) over the flat padded positions;
        with `rows` None, only the ranges (backward when the kernel needs no gradient)."""
        (n, c, _, _), (_, cg, kh, kw), (hp, wp), _, _, dilation, g, _ = self.geometry
        length = self._flat_length()
        step = length if self.whole else max(16, CHUNK_BYTES // (c * kh * kw * 4))
        if self.cols is not None:                               # kept from forward: one chunk
            yield 0, length, self.cols
            return
        if rows is None:
            for start in range(0, length, step):
                yield start, min(start + step, length), None
            return
        taps = as_strided(rows, (c, kh, kw, length), (rows.strides[0], dilation[0] * wp * rows.itemsize,
                                                       dilation[1] * rows.itemsize, rows.itemsize),
                          writeable=False)
        buf = np.zeros((c, kh, kw, _round_up(min(step, length))), dtype=rows.dtype)
        for start in range(0, length, step):
            stop = min(start + step, length)
            width = _round_up(stop - start)
            cols = buf[..., :width]
            np.copyto(cols[..., :stop - start], taps[..., start:stop])
            cols[..., stop - start:] = 0                       # the padding columns
            yield start, stop, cols.reshape(g, cg * kh * kw, width)

    def _image_chunks(self, xp: np.ndarray | None) -> Iterator[tuple[int, int, np.ndarray | None]]:
        """(n0, n1, columns (G, C/G*KH*KW, (n1 - n0)*OH*OW)) for groups of whole images;
        with `xp` None, only the ranges."""
        (n, c, _, _), (_, cg, kh, kw), _, stride, _, dilation, g, out_hw = self.geometry
        step = n if self.whole else max(1, CHUNK_BYTES // (c * kh * kw * out_hw[0] * out_hw[1] * 4))
        if self.cols is not None:                               # kept from forward: one chunk
            yield 0, n, self.cols
            return
        for n0 in range(0, n, step):
            n1 = min(n0 + step, n)
            if xp is None:
                yield n0, n1, None
                continue
            taps = windows(xp[n0:n1], (kh, kw), out_hw, stride, dilation).transpose(1, 2, 3, 0, 4, 5)
            m = (n1 - n0) * out_hw[0] * out_hw[1]
            cols = np.zeros((c, kh, kw, _round_up(m)), dtype=xp.dtype)
            np.copyto(cols[..., :m].reshape(taps.shape), taps)         # im2col, padded columns
            yield n0, n1, cols.reshape(g, cg * kh * kw, _round_up(m))

    def _add_taps(self, gx_rows: np.ndarray, gcols: np.ndarray, start: int) -> None:
        """col2im on flat rows: column gradients (G, C/G*KH*KW, width) for the padded-grid
        positions from `start` go back to the pixels each tap read, one long addition per tap."""
        (_, c, _, _), (_, _, kh, kw), (_, wp), _, _, dilation, _, _ = self.geometry
        width = gcols.shape[2]
        gcols = gcols.reshape(c, kh, kw, width)
        for i in range(kh):
            for j in range(kw):
                off = start + dilation[0] * i * wp + dilation[1] * j
                gx_rows[:, off:off + width] += gcols[:, i, j]

    def backward(self, grad: np.ndarray) -> tuple:
        if self.depthwise:
            return self._depthwise_backward(grad)
        x_shape, w_shape, (hp, wp), stride, padding, dilation, g, (oh, ow) = self.geometry
        need_x, need_w, need_b = self.needs_input_grad
        n, o, _, _ = grad.shape
        c = x_shape[1]
        kh, kw = w_shape[2:]
        w2t = self.w2.transpose(0, 2, 1) if need_x else None        # (G, C/G*KH*KW, O/G)
        gw = np.zeros((g, o // g, w_shape[1] * kh * kw), dtype=grad.dtype) if need_w else None
        gx = gb = None
        if self.flat:
            # the gradient on the padded grid, zero where a window straddled a row end
            g2 = self._grad_on_grid(grad).reshape(g, o // g, n * hp * wp)
            gx_rows = np.zeros((c, n * hp * wp), dtype=grad.dtype) if need_x else None
            for start, stop, cols in self._flat_chunks(self.source):
                gc = g2[:, :, start:stop]
                if need_w:
                    # the same kernel was used at every position: its gradient sums over them
                    gw += _kernel_grad(gc, cols[:, :, :stop - start])
                if need_x:
                    self._add_taps(gx_rows, np.matmul(w2t, gc), start)
            if need_x:
                gx = self._input_from_rows(gx_rows)
        else:
            # stride 1: the input gradient on the padded grid too (KH*KW long additions instead
            # of short strided ones), unless that more than doubles the product
            flat_gx = need_x and stride == (1, 1) and hp * wp <= 2 * oh * ow
            by_images = need_x and not flat_gx
            g2 = grad.transpose(1, 0, 2, 3).reshape(g, o // g, n, oh * ow)
            gxp = empty_like_layout((n, c, hp, wp), grad, zeros=True) if by_images else None
            if need_w or by_images:
                for n0, n1, cols in self._image_chunks(self.source):
                    gc = g2[:, :, n0:n1].reshape(g, o // g, -1)
                    if need_w:
                        gw += _kernel_grad(gc, cols[:, :, :gc.shape[2]])
                    if by_images:
                        gcols = np.matmul(w2t, gc).reshape(c, kh, kw, n1 - n0, oh, ow)
                        gxp[n0:n1] += col2im(gcols, (hp, wp), stride, dilation)
            if by_images:
                gx = crop(gxp, padding, x_shape[2:])
            elif need_x:
                g2 = self._grad_on_grid(grad).reshape(g, o // g, n * hp * wp)
                gx_rows = np.zeros((c, n * hp * wp), dtype=grad.dtype)
                length = self._flat_length()
                step = max(16, CHUNK_BYTES // (c * kh * kw * grad.itemsize))
                for start in range(0, length, step):
                    self._add_taps(gx_rows, np.matmul(w2t, g2[:, :, start:min(start + step, length)]), start)
                gx = self._input_from_rows(gx_rows)
        if need_w:
            gw = gw.reshape(w_shape)
        if need_b:
            gb = grad.sum(axis=(0, 2, 3))
        return gx, gw, gb


def col2im(cols: np.ndarray, padded_hw: tuple[int, int], stride: tuple[int, int],
           dilation: tuple[int, int]) -> np.ndarray:
    """Inverse of `windows` for gradients: add each tap's values back where it was read.

    Channel-major columns (C, KH, KW, N, OH, OW) -> an NCHW view (N, C, *padded_hw) of
    channel-major memory. One strided add per kernel tap (KH*KW of them), each covering all
    channels, images and positions at once.
    """
    c, kh, kw, n, oh, ow = cols.shape
    (s_h, s_w), (d_h, d_w) = stride, dilation
    out = np.zeros((c, n, *padded_hw), dtype=cols.dtype)
    for i in range(kh):
        for j in range(kw):
            y0, x0 = i * d_h, j * d_w
            out[:, :, y0:y0 + s_h * (oh - 1) + 1:s_h, x0:x0 + s_w * (ow - 1) + 1:s_w] += \
                cols[:, i, j]
    return out.transpose(1, 0, 2, 3)


def _padding_arg(padding: Any, x_hw: tuple[int, int], kernel: tuple[int, int],
                 stride: tuple[int, int], dilation: tuple[int, int], op: str) -> Pad2d:
    """Padding as ((top, bottom), (left, right)) from an int, a pair, "valid" or "same"."""
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0), (0, 0)
        if padding == "same":
            return (arith.same_padding(x_hw[0], kernel[0], stride[0], dilation[0]),
                    arith.same_padding(x_hw[1], kernel[1], stride[1], dilation[1]))
        raise ValueError(f"{op}: padding must be an int, a pair, 'valid' or 'same', got {padding!r}")
    if (isinstance(padding, Sequence) and len(padding) == 2
            and all(isinstance(p, Sequence) for p in padding)):
        (t, b), (l, r) = padding  # convnet's extension: explicit ((top, bottom), (left, right))
        return ((int_arg(t, op, "padding", 0), int_arg(b, op, "padding", 0)),
                (int_arg(l, op, "padding", 0), int_arg(r, op, "padding", 0)))
    ph, pw = pair_arg(padding, op, "padding", 0)
    return (ph, ph), (pw, pw)


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """2-D convolution (cross-correlation, as in every deep-learning library) over NCHW input.

    Args:
        input: (N, C, H, W).
        weight: (O, C / groups, KH, KW): O kernels, each as deep as its group's channels.
        bias: optional (O,), added to every position of output channel o.
        stride, dilation: an int or a pair (h, w).
        padding: an int, a pair, ``((top, bottom), (left, right))``, ``"valid"`` (none) or
            ``"same"``: output size ceil(input / stride), the odd extra pixel at the end
            (ONNX SAME_UPPER). Unlike PyTorch, "same" works with any stride and even kernels.
        groups: split channels into this many independent convolutions
            (``groups == C`` is a depthwise convolution).

    Returns:
        (N, O, OH, OW) with OH = floor((H + pad_top + pad_bottom - dh*(KH - 1) - 1) / sh) + 1.

    >>> import convnet as cn, convnet.nn.functional as F
    >>> x = cn.ones(1, 1, 5, 5)
    >>> F.conv2d(x, cn.ones(1, 1, 3, 3), padding=1, stride=2).shape
    (1, 1, 3, 3)
    """
    op = "conv2d"
    tensor_arg(input, op)
    tensor_arg(weight, op, "weight")
    tensor_arg(bias, op, "bias", optional=True)
    float_arg(input, op)
    float_arg(weight, op, "weight")
    same_dtype(input, weight, op, ("input", "weight"))
    same_dtype(input, bias, op, ("input", "bias"))
    ndim_arg(input, 4, op, "(N, C, H, W)")
    ndim_arg(weight, 4, op, "(out_channels, in_channels / groups, KH, KW)", name="weight")
    groups = int_arg(groups, op, "groups", 1)
    stride = pair_arg(stride, op, "stride", 1)
    dilation = pair_arg(dilation, op, "dilation", 1)
    n, c, h, w = input.shape
    o, cg, kh, kw = weight.shape
    if c % groups:
        raise ValueError(f"{op}: input channels {c} are not divisible by groups={groups}")
    if o % groups:
        raise ValueError(f"{op}: output channels {o} (weight.shape[0]) are not divisible by "
                         f"groups={groups}")
    if cg * groups != c:
        raise ValueError(
            f"{op}: input has {c} channels but the weight {tuple(weight.shape)} with "
            f"groups={groups} expects {cg * groups} (weight.shape[1] * groups)"
        )
    if bias is not None and bias.shape != (o,):
        raise ValueError(f"{op}: bias must have shape ({o},) for {o} output channels, "
                         f"got {tuple(bias.shape)}")
    pad = _padding_arg(padding, (h, w), (kh, kw), stride, dilation, op)
    out_hw = (arith.conv_output_size(h, kh, stride[0], pad[0], dilation[0], op=op + " (height)"),
              arith.conv_output_size(w, kw, stride[1], pad[1], dilation[1], op=op + " (width)"))
    return Conv2dFn.apply(input, weight, bias, stride=stride, padding=pad, dilation=dilation,
                          groups=groups, out_hw=out_hw)


# ------------------------------------------------------------------ conv_transpose2d
class ConvTranspose2dFn(Function):
    """The gradient of conv2d with respect to its input, run forward: each input pixel
    stamps a copy of the kernel, scaled by its value, onto the output (overlaps add up)."""

    def forward(self, x: np.ndarray, w: np.ndarray, b: np.ndarray | None, stride: tuple[int, int],
                padding: tuple[int, int], output_padding: tuple[int, int], groups: int,
                dilation: tuple[int, int], out_hw: tuple[int, int]) -> np.ndarray:
        n, c, h, wd = x.shape
        _, og, kh, kw = w.shape                                     # (C, O/G, KH, KW)
        g = groups
        canvas = ((h - 1) * stride[0] + dilation[0] * (kh - 1) + 1 + output_padding[0],
                  (wd - 1) * stride[1] + dilation[1] * (kw - 1) + 1 + output_padding[1])
        x2 = x.reshape(n, g, c // g, h * wd)                        # (N, G, C/G, H*W)
        w2 = w.reshape(g, c // g, og * kh * kw)                     # (G, C/G, O/G*KH*KW)
        cols = np.matmul(w2.transpose(0, 2, 1), x2)                 # (N, G, O/G*KH*KW, H*W)
        cols = cols.reshape(n, g * og, kh, kw, h, wd).transpose(1, 2, 3, 0, 4, 5)  # channel-major view
        pad = ((padding[0], canvas[0] - padding[0] - out_hw[0]),
               (padding[1], canvas[1] - padding[1] - out_hw[1]))
        out = np.ascontiguousarray(crop(col2im(cols, canvas, stride, dilation), pad, out_hw))
        if b is not None:
            out += b.reshape(1, -1, 1, 1)
        need_x, need_w, _ = self.needs_input_grad
        self.x2 = x2 if need_w else None
        self.w2 = w2 if need_x else None
        self.geometry = (x.shape, w.shape, canvas, pad, stride, dilation, groups)
        return out

    def backward(self, grad: np.ndarray) -> tuple:
        x_shape, w_shape, canvas, pad, stride, dilation, g = self.geometry
        need_x, need_w, need_b = self.needs_input_grad
        n, c, h, wd = x_shape
        _, og, kh, kw = w_shape
        # gather every output pixel each input pixel stamped onto: a plain convolution
        gp = pad_zeros(grad, pad)                                   # (N, O, *canvas)
        gcols = windows(gp, (kh, kw), (h, wd), stride, dilation)    # (N, O, KH, KW, H, W)
        gcols = gcols.reshape(n, g, og * kh * kw, h * wd)
        gx = gw = gb = None
        if need_x:
            gx = np.matmul(self.w2, gcols).reshape(x_shape)         # (N, G, C/G, H*W)
        if need_w:
            gw = np.matmul(self.x2, gcols.transpose(0, 1, 3, 2)).sum(axis=0).reshape(w_shape)
        if need_b:
            gb = grad.sum(axis=(0, 2, 3))
        return gx, gw, gb


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
                     padding: Any = 0, output_padding: Any = 0, groups: int = 1,
                     dilation: Any = 1) -> Tensor:
    """Transposed convolution ("deconvolution"): the spatial inverse of conv2d's shape map.

    weight is (C_in, C_out / groups, KH, KW). Output size along each axis:
    (H - 1) * stride - 2 * padding + dilation * (KH - 1) + output_padding + 1.

    >>> import convnet as cn, convnet.nn.functional as F
    >>> F.conv_transpose2d(cn.ones(1, 1, 3, 3), cn.ones(1, 1, 3, 3), stride=2, padding=1).shape
    (1, 1, 5, 5)
    """
    op = "conv_transpose2d"
    tensor_arg(input, op)
    tensor_arg(weight, op, "weight")
    tensor_arg(bias, op, "bias", optional=True)
    float_arg(input, op)
    float_arg(weight, op, "weight")
    same_dtype(input, weight, op, ("input", "weight"))
    same_dtype(input, bias, op, ("input", "bias"))
    ndim_arg(input, 4, op, "(N, C, H, W)")
    ndim_arg(weight, 4, op, "(in_channels, out_channels / groups, KH, KW)", name="weight")
    groups = int_arg(groups, op, "groups", 1)
    stride = pair_arg(stride, op, "stride", 1)
    dilation = pair_arg(dilation, op, "dilation", 1)
    padding = pair_arg(padding, op, "padding", 0)
    output_padding = pair_arg(output_padding, op, "output_padding", 0)
    n, c, h, w = input.shape
    ci, og, kh, kw = weight.shape
    if ci != c:
        raise ValueError(f"{op}: input has {c} channels but the weight {tuple(weight.shape)} "
                         f"expects {ci} (weight.shape[0])")
    if c % groups:
        raise ValueError(f"{op}: input channels {c} are not divisible by groups={groups}")
    if bias is not None and bias.shape != (og * groups,):
        raise ValueError(f"{op}: bias must have shape ({og * groups},), got {tuple(bias.shape)}")
    for axis, (op_, s, d) in enumerate(zip(output_padding, stride, dilation, strict=True)):
        if op_ >= max(s, d):
            raise ValueError(
                f"{op}: output_padding {op_} along {'hw'[axis]} must be smaller than the stride "
                f"({s}) or the dilation ({d})"
            )
    out_hw = tuple(arith.transposed_output_size(size, k, s, p, op_, d) for size, k, s, p, op_, d
                   in zip((h, w), (kh, kw), stride, padding, output_padding, dilation, strict=True))
    if min(out_hw) < 1:
        raise ValueError(f"{op}: padding {padding} is too large: the output would be {out_hw}")
    return ConvTranspose2dFn.apply(input, weight, bias, stride=stride, padding=padding,
                                   output_padding=output_padding, groups=groups,
                                   dilation=dilation, out_hw=out_hw)
