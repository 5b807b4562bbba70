"""The FastAPI application: the two pages, their static files, the JSON API and its error answers.

`create_app` builds it for one model without starting a server, so tests drive it with FastAPI's
TestClient and `convnet serve` hands it to uvicorn. Every page and script ships inside the package
(``static/``); nothing is fetched from elsewhere, so the app works offline. The API reference at
/docs is drawn by a page of the app from /openapi.json (FastAPI's own page would load its
scripts from a CDN).

Bad input never meets a traceback: a body over the limit is refused while it streams in (413),
validation errors and malformed JSON are answered with one sentence per problem (422, 400), and
the library's `ConvnetError`s (a kernel that does not fit, a blank drawing) keep their messages (422);
any other exception is a bug, logged with its traceback and answered 500.

>>> from fastapi.testclient import TestClient
>>> import convnet as cn
>>> meta = {"dataset": {"name": "synth-digits", "classes": list("0123456789"), "mean": [0.15], "std": [0.31],
...                     "in_channels": 1, "image_size": [28, 28], "style": "digits"}}
>>> client = TestClient(create_app(model=cn.models.create("lenet5", input_size=28), meta=meta))
>>> client.get("/api/model").json()["input"]
'draw'
>>> r = client.post("/api/convolve", json={"input": [[1, 2], [3, 4]], "kernel": [[1, 1], [1, 1]], "padding": 11})
>>> r.status_code, r.json()["detail"]
(422, 'padding: must be at most 10 (got 11)')
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .. import __version__
from ..errors import ConvnetError, ConvnetValueError
from ..nn import Module
from .api import router
from .images import MAX_BYTES, megabytes
from .session import ModelSession, load_session

STATIC = Path(__file__).parent / "static"
MAX_BODY = MAX_BYTES * 4 // 3 + 64 * 1024          # a 5 MB image as base64, with room for the JSON around it
PAGES = {"/": "index.html", "/convolution": "convolution.html", "/docs": "docs.html"}
MAX_SENTENCES, MAX_ERRORS = 5, 50                  # validation problems spelt out in one answer

log = logging.getLogger(__name__)


class BodyLimit:
    """ASGI middleware: refuse a request body over `limit` bytes, by its Content-Length or as it streams in."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY) -> None:
        self.app, self.limit = app, limit

    def _refusal(self, size: str) -> HTTPException:
        return HTTPException(413, f"the request body is {size}; the limit is {megabytes(self.limit)} (an image file "
                                  f"of at most {megabytes(MAX_BYTES)}, base64-encoded): send a smaller image")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.limit:
            error = self._refusal(megabytes(int(length)))
            await JSONResponse({"detail": error.detail}, status_code=413)(scope, receive, send)
            return
        received = 0

        async def counting() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise self._refusal(f"over {megabytes(self.limit)}")
            return message

        await self.app(scope, counting, send)


def _field(loc: tuple[Any, ...]) -> str:
    """A validation error's location for people: 'kernel', 'y (query parameter)', 'input [3][2]'."""
    where, *path = loc or ("body",)
    name = ".".join(str(p) for p in path if not isinstance(p, int))
    rows = [str(p) for p in path if isinstance(p, int)]
    text = name or "the request body"
    if rows:
        text += " [" + "][".join(rows) + "]"
    return text if where == "body" else f"{text} ({where} parameter)"


