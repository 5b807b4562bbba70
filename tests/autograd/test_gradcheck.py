"""gradcheck itself: it must catch a wrong backward, and leave the inputs as it found them."""

from __future__ import annotations

import numpy as np
import pytest

import convnet as cn
import convnet.nn.functional as F
from convnet.autograd import Function, GradcheckError


class WrongSquare(Function):
    """x^2 with a backward that is off by a factor: gradcheck must notice."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        return x * x

    def backward(self, g: np.ndarray) -> np.ndarray:
        return 2.1 * self.x * g


class RightSquare(WrongSquare):
    def backward(self, g: np.ndarray) -> np.ndarray:
        return 2 * self.x * g


def test_catches_a_wrong_gradient() -> None:
    cn.manual_seed(0)
    x = cn.randn(3, 4, dtype=cn.float64, requires_grad=True)
    with pytest.raises(GradcheckError, match=r"input 0 .*disagrees"):
        cn.gradcheck(WrongSquare.apply, (x,))
    assert cn.gradcheck(WrongSquare.apply, (x,), raise_exception=False) is False
    assert cn.gradcheck(RightSquare.apply, (x,))


def test_catches_a_wrong_gradient_in_one_element_only() -> None:
    class OffByOneElement(RightSquare):
        def backward(self, g: np.ndarray) -> np.ndarray:
            out = super().backward(g)
            out.flat[5] += 0.01 * (1 + abs(out.flat[5]))   # 1%: ten times the tolerance
            return out

    cn.manual_seed(0)
    x = cn.randn(4, 4, dtype=cn.float64, requires_grad=True)
    with pytest.raises(GradcheckError, match=r"\(1, 1\)"):
        cn.gradcheck(OffByOneElement.apply, (x,))


def test_restores_inputs_and_grads() -> None:
    x = cn.randn(2, 1, 5, 5, dtype=cn.float64, requires_grad=True)
    w = cn.randn(2, 1, 3, 3, dtype=cn.float64, requires_grad=True)
    before = x.numpy().copy()
    w.grad = cn.ones(2, 1, 3, 3, dtype=cn.float64)
    assert cn.gradcheck(lambda x, w: F.conv2d(x, w), (x, w))
    np.testing.assert_array_equal(x.numpy(), before)
    assert x.grad is None
    np.testing.assert_array_equal(w.grad.numpy(), np.ones((2, 1, 3, 3)))


def test_refuses_float32_and_no_grad_inputs() -> None:
    with pytest.raises(ValueError, match="float64"):
        cn.gradcheck(lambda x: x * 2, (cn.randn(3, requires_grad=True),))
    with pytest.raises(ValueError, match="requires_grad"):
        cn.gradcheck(lambda x: x * 2, (cn.randn(3, dtype=cn.float64),))


def test_user_composition() -> None:
    """What a user would check: their own small network built from convnet operations."""
    x = cn.randn(2, 3, 6, 6, dtype=cn.float64, requires_grad=True)
    w1 = cn.randn(4, 3, 3, 3, dtype=cn.float64, requires_grad=True)
    w2 = cn.randn(5, 16, dtype=cn.float64, requires_grad=True)
    t = cn.tensor([1, 4])

    def net(x: cn.Tensor, w1: cn.Tensor, w2: cn.Tensor) -> cn.Tensor:
        h = F.max_pool2d(F.conv2d(x, w1, padding=1).tanh(), 3)       # (2, 4, 2, 2)
        return F.cross_entropy(F.linear(h.flatten(1), w2), t)

    assert cn.gradcheck(net, (x, w1, w2))
