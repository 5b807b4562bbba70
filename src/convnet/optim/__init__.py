"""convnet.optim: optimizers (how parameters move) and, in `lr_scheduler`, learning-rate schedules.

>>> import convnet as cn
>>> from convnet import optim
>>> w = cn.tensor([3.0], requires_grad=True)
>>> opt = optim.SGD([w], lr=0.25)
>>> for _ in range(3):
...     opt.zero_grad()
...     (w * w).sum().backward()   # gradient 2w: each step halves w
...     opt.step()
>>> w
tensor([0.375], requires_grad=True)
"""

from . import lr_scheduler
from .adam import Adam
from .adamw import AdamW
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["SGD", "Adam", "AdamW", "Optimizer", "RMSprop", "lr_scheduler"]
