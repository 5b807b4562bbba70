"""convnet: convolutional neural networks from first principles, with kernels of its own.

>>> import convnet as cn
>>> import convnet.nn.functional as F
>>> x = cn.randn(8, 1, 28, 28)
>>> w = cn.randn(6, 1, 5, 5, requires_grad=True)
>>> F.conv2d(x, w, padding="same").relu().mean().backward()
>>> w.grad.shape
(6, 1, 5, 5)
"""

from ._tensor import MaxResult, Tensor, from_numpy, tensor  # first: the core type

from . import arith, autograd, kernels, data, nn, optim, models, io, onnx  # noqa: E402, I001
from .kernels import get_backend, get_num_threads, set_backend, set_num_threads  # noqa: E402
from ._dtypes import (  # noqa: E402
    bool_,
    double,
    float16,
    float32,
    float64,
    get_default_dtype,
    half,
    int8,
    int16,
    int32,
    int64,
    long,
    set_default_dtype,
    short,
    uint8,
)
from ._functions import (  # noqa: E402
    abs,
    amax,
    arange,
    argmax,
    argmin,
    cat,
    clamp,
    empty,
    exp,
    eye,
    flatten,
    full,
    full_like,
    linspace,
    log,
    log_softmax,
    matmul,
    max,
    mean,
    min,
    ones,
    ones_like,
    permute,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    relu,
    reshape,
    sigmoid,
    softmax,
    sqrt,
    squeeze,
    stack,
    std,
    sum,
    tanh,
    transpose,
    unsqueeze,
    var,
    where,
    zeros,
    zeros_like,
)
from .autograd import enable_grad, gradcheck, is_grad_enabled, no_grad, set_grad_enabled  # noqa: E402
from .random import get_rng_state, manual_seed, set_rng_state  # noqa: E402
from .inspect import summary  # noqa: E402
from .errors import (  # noqa: E402
    ConvnetError,
    ConvnetFileError,
    ConvnetFileNotFoundError,
    ConvnetTypeError,
    ConvnetValueError,
    MissingDependencyError,
    OptionError,
    ShapeError,
)
from .io import load  # noqa: E402

__version__ = "0.1.0"

__all__ = [name for name in dir() if not name.startswith("_")]
