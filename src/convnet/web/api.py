"""The JSON API behind the pages, one function per endpoint (listed, with its schemas, at /docs).

=============================  ======================================================================
GET  /api/model                the model: name, dataset (classes, input shape, style), summary
POST /api/predict              an image (base64 file or pixels) -> probabilities + feature maps
POST /api/predict/upload       the same for an uploaded file (multipart/form-data, field "file")
GET  /api/weights              the learned kernels of every convolution layer
GET  /api/receptive-field      the input region one cell of a layer sees (?layer=&y=&x=)
GET  /api/samples              test images of the model's dataset (?count=)
GET  /api/filters              the hand-designed kernels of convnet.filters
POST /api/convolve             a kernel or pooling window over a grid, with per-step records
GET  /api/palettes             the colour scales, 256 colours each, for Array8 values
=============================  ======================================================================

Errors answer ``{"detail": "what was wrong and what to do"}`` with a 4xx status.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Query, Request, UploadFile

from .. import filters as hand_filters
from .convolve import MODES
from .convolve import convolve as run_convolution
from .images import MAX_BYTES, TooLarge, decode_base64, megabytes, open_upload, pixel_array
from .schemas import (
    ConvolveRequest,
    ConvolveResponse,
    Error,
    FiltersResponse,
    ModelInfo,
    Prediction,
    PredictRequest,
    ReceptiveField,
    SamplesResponse,
    WeightsResponse,
)
from .session import ModelSession, palettes

ERRORS = {
    400: "The body is not valid JSON",
    413: "Too large: a body over 6.7 MB, an image file over 5 MB or 4096x4096 pixels",
    415: "The file is not an image",
    422: "A value is missing, out of bounds or does not fit (the message says which)",
}
router = APIRouter(prefix="/api")


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The error answers an endpoint can give, for the OpenAPI description."""
    return {code: {"model": Error, "description": ERRORS[code]} for code in codes}


def _session(request: Request) -> ModelSession:
    return request.app.state.session


@router.get("/model", response_model=ModelInfo, summary="The model: name, dataset, layers and summary")
def model_info(request: Request) -> dict[str, Any]:
    """The model's name and arguments, its dataset (classes, input shape, how images are prepared), whether
    people draw or upload their input, the layers whose feature maps /api/predict returns, and the full
    summary (per-layer shapes, parameters, MACs, receptive fields) of `convnet.inspect.summary`."""
    return _session(request).info()


@router.post("/predict", response_model=Prediction, responses=errors(400, 413, 415, 422),
             summary="Classify an image; see every layer's output")
def predict(body: PredictRequest, request: Request) -> dict[str, Any]:
    """Classify one image, sent either as an image file in base64 (`image`: prepared as `convnet predict`
    prepares files: inverted, cropped, scaled and centred as needed, each change listed in `notes`) or as
    the pixels the model takes (`pixels`: 0-255, used as given). Returns the probability of every class,
    the image as the model saw it and every layer's feature maps (quantised, see Array8)."""
    session = _session(request)
    if body.image is not None:
        pixels, notes = session.prepare(decode_base64(body.image))
    else:
        pixels, notes = pixel_array(body.pixels, session.input_shape), ["used the pixels as given"]
    return session.predict(pixels, body.features, notes)


@router.post("/predict/upload", response_model=Prediction, responses=errors(413, 415, 422),
             summary="Classify an uploaded image file")
def predict_upload(request: Request, file: Annotated[UploadFile, File(description="an image file, at most 5 MB")],
                   features: Annotated[bool, Query(description="also return the feature maps")] = True
                   ) -> dict[str, Any]:
    """The same as POST /api/predict with `image`, for a file sent as multipart/form-data (field `file`)."""
    data = file.file.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise TooLarge(f"the file {file.filename!r} is larger than {megabytes(MAX_BYTES)}, the limit: send a smaller "
                       "or more compressed image")
    session = _session(request)
    pixels, notes = session.prepare(open_upload(data))
    return session.predict(pixels, features, notes)


