"""Tensor and autograd semantics: accumulation, graph lifetime, grad modes, dtypes, in-place."""

from __future__ import annotations

import numpy as np
import pytest

import convnet as cn
import convnet.nn.functional as F


def test_tensor_used_twice_gets_the_sum_of_its_gradients() -> None:
    x = cn.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * x + 3 * x          # d/dx = 2x + 3
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [5.0, 7.0, 9.0])


def test_diamond_graph_and_shared_subexpression() -> None:
    x = cn.tensor(2.0, requires_grad=True)
    a = x * 3
    b = a * a          # 9x^2
    c = a + b          # 3x + 9x^2 -> d/dx = 3 + 18x = 39
    c.backward()
    assert x.grad.item() == pytest.approx(39.0)


def test_gradients_accumulate_across_backward_calls() -> None:
    w = cn.tensor([1.0, -1.0], requires_grad=True)
    for _ in range(3):
        (w * 2).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), [6.0, 6.0])


def test_leaf_grads_do_not_share_memory() -> None:
    a = cn.tensor([1.0, 2.0], requires_grad=True)
    b = cn.tensor([3.0, 4.0], requires_grad=True)
    (a + b).sum().backward()   # Add hands the same upstream array to both
    a.grad.numpy()[0] = 100.0
    assert b.grad.numpy()[0] == 1.0