def _sentence(error: dict[str, Any]) -> str:
    """One validation error as a sentence that says what to send."""
    kind, ctx = error.get("type", ""), error.get("ctx") or {}
    msg = str(error.get("msg", "invalid")).removeprefix("Value error, ")
    where = _field(tuple(error.get("loc", ())))
    if kind == "missing":
        return f"{where}: required, but missing"
    if kind == "extra_forbidden":
        return f"{where}: unknown field (check its spelling against /docs)"
    if kind in ("less_than_equal", "greater_than_equal", "less_than", "greater_than"):
        bound = {"less_than_equal": "at most", "greater_than_equal": "at least", "less_than": "less than",
                 "greater_than": "more than"}[kind]
        limit = next(iter(ctx.values()), "")
        return f"{where}: must be {bound} {limit} (got {error.get('input')})"
    if kind == "value_error":
        return msg if where == "the request body" else f"{where}: {msg}"
    return f"{where}: {msg[0].lower() + msg[1:] if msg else msg}"


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    bad_json = next((e for e in errors if e.get("type") == "json_invalid"), None)
    if bad_json is not None:
        reason = (bad_json.get("ctx") or {}).get("error", "")
        return JSONResponse({"detail": f"the request body is not valid JSON ({reason}); send a JSON object, with "
                                       "Content-Type: application/json"}, status_code=400)
    if any(e.get("type") == "model_attributes_type" and tuple(e.get("loc", ())) == ("body",) for e in errors):
        return JSONResponse({"detail": "the request body must be a JSON object (see /docs for its fields), sent "
                                       "with Content-Type: application/json"}, status_code=422)
    seen: list[str] = []
    for e in errors:
        sentence = _sentence(e)
        if sentence not in seen:
            seen.append(sentence)
    more = f"; and {len(seen) - MAX_SENTENCES} more" if len(seen) > MAX_SENTENCES else ""
    return JSONResponse({"detail": "; ".join(seen[:MAX_SENTENCES]) + more,
                         "errors": [{"loc": list(e.get("loc", ())), "msg": e.get("msg")}
                                    for e in errors[:MAX_ERRORS]]}, status_code=422)


async def _user_error(request: Request, exc: Exception) -> JSONResponse:
    """The library's own errors (`ConvnetError`, with the numbers) and `UploadError`s, with their status."""
    return JSONResponse({"detail": str(exc)}, status_code=getattr(exc, "status", 422))


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error answering %s %s", request.method, request.url.path)
    return JSONResponse({"detail": f"the server failed on this request ({type(exc).__name__}); this is a bug in "
                                   "convnet, please report it with the request"}, status_code=500)


def create_app(checkpoint: str | Path | None = None, model: Module | None = None, meta: dict[str, Any] | None = None,
               log: Callable[[str], None] = print) -> FastAPI:
    """The web app for one model: a `checkpoint` written by `convnet train`, or a `model` with its
    checkpoint-style `meta` (``meta["dataset"]``: classes, in_channels, image_size, mean, std, style).

    With neither, the cached digit model is used, trained first when there is none
    (`convnet.web.default_model`; `log` receives the progress messages).
    """
    if model is not None and checkpoint is not None:
        raise ConvnetValueError("give a checkpoint or a model, not both")
    if model is not None:
        if meta is None:
            raise ConvnetValueError("a model needs its meta (at least meta['dataset'] as `convnet train` writes it)")
        session = ModelSession(model, meta)
    else:
        if checkpoint is None:
            from .default_model import default_checkpoint

            checkpoint = default_checkpoint(log)
        session = load_session(checkpoint)
    app = FastAPI(title="convnet", version=__version__, docs_url=None, redoc_url=None,
                  description="See inside a convolutional network: draw a digit and watch every layer respond, "
                              "or step a kernel through a convolution. Arrays travel as Array8 (one byte per "
                              "value, base64): value = lo + q (hi - lo) / 255.")
    app.state.session = session
    app.add_middleware(BodyLimit)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(ConvnetError, _user_error)
    app.add_exception_handler(Exception, _unexpected)
    app.include_router(router)
    for path, page in PAGES.items():
        app.add_api_route(path, _page(page), include_in_schema=False, methods=["GET"])
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app


def _page(name: str) -> Callable[[], FileResponse]:
    def page() -> FileResponse:
        return FileResponse(STATIC / name, headers={"Cache-Control": "no-cache"})
    return page
