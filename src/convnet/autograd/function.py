"""The graph: `Function` nodes and the reverse-mode engine that walks them.

Every differentiable operation in convnet is a subclass of `Function` with two methods
side by side:

* ``forward(self, *arrays, **options) -> ndarray`` computes the output from NumPy arrays and
  keeps on ``self`` whatever the backward pass will need;
* ``backward(self, grad) -> tuple`` maps the gradient of the loss with respect to the output
  to the gradients with respect to each positional input (``None`` where there is none).

``Function.apply(*inputs, **options)`` runs ``forward`` on the inputs' arrays and, when a
gradient is needed, links the output tensor to the node so that ``Tensor.backward()`` can
find it. A ``forward`` may return ``(output, *extras)``: the extras (indices, for example)
come back as plain tensors that carry no gradient. Before ``forward`` runs,
``self.needs_input_grad`` tells which inputs need a gradient, so an operation can skip
saving what no one will ask for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .. import kernels
from .grad_mode import is_grad_enabled

if TYPE_CHECKING:
    from .._tensor import Tensor


class Function:
    """Base class of every differentiable operation (one node of the graph per call)."""

    needs_input_grad: tuple[bool, ...]
    parents: tuple[Tensor | None, ...]

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError

    def backward(self, grad: np.ndarray) -> Any:
        raise NotImplementedError

    @classmethod
    def apply(cls, *inputs: Any, **kwargs: Any) -> Any:
        fn = cls()
        needs = tuple(isinstance(x, Tensor) and x.requires_grad for x in inputs)
        record = any(needs) and is_grad_enabled()
        fn.needs_input_grad = needs if record else (False,) * len(inputs)
        arrays = [x.data if isinstance(x, Tensor) else x for x in inputs]
        out = fn.forward(*arrays, **kwargs)
        extras: tuple[Tensor, ...] = ()
        if isinstance(out, tuple):  # (output, *non-differentiable extras such as indices)
            out, *rest = out
            extras = tuple(Tensor(e) for e in rest)
        if not record:
            result = Tensor(out)
        else:
            fn.parents = tuple(x if need else None for x, need in zip(inputs, needs, strict=True))
            result = Tensor(out, requires_grad=True, _grad_fn=fn)
        return (result, *extras) if extras else result

    @property
    def name(self) -> str:
        return type(self).__name__ + "Backward"

    def __repr__(self) -> str:
        return f"<{self.name}>"


_FREED = (
    "this graph was already used by a backward() call and its saved values are freed; "
    "pass retain_graph=True to the first backward() to run backward twice"
)


def _topological_order(root: Tensor) -> list[Tensor]:
    """Non-leaf tensors reachable from `root`, each before the tensors it was computed from.

    Iterative post-order DFS (networks deeper than Python's recursion limit are fine): a
    tensor is appended only after everything it depends on, and is expanded once, so in the
    reversed list every consumer comes before what it consumes, however many paths lead there.
    """
    order: list[Tensor] = []
    expanded: set[int] = set()
    stack: list[tuple[Tensor, bool]] = [(root, False)]
    while stack:
        t, done = stack.pop()
        if done:
            order.append(t)
            continue
        if id(t) in expanded:
            continue
        expanded.add(id(t))
        stack.append((t, True))
        fn = t._grad_fn
        if not hasattr(fn, "parents"):
            raise RuntimeError(_FREED)
        for p in fn.parents:
            if p is not None and p._grad_fn is not None and id(p) not in expanded:
                stack.append((p, False))
    order.reverse()
    return order


def _owned(g: np.ndarray, dtype: np.dtype, handed: set[int]) -> np.ndarray:
    """A writable array of `dtype` that no other tensor's .grad shares."""
    if g.dtype != dtype:
        return g.astype(dtype)
    if g.base is not None or not g.flags.writeable or id(g) in handed:
        return np.array(g)
    return g


def run_backward(root: Tensor, grad: np.ndarray, retain_graph: bool = False) -> None:
    """Accumulate d(root)/d(leaf) * grad into the .grad of every leaf that requires grad.

    Gradients arriving at a tensor from several consumers are summed, which is how shared
    weights (the same kernel at every position, the same tensor used twice) get the sum
    of the gradients of all their uses. Each leaf receives its summed gradient once, after
    its hooks have seen it, like PyTorch's AccumulateGrad.
    """
    leaves: dict[int, tuple[Tensor, np.ndarray]] = {}
    if root._grad_fn is None:  # backward() on a leaf: its gradient is `grad` itself
        leaves[id(root)] = (root, grad)
    else:
        pending: dict[int, np.ndarray] = {id(root): grad}
        for t in _topological_order(root):
            g = pending.pop(id(t), None)
            if g is None:
                continue
            if t._hooks:
                g = _run_hooks(t, g)
            if t._retains_grad:
                t.grad = Tensor(np.array(g)) if t.grad is None else Tensor(t.grad.data + g)
            fn = t._grad_fn
            if not hasattr(fn, "parents"):
                raise RuntimeError(_FREED)
            grads = fn.backward(g)
            if not isinstance(grads, tuple):
                grads = (grads,)
            for parent, pg in zip(fn.parents, grads, strict=False):
                if parent is None or pg is None:
                    continue
                if pg.shape != parent.shape:
                    raise RuntimeError(
                        f"internal error in {fn.name}: gradient of shape {pg.shape} "
                        f"for an input of shape {parent.shape}"
                    )
                key = id(parent)
                if parent._grad_fn is None:
                    prev = leaves.get(key)
                    leaves[key] = (parent, pg if prev is None else _sum(prev[1], pg))
                else:
                    prev_g = pending.get(key)
                    pending[key] = pg if prev_g is None else _sum(prev_g, pg)
            if not retain_graph:
                fn.__dict__.clear()  # free saved arrays and the links to the inputs
    handed: set[int] = set()
    for leaf, g in leaves.values():
        if leaf._hooks:
            g = _run_hooks(leaf, g)
        if leaf.grad is None:
            g = _owned(g, leaf.dtype, handed)
            handed.add(id(g))
            leaf.grad = Tensor(g)
        else:
            leaf.grad = Tensor((leaf.grad.data + g).astype(leaf.dtype, copy=False))


def _sum(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Two gradients of one tensor added (its uses' contributions), by the kernels when they can."""
    if a.shape == b.shape and a.dtype == b.dtype:
        return kernels.active().add(a, b)
    return a + b


def _run_hooks(t: Tensor, g: np.ndarray) -> np.ndarray:
    for hook in t._hooks:
        out = hook(Tensor(g))
        if out is not None:
            g = out.data if isinstance(out, Tensor) else np.asarray(out)
    return g


# Imported last: _tensor imports this module's Function through _ops.
from .._tensor import Tensor  # noqa: E402