def test_weight_sharing_kernel_gradient_is_the_sum_over_positions() -> None:
    """The seeds' claim, checked by hand: dL/dK = sum over every position of patch * upstream."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, 1, 5, 6)).astype(np.float64)
    k = rng.standard_normal((1, 1, 3, 3))
    g = rng.standard_normal((1, 1, 3, 4))
    kt = cn.tensor(k, requires_grad=True)
    out = F.conv2d(cn.tensor(x), kt)
    out.backward(g)
    expected = np.zeros((3, 3))
    for i in range(3):
        for j in range(4):
            expected += x[0, 0, i:i + 3, j:j + 3] * g[0, 0, i, j]
    np.testing.assert_allclose(kt.grad.numpy()[0, 0], expected, rtol=1e-12)


def test_seed_example_5x5_image_3x3_kernel() -> None:
    """The classic example: the 5x5 binary image and the X-shaped kernel give a 3x3 map."""
    image = np.array([[1, 1, 1, 0, 0], [0, 1, 1, 1, 0], [0, 0, 1, 1, 1], [0, 0, 1, 1, 0],
                      [0, 1, 1, 0, 0]], dtype=np.float32)
    kernel = np.array([[1, 0, 1], [0, 1, 0], [1, 0, 1]], dtype=np.float32)
    out = F.conv2d(cn.tensor(image[None, None]), cn.tensor(kernel[None, None]))
    np.testing.assert_array_equal(out.numpy()[0, 0], [[4, 3, 4], [2, 4, 3], [2, 3, 4]])


def test_backward_twice_needs_retain_graph() -> None:
    x = cn.tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * 2).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 4 * np.exp([1.0, 2.0]), rtol=1e-6)
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()


def test_backward_needs_a_scalar_or_a_gradient() -> None:
    x = cn.ones(2, 3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"shape \(2, 3\)"):
        (x * 2).backward()
    (x * 2).backward(cn.ones(2, 3))
    with pytest.raises(ValueError, match=r"gradient has shape \(3,\)"):
        (x * 2).backward(cn.ones(3))
    with pytest.raises(RuntimeError, match="does not require grad"):
        cn.ones(2).sum().backward()


def test_no_grad_and_detach() -> None:
    w = cn.ones(3, requires_grad=True)
    with cn.no_grad():
        y = w * 2
    assert not y.requires_grad and y.grad_fn is None

    @cn.no_grad()
    def infer(t: cn.Tensor) -> cn.Tensor:
        return t * 3

    assert not infer(w).requires_grad
    assert cn.is_grad_enabled()
    with cn.no_grad(), cn.enable_grad():
        assert (w * 2).requires_grad
    d = (w * 2).detach()
    assert not d.requires_grad and d.is_leaf


def test_hooks_and_retain_grad() -> None:
    x = cn.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    h.retain_grad()
    seen = []
    remove = x.register_hook(lambda g: seen.append(g.numpy().copy()) or g * 10)
    (h * h).sum().backward()
    np.testing.assert_allclose(h.grad.numpy(), 2 * h.numpy())
    np.testing.assert_allclose(seen[0], 18 * x.numpy())
    np.testing.assert_allclose(x.grad.numpy(), 180 * x.numpy())
    remove()
    x.grad = None
    (x * 1).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0, 1.0])


def test_deep_chain_does_not_hit_the_recursion_limit() -> None:
    x = cn.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(5000):
        y = y * 1.0001
    y.backward()
    assert x.grad.item() == pytest.approx(1.0001 ** 5000, rel=1e-3)


def test_dtypes_follow_pytorch() -> None:
    assert cn.tensor([1.0, 2.0]).dtype == cn.float32
    assert cn.tensor([1, 2]).dtype == cn.int64
    assert cn.tensor(np.zeros(2)).dtype == cn.float64
    assert cn.tensor([1, 2], dtype=cn.float64).dtype == cn.float64
    x = cn.ones(3)
    assert (x * 2.5).dtype == cn.float32 and (2.5 / x).dtype == cn.float32
    assert (x ** 2).dtype == cn.float32 and x.exp().dtype == cn.float32
    assert (cn.tensor([1, 2]) * 0.5).dtype == cn.float32
    assert x.double().dtype == cn.float64 and x.long().dtype == cn.int64
    with pytest.raises(TypeError, match="floating-point"):
        cn.tensor([1, 2], requires_grad=True)


def test_float64_gradients_stay_float64() -> None:
    w = cn.randn(3, 2, 3, 3, dtype=cn.float64, requires_grad=True)
    out = F.max_pool2d(F.conv2d(cn.randn(1, 2, 6, 6, dtype=cn.float64), w), 2)
    assert out.dtype == cn.float64
    out.sum().backward()
    assert w.grad.dtype == cn.float64


def test_mixed_dtypes_are_refused_with_advice() -> None:
    with pytest.raises(TypeError, match=r"float64 but weight is float32.*\.float\(\)"):
        F.conv2d(cn.zeros(1, 1, 4, 4, dtype=cn.float64), cn.zeros(1, 1, 3, 3))


def test_inplace_on_a_leaf_that_requires_grad() -> None:
    w = cn.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="no_grad"):
        w.add_(1)
    with pytest.raises(RuntimeError, match="no_grad"):
        w[0] = 5.0
    with cn.no_grad():
        w.mul_(3).sub_(1)
        w[1] = 0.0
    np.testing.assert_array_equal(w.numpy(), [2.0, 0.0, 2.0])


def test_item_numpy_and_conversions() -> None:
    t = cn.tensor([[1.5]])
    assert t.item() == 1.5 and float(t) == 1.5
    assert t.numpy() is t.data
    with pytest.raises(ValueError, match="exactly one element"):
        cn.ones(2).item()
    assert cn.tensor([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]]
    assert len(cn.zeros(4, 2)) == 4 and [r.shape for r in cn.zeros(2, 3)] == [(3,), (3,)]


def test_max_and_min_with_dim_return_values_and_indices() -> None:
    x = cn.tensor([[1.0, 5.0, 3.0], [7.0, 2.0, 0.0]], requires_grad=True)
    values, indices = x.max(dim=1)
    np.testing.assert_array_equal(values.numpy(), [5.0, 7.0])
    np.testing.assert_array_equal(indices.numpy(), [1, 0])
    values.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 1, 0], [1, 0, 0]])
    assert x.min(dim=0).indices.tolist() == [0, 1, 1]


def test_repr_looks_like_pytorch() -> None:
    assert repr(cn.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert repr(cn.tensor([1.0], requires_grad=True)) == "tensor([1.], requires_grad=True)"
    assert repr(cn.tensor([1.0], requires_grad=True) * 2).endswith("grad_fn=<MulBackward>)")
    assert "dtype=convnet.float64" in repr(cn.zeros(2, dtype=cn.float64))


def test_comparisons_give_boolean_tensors_without_grad() -> None:
    x = cn.tensor([1.0, 2.0, 3.0], requires_grad=True)
    m = x > 1.5
    assert m.dtype == cn.bool_ and not m.requires_grad
    assert m.tolist() == [False, True, True]
    assert (x == x).all()


def test_reshape_errors_name_the_shapes() -> None:
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(4, 2\)"):
        cn.zeros(2, 3).reshape(4, 2)
    with pytest.raises(IndexError, match="out of range"):
        cn.zeros(2, 3).sum(dim=2)


def test_cat_and_stack_check_shapes() -> None:
    with pytest.raises(ValueError, match=r"tensor 1 has shape \(2, 4\)"):
        cn.cat([cn.zeros(2, 3), cn.zeros(2, 4)], dim=0)
    with pytest.raises(ValueError, match="same shape"):
        cn.stack([cn.zeros(2), cn.zeros(3)])


def test_seeded_generator_makes_draws_repeatable() -> None:
    cn.manual_seed(7)
    a = cn.randn(4).numpy().copy()
    state = cn.get_rng_state()
    b = cn.randn(4).numpy().copy()
    cn.set_rng_state(state)
    np.testing.assert_array_equal(cn.randn(4).numpy(), b)
    cn.manual_seed(7)
    np.testing.assert_array_equal(cn.randn(4).numpy(), a)
