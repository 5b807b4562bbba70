"""Import torchvision as a test oracle for the zoo's layer names and outputs.

torchvision 0.28 is the release built for torch 2.13. Its model definitions are plain
Python, but importing the package registers shape functions for its compiled operators
(nms, roi_align), which are missing from the CPU build of torch used here; the models do not
use them, so that one registration module is replaced by an empty one before import.
"""

from __future__ import annotations

import sys
import types
import warnings
from typing import Any


def torchvision() -> Any:
    sys.modules.setdefault("torchvision._meta_registrations", types.ModuleType("torchvision._meta_registrations"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import torchvision as tv
    return tv
