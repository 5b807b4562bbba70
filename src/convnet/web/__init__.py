"""convnet.web: the interactive browser app of `convnet serve` (needs ``pip install convnet[web]``).

=================  ==============================================================
app.py             create_app: the FastAPI app (pages, static files, API, errors)
api.py             the JSON endpoints under /api
schemas.py         request and response bodies (pydantic), Array8
session.py         ModelSession: one model shared safely by request threads
convolve.py        the convolution page's numbers, step by step (nn.functional)
images.py          uploaded and base64 images, pixel arrays, size limits
default_model.py   the cached digit model used when no checkpoint is given
static/            the pages: index.html (network), convolution.html, docs.html,
                   css/, js/ (plain ES modules, no build step)
=================  ==============================================================
"""

from .app import create_app

__all__ = ["create_app"]
