"""convnet's random number generator: one seeded NumPy Generator behind every random draw.

Initialisation, dropout and data shuffling all draw from it, so ``convnet.manual_seed(s)``
makes a whole run repeatable, and its state can be saved in a checkpoint (it is plain JSON).

>>> import convnet as cn
>>> _ = cn.manual_seed(0); a = cn.randn(3)
>>> _ = cn.manual_seed(0); b = cn.randn(3)
>>> bool((a == b).all())
True
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .errors import ConvnetValueError

_generator = np.random.Generator(np.random.PCG64())


def manual_seed(seed: int) -> np.random.Generator:
    """Reseed the global generator; returns it."""
    global _generator
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ConvnetValueError(f"manual_seed expects a non-negative integer, got {seed!r}")
    _generator = np.random.Generator(np.random.PCG64(int(seed)))
    return _generator


def default_generator() -> np.random.Generator:
    """The generator every random operation of convnet draws from."""
    return _generator


def get_rng_state() -> dict[str, Any]:
    """The generator's state as a JSON-serialisable dict."""
    return _generator.bit_generator.state


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore a state returned by `get_rng_state`."""
    bit = np.random.PCG64()
    try:
        bit.state = state
    except (TypeError, ValueError, KeyError) as e:
        raise ConvnetValueError(f"set_rng_state: not a state saved by get_rng_state ({e})") from None
    _generator.bit_generator.state = bit.state