@router.get("/weights", response_model=WeightsResponse, summary="The learned kernels of every convolution layer")
def weights(request: Request) -> dict[str, Any]:
    """Each convolution layer's kernels (out x in x KH x KW; the first 64 outputs and 32 inputs), quantised on
    one scale symmetric about zero per layer (palette "diverging": blue negative, white zero, red positive)."""
    return {"layers": _session(request).weights()}


@router.get("/receptive-field", response_model=ReceptiveField, responses=errors(422),
            summary="The input region one cell sees")
def receptive_field(request: Request,
                    layer: Annotated[str, Query(description="a layer name, as in /api/model's layers")],
                    y: Annotated[int, Query(description="the cell's row in the layer's output")],
                    x: Annotated[int, Query(description="the cell's column")]) -> dict[str, Any]:
    """The input pixels that cell (y, x) of `layer` can see, from the summary's receptive-field arithmetic:
    rows y * stride - padding to that + receptive field - 1 (the same for columns); `clipped` is the part
    inside the image."""
    r = _session(request).receptive_field(layer, y, x)
    return {"layer": r.layer, "kind": r.kind, "position": list(r.position), "top": r.top, "left": r.left,
            "bottom": r.bottom, "right": r.right, "clipped": list(r.clipped),
            "receptive_field": list(r.receptive_field), "stride": list(r.stride), "padding": list(r.padding),
            "input_shape": list(r.input_shape), "description": r.describe()}


@router.get("/samples", response_model=SamplesResponse, responses=errors(422),
            summary="Test images of the model's dataset")
def samples(request: Request, count: Annotated[int, Query(ge=1, le=50, description="how many")] = 10
            ) -> dict[str, Any]:
    """Test images of the model's dataset, one class after another (as uint8 Array8). Nothing is downloaded:
    a digit model whose dataset is not on this machine gets generated digits, and a note says so."""
    name, note, found = _session(request).samples(count)
    return {"dataset": name, "note": note, "samples": found}


@router.get("/filters", response_model=FiltersResponse, summary="Hand-designed kernels (Sobel, edges, blurs)")
def filters() -> dict[str, Any]:
    """The kernels of `convnet.filters`, with what each responds to: presets for the convolution page."""
    return {"filters": [{"name": n, "kernel": hand_filters.get(n).tolist(), "description": hand_filters.describe(n)}
                        for n in hand_filters.names()]}


@router.post("/convolve", response_model=ConvolveResponse, responses=errors(400, 413, 422),
             summary="A kernel sliding over a grid, step by step")
def convolve(body: ConvolveRequest) -> dict[str, Any]:
    """Convolve `input` with `kernel` (plus `bias`), or max- or average-pool it with a `kernel_size` window,
    using convnet.nn.functional. Returns the whole output, the output-size formula with the numbers in it,
    and the records of steps `first_step` onwards (at most `max_steps`): for each kernel position the
    window under the taps, the element-wise products, their sum and the output value computed."""
    c = run_convolution(body.input, body.mode, body.kernel, body.kernel_size, body.bias, body.padding, body.stride,
                        body.dilation)
    steps = c.steps(body.first_step, body.max_steps)
    return {"mode": c.mode, "operation": f"convnet.nn.functional.{MODES[c.mode]}",
            "input_shape": list(c.input.shape), "kernel_shape": list(c.kernel_shape), "padding": c.padding,
            "stride": c.stride, "dilation": c.dilation, "bias": c.bias,
            "padding_value": None if c.mode == "maxpool" else c.padding_value,
            "output": c.output.astype(float).tolist(), "formula": c.formula, "total_steps": c.total_steps,
            "first_step": body.first_step, "steps": steps}


@router.get("/palettes", summary="The colour scales of Array8 values")
def get_palettes() -> dict[str, list[str]]:
    """For each colour scale of `convnet.viz.colors` (diverging, sequential, blues, gray), 256 colours as '#rrggbb':
    the colour of quantised value q is entry q."""
    return palettes()
