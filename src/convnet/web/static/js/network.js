// The network page: draw (or upload) an image, and see the class probabilities, every layer's
// feature maps, the receptive field of any cell, the learned filters and the model's summary.

import {
  api, cellAt, debounce, decodeArray8, el, fmt, gradientCss, paintChannel, paintImage, palettes, say,
} from "./api.js";
import { DrawPad } from "./draw.js";

const $ = (id) => document.getElementById(id);

const state = {
  model: null,
  pal: null,
  input: null, // the decoded input image of the last prediction
  maps: [], // decoded feature maps of the last prediction, one per layer
  tiles: [], // tile canvases per layer
  generation: 0, // bumped by "clear": answers to older requests are dropped
  inflight: false,
  queued: null,
  count: 0,
  drawn: 0, // versions of the drawing so far; #pad and #prediction carry them as data-drawn
  rf: new Map(), // receptive fields already fetched, by "layer:y:x"
  hoverKey: null,
  zoom: null, // {layer, channel, cell} while the enlarged view is open
};

let pad = null;

// ---------------------------------------------------------------- requests

/** Run `request` (a function returning a Promise of a prediction); while one runs, keep only the latest. */
function submit(request) {
  if (state.inflight) {
    state.queued = request;
    return;
  }
  state.inflight = true;
  const generation = state.generation;
  $("prediction-card").setAttribute("aria-busy", "true");
  request()
    .then((p) => {
      if (generation === state.generation) showPrediction(p);
    })
    .catch((err) => {
      if (generation === state.generation) say(err.message, true);
    })
    .finally(() => {
      state.inflight = false;
      $("prediction-card").setAttribute("aria-busy", "false");
      const next = state.queued;
      state.queued = null;
      if (next) submit(next);
    });
}

const predictLater = debounce(() => {
  if (pad.blank) return;
  const image = pad.png();
  const drawn = state.drawn;
  submit(() => api("/api/predict", { method: "POST", json: { image } }).then((p) => ({ ...p, drawn })));
}, 150);

/** The drawing changed: number this version of it (the prediction says which one it is for). */
function predictDrawing() {
  state.drawn += 1;
  $("pad").dataset.drawn = String(state.drawn);
  predictLater();
}

function predictPixels(sample) {
  const arr = decodeArray8(sample.pixels);
  const [c, h, w] = arr.shape;
  const pixels = [];
  for (let k = 0; k < c; k++) {
    const rows = [];
    for (let y = 0; y < h; y++) rows.push(Array.from(arr.q.subarray(k * h * w + y * w, k * h * w + (y + 1) * w)));
    pixels.push(rows);
  }
  showOnPad(arr, state.model.input === "draw");
  submit(() => api("/api/predict", { method: "POST", json: { pixels } }));
}

async function predictFile(file) {
  if (!file) return;
  if (!file.type.startsWith("image/")) {
    say(`${file.name} is not an image (its type is ${file.type || "unknown"}): choose a PNG or JPEG file`, true);
    return;
  }
  try {
    const bitmap = await createImageBitmap(file);
    pad.show(bitmap, bitmap.width, bitmap.height, state.model.input === "draw" ? "#fff" : "#f3f4f6");
  } catch {
    // the browser cannot show it; the server will say whether it can read it
  }
  const form = new FormData();
  form.append("file", file);
  submit(() => api("/api/predict/upload", { method: "POST", body: form }));
}

/** A sample image on the pad: digits inverted to dark ink on paper, like a drawing. */
function showOnPad(arr, invert) {
  const canvas = document.createElement("canvas");
  paintImage(canvas, arr, state.pal);
  if (invert) {
    const ctx = canvas.getContext("2d");
    const image = ctx.getImageData(0, 0, canvas.width, canvas.height);
    for (let i = 0; i < image.data.length; i += 4) {
      for (let k = 0; k < 3; k++) image.data[i + k] = 255 - image.data[i + k];
    }
    ctx.putImageData(image, 0, 0);
  }
  pad.show(canvas, canvas.width, canvas.height);
}

// ---------------------------------------------------------------- the prediction

function showPrediction(p) {
  say("");
  state.count += 1;
  const top = p.probabilities[p.index];
  $("prediction").textContent = p.prediction;
  $("prediction").dataset.count = String(state.count);
  $("prediction").dataset.drawn = p.drawn === undefined ? "" : String(p.drawn);
  $("confidence").textContent = `${(100 * top.probability).toFixed(1)}% sure`;
  $("pad-badge").textContent = `${p.prediction} · ${(100 * top.probability).toFixed(0)}%`;
  document.body.classList.remove("empty");
  showProbabilities(p.probabilities, p.index);
  state.input = decodeArray8(p.input);
  paintImage($("seen"), state.input, state.pal);
  clearField();
  const notes = $("notes");
  notes.replaceChildren(...p.notes.map((n) => el("li", { text: n })));
  state.maps = p.layers.map(decodeArray8);
  showLayers();
  if (state.zoom) drawZoom();
  try {
    localStorage.setItem("convnet.drawing", JSON.stringify({ pixels: p.input, label: p.prediction }));
  } catch {
    // storage may be off: the convolution page then offers the other inputs
  }
}

function showProbabilities(probabilities, best) {
  const list = $("probabilities");
  const many = probabilities.length > 20;
  const order = probabilities.map((p, i) => i);
  if (many) order.sort((a, b) => probabilities[b].probability - probabilities[a].probability);
  const shown = many ? order.slice(0, 10) : order;
  const longest = Math.max(...shown.map((i) => probabilities[i].label.length));
  list.style.setProperty("--label", `${Math.min(longest, 12) + 1}ch`);
  list.replaceChildren(
    ...shown.map((i) => {
      const p = probabilities[i];
      const pct = 100 * p.probability;
      return el(
        "li",
        { class: i === best ? "best" : "", "data-label": p.label },
        el("span", { class: "label", text: p.label }),
        el(
          "span",
          { class: "track", role: "img", "aria-label": `${p.label}: ${pct.toFixed(1)}%` },
          el("span", { class: "fill", style: `width: ${pct.toFixed(2)}%` }),
        ),
        el("span", { class: "pct", text: `${pct.toFixed(1)}%` }),
      );
    }),
  );
  $("prob-note").textContent = many ? `the 10 most likely of ${probabilities.length} classes` : "";
}

function clearAll() {
  state.generation += 1;
  state.queued = null;
  pad.clear();
  document.body.classList.add("empty");
  $("prediction").textContent = "–";
  $("confidence").textContent = state.model.input === "draw" ? "draw a digit" : "choose an image";
  $("notes").replaceChildren();
  clearField();
  const ctx = $("seen").getContext("2d");
  ctx.clearRect(0, 0, $("seen").width, $("seen").height);
  for (const li of $("probabilities").querySelectorAll(".fill")) li.style.width = "0";
  for (const pct of $("probabilities").querySelectorAll(".pct")) pct.textContent = "";
  say("");
}

// ---------------------------------------------------------------- feature maps

function tileSize(h) {
  return Math.max(44, Math.min(84, h * 3));
}

function showLayers() {
  const root = $("layers");
  if (state.tiles.length !== state.maps.length) {
    root.replaceChildren();
    state.tiles = state.maps.map((m, li) => buildLayer(root, m, li));
  }
  state.maps.forEach((m, li) => {
    const [c] = m.shown;
    const section = state.tiles[li].section;
    section.querySelector(".range").textContent = `values ${fmt(m.lo)} to ${fmt(m.hi)}`;
    section.querySelector(".legend .lo").textContent = fmt(m.lo);
    section.querySelector(".legend .hi").textContent = fmt(m.hi);
    section.querySelector(".legend .bar").style.background = gradientCss(state.pal[m.cmap]);
    for (let ch = 0; ch < c; ch++) paintChannel(state.tiles[li].canvases[ch], m, ch, state.pal[m.cmap]);
  });
}

function buildLayer(root, m, li) {
  const [c, h] = m.shown;
  const [total, fullH, fullW] = m.shape;
  const size = tileSize(h);
  const canvases = [];
  const tiles = el("div", { class: "tiles", style: `--tile: ${size}px` });
  for (let ch = 0; ch < c; ch++) {
    const canvas = el("canvas", { width: m.shown[2], height: h });
    canvases.push(canvas);
    canvas.addEventListener("pointermove", (e) => hoverMap(e, li, ch, canvas));
    canvas.addEventListener("pointerleave", leaveMap);
    tiles.append(
      el(
        "button",
        {
          type: "button",
          class: "tile",
          "aria-label": `${m.name} channel ${ch}: open it larger`,
          onclick: () => openZoom(li, ch),
        },
        canvas,
        el("span", { text: String(ch) }),
      ),
    );
  }
  const cut = c < total ? ` (the first ${c} shown)` : "";
  const step = m.step > 1 ? `; every ${m.step}th row and column shown` : "";
  const section = el(
    "section",
    { class: "layer", "data-layer": m.name },
    el(
      "header",
      {},
      el("h3", {}, m.name, " ", el("span", { class: "type", text: m.type })),
      el("p", { class: "meta", text: `${total} map${total > 1 ? "s" : ""} of ${fullH}×${fullW}${cut}${step} · ` },
        el("span", { class: "range" })),
      el("p", { class: "legend", "aria-hidden": "true" },
        el("span", { class: "lo" }), el("span", { class: "bar" }), el("span", { class: "hi" })),
    ),
    tiles,
  );
  root.append(section);
  return { section, canvases };
}

/** The value under the pointer, and its receptive field drawn on the input. */
function hoverMap(e, li, ch, canvas) {
  const m = state.maps[li];
  if (!m) return;
  const [, h, w] = m.shown;
  const cell = cellAt(e, canvas, h, w);
  if (!cell) return;
  showCell(li, ch, cell, e.clientX, e.clientY);
}

function showCell(li, ch, cell, px, py) {
  const m = state.maps[li];
  const [, h, w] = m.shown;
  const value = m.value(ch * h * w + cell.y * w + cell.x);
  const y = cell.y * m.step;
  const x = cell.x * m.step;
  const text = `${m.name} · channel ${ch} · row ${y}, column ${x}: ≈ ${fmt(value)}`;
  const tip = $("tooltip");
  if (px !== undefined) {
    tip.textContent = text;
    tip.hidden = false;
    tip.style.left = `${Math.min(px + 14, window.innerWidth - tip.offsetWidth - 8)}px`;
    tip.style.top = `${py + 16}px`;
  }
  if (state.zoom) $("zoom-value").textContent = text;
  fetchField(m.name, y, x);
}

function leaveMap() {
  $("tooltip").hidden = true;
  if (!state.zoom) clearField();
}

async function fetchField(layer, y, x) {
  const key = `${layer}:${y}:${x}`;
  state.hoverKey = key;
  let field = state.rf.get(key);
  if (!field) {
    try {
      field = await api(`/api/receptive-field?layer=${encodeURIComponent(layer)}&y=${y}&x=${x}`);
    } catch (err) {
      $("field-text").textContent = err.message;
      return;
    }
    state.rf.set(key, field);
  }
  if (state.hoverKey !== key) return;
  $("field-text").textContent = `${field.description}. Receptive field ${field.receptive_field.join("×")}.`;
  drawField($("seen-overlay"), field);
  if (state.zoom) drawField($("zoom-overlay"), field);
}

/** The receptive field on an overlay canvas laid over the input image (the part in the padding dashed). */
function drawField(overlay, field) {
  const [, h, w] = field.input_shape;
  const box = overlay.getBoundingClientRect();
  const ratio = window.devicePixelRatio || 1;
  overlay.width = Math.round(box.width * ratio);
  overlay.height = Math.round(box.height * ratio);
  const ctx = overlay.getContext("2d");
  const sx = overlay.width / w;
  const sy = overlay.height / h;
  ctx.clearRect(0, 0, overlay.width, overlay.height);
  const [top, left, bottom, right] = field.clipped;
  ctx.fillStyle = "rgba(255, 150, 40, 0.22)";
  ctx.fillRect(left * sx, top * sy, (right - left + 1) * sx, (bottom - top + 1) * sy);
  ctx.lineWidth = 2 * ratio;
  ctx.strokeStyle = "rgb(230, 120, 0)";
  ctx.setLineDash([5 * ratio, 4 * ratio]);
  ctx.strokeRect(field.left * sx, field.top * sy, (field.right - field.left + 1) * sx,
    (field.bottom - field.top + 1) * sy);
  ctx.setLineDash([]);
  ctx.strokeRect(left * sx + ratio, top * sy + ratio, (right - left + 1) * sx - 2 * ratio,
    (bottom - top + 1) * sy - 2 * ratio);
}

function clearField() {
  state.hoverKey = null;
  for (const id of ["seen-overlay", "zoom-overlay"]) {
    const c = $(id);
    c.getContext("2d").clearRect(0, 0, c.width, c.height);
  }
  $("field-text").textContent = state.maps.length ? "Hover over a feature map to see what part of the input it sees." : "";
}

// ---------------------------------------------------------------- the enlarged map

function openZoom(li, channel) {
  const m = state.maps[li];
  state.zoom = { layer: li, channel, cell: { y: Math.floor(m.shown[1] / 2), x: Math.floor(m.shown[2] / 2) } };
  const dialog = $("zoom");
  if (!dialog.open) dialog.showModal();
  drawZoom();
  $("zoom-map").focus();
}

function drawZoom() {
  const z = state.zoom;
  const m = state.maps[z.layer];
  if (!m) return;
  z.channel = Math.max(0, Math.min(z.channel, m.shown[0] - 1));
  $("zoom-title").textContent = `${m.name} (${m.type}), channel ${z.channel} of ${m.shape[0]}`;
  paintChannel($("zoom-map"), m, z.channel, state.pal[m.cmap]);
  paintImage($("zoom-input"), state.input, state.pal);
  $("zoom-range").textContent = `Values on this layer run from ${fmt(m.lo)} to ${fmt(m.hi)}; `
    + "move the pointer over the map, or use the arrow keys, to read a cell and see its receptive field.";
  $("zoom-prev").disabled = z.channel === 0;
  $("zoom-next").disabled = z.channel >= m.shown[0] - 1;
  showCell(z.layer, z.channel, z.cell);
  drawCursor();
}

function zoomKey(e) {
  const z = state.zoom;
  if (!z) return;
  const m = state.maps[z.layer];
  const [, h, w] = m.shown;
  const moves = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
  if (!moves[e.key]) return;
  e.preventDefault();
  const [dy, dx] = moves[e.key];
  z.cell = { y: Math.max(0, Math.min(h - 1, z.cell.y + dy)), x: Math.max(0, Math.min(w - 1, z.cell.x + dx)) };
  showCell(z.layer, z.channel, z.cell);
  drawCursor();
}

function drawCursor() {
  const z = state.zoom;
  const m = state.maps[z.layer];
  const [, h, w] = m.shown;
  const overlay = $("zoom-cursor");
  const box = overlay.getBoundingClientRect();
  overlay.width = Math.round(box.width);
  overlay.height = Math.round(box.height);
  const ctx = overlay.getContext("2d");
  ctx.clearRect(0, 0, overlay.width, overlay.height);
  ctx.strokeStyle = "rgb(230, 120, 0)";
  ctx.lineWidth = 2;
  const sx = overlay.width / w;
  const sy = overlay.height / h;
  ctx.strokeRect(z.cell.x * sx + 1, z.cell.y * sy + 1, sx - 2, sy - 2);
}

function setupZoom() {
  const dialog = $("zoom");
  const map = $("zoom-map");
  map.addEventListener("pointermove", (e) => {
    const z = state.zoom;
    const m = state.maps[z.layer];
    const cell = cellAt(e, map, m.shown[1], m.shown[2]);
    if (!cell) return;
    z.cell = cell;
    showCell(z.layer, z.channel, cell);
    drawCursor();
  });
  map.addEventListener("keydown", zoomKey);
  $("zoom-prev").addEventListener("click", () => {
    state.zoom.channel -= 1;
    drawZoom();
  });
  $("zoom-next").addEventListener("click", () => {
    state.zoom.channel += 1;
    drawZoom();
  });
  $("zoom-close").addEventListener("click", () => dialog.close());
  dialog.addEventListener("close", () => {
    state.zoom = null;
    clearField();
  });
  dialog.addEventListener("click", (e) => {
    if (e.target === dialog) dialog.close(); // a click on the backdrop
  });
}

// ---------------------------------------------------------------- filters, summary, samples

async function showFilters() {
  const root = $("filters");
  let layers;
  try {
    ({ layers } = await api("/api/weights"));
  } catch (err) {
    root.textContent = err.message;
    return;
  }
  if (!layers.length) {
    root.textContent = "This model has no convolution layer.";
    return;
  }
  root.replaceChildren(...layers.map((raw) => filterFigure(decodeArray8(raw))));
}

function filterFigure(k) {
  const [o, i, kh, kw] = k.shown;
  const zoom = Math.max(4, Math.floor((o * (k.rgb ? 1 : i) <= 16 ? 64 : 36) / Math.max(kh, kw)));
  const gap = 3;
  const tile = kh * zoom;
  const rows = k.rgb || i === 1 ? 1 : i;
  const canvas = el("canvas", { width: o * (kw * zoom + gap) - gap, height: rows * (tile + gap) - gap });
  const ctx = canvas.getContext("2d");
  const pal = state.pal.diverging;
  for (let a = 0; a < o; a++) {
    for (let r = 0; r < rows; r++) {
      for (let y = 0; y < kh; y++) {
        for (let x = 0; x < kw; x++) {
          const at = (b) => k.q[((a * i + b) * kh + y) * kw + x];
          let rgb;
          if (k.rgb) rgb = [at(0), at(1), at(2)];
          else {
            const q = at(r);
            rgb = [pal[3 * q], pal[3 * q + 1], pal[3 * q + 2]];
          }
          ctx.fillStyle = `rgb(${rgb[0]}, ${rgb[1]}, ${rgb[2]})`;
          ctx.fillRect(a * (kw * zoom + gap) + x * zoom, r * (tile + gap) + y * zoom, zoom, zoom);
        }
      }
    }
  }
  canvas.addEventListener("pointermove", (e) => {
    const box = canvas.getBoundingClientRect();
    const px = ((e.clientX - box.left) / box.width) * canvas.width;
    const py = ((e.clientY - box.top) / box.height) * canvas.height;
    const a = Math.floor(px / (kw * zoom + gap));
    const r = Math.floor(py / (tile + gap));
    const x = Math.floor((px - a * (kw * zoom + gap)) / zoom);
    const y = Math.floor((py - r * (tile + gap)) / zoom);
    const tip = $("tooltip");
    if (a >= o || r >= rows || x >= kw || y >= kh) {
      tip.hidden = true;
      return;
    }
    const b = k.rgb ? null : r;
    const where = k.rgb ? `filter ${a} (red, green, blue)` : `filter ${a}, input channel ${b}`;
    const value = k.rgb ? [0, 1, 2].map((c) => fmt(k.value(((a * i + c) * kh + y) * kw + x))).join(", ")
      : fmt(k.value(((a * i + b) * kh + y) * kw + x));
    tip.textContent = `${k.name} · ${where} · row ${y}, column ${x}: ≈ ${value}`;
    tip.hidden = false;
    tip.style.left = `${Math.min(e.clientX + 14, window.innerWidth - tip.offsetWidth - 8)}px`;
    tip.style.top = `${e.clientY + 16}px`;
  });
  canvas.addEventListener("pointerleave", () => {
    $("tooltip").hidden = true;
  });
  const [out, inp] = k.shape;
  const how = k.rgb
    ? `${o} filters, each drawn as one colour tile of its red, green and blue kernels (grey is zero)`
    : i === 1
      ? `${o} filters of ${kh}×${kw}, one per output channel`
      : `columns: the ${o} filters (output channels); rows: the ${i} input channels each filter reads`;
  const cut = o < out || i < inp ? ` (the first ${o} of ${out} outputs and ${i} of ${inp} inputs)` : "";
  return el(
    "figure",
    { class: "filters" },
    el("figcaption", {}, el("strong", { text: k.name }), ` ${k.type} ${out}×${inp}×${kh}×${kw}: ${how}${cut}`),
    el("div", { class: "scroll" }, canvas),
    k.rgb ? null : el("p", { class: "legend", "aria-hidden": "true" },
      el("span", { class: "lo", text: fmt(k.lo) }),
      el("span", { class: "bar", style: `background: ${gradientCss(pal)}` }),
      el("span", { class: "hi", text: fmt(k.hi) })),
  );
}

function shape(s) {
  if (s === null || s === undefined) return "";
  return Array.isArray(s) ? s.join("×") : String(s);
}

function showSummary(summary) {
  const table = $("summary");
  const head = el("thead", {}, el("tr", {}, ...["Layer", "Type", "Output", "Parameters", "MACs", "Receptive field",
    "Stride", "Padding"].map((h) => el("th", { scope: "col", text: h }))));
  const body = el("tbody");
  for (const row of summary.layers) {
    const leaf = !summary.layers.some((r) => r.name.startsWith(`${row.name}.`));
    body.append(el("tr", { class: leaf ? "" : "group" },
      el("th", { scope: "row", style: `padding-left: ${0.4 + (row.depth - 1)}rem`, text: row.name }),
      el("td", { text: row.type }),
      el("td", { text: shape(row.output_shape) }),
      el("td", { class: "num", text: row.params ? row.params.toLocaleString("en") : "" }),
      el("td", { class: "num", text: row.macs ? row.macs.toLocaleString("en") : "" }),
      el("td", { class: "num", text: shape(row.receptive_field) }),
      el("td", { class: "num", text: shape(row.effective_stride) }),
      el("td", { class: "num", text: shape(row.effective_padding) })));
  }
  table.replaceChildren(el("caption", { text: `${summary.model}, input ${shape(summary.input_shape)}` }), head, body);
  $("totals").textContent = `${summary.total_params.toLocaleString("en")} parameters `
    + `(${summary.trainable_params.toLocaleString("en")} trainable), `
    + `${summary.total_macs.toLocaleString("en")} multiply-accumulates per image. `
    + `Each output sees ${shape(summary.receptive_field)} input pixels (effective stride `
    + `${shape(summary.effective_stride)}).`;
}

async function showSamples() {
  const root = $("samples");
  let answer;
  try {
    answer = await api("/api/samples?count=10");
  } catch (err) {
    root.textContent = err.message;
    return;
  }
  if (!answer.samples.length) {
    root.replaceChildren(el("p", { class: "muted", text: answer.note || "No samples." }));
    return;
  }
  const buttons = answer.samples.map((s) => {
    const canvas = document.createElement("canvas");
    paintImage(canvas, decodeArray8(s.pixels), state.pal);
    return el("button", { type: "button", class: "sample", title: s.source, "aria-label": `Try ${s.source}, a ${s.label}`,
      onclick: () => predictPixels(s) }, canvas);
  });
  root.replaceChildren(
    el("p", { class: "muted", text: `Or try a ${answer.dataset} test image${answer.note ? ` (${answer.note})` : ""}:` }),
    el("div", { class: "sample-row" }, ...buttons),
  );
}

// ---------------------------------------------------------------- the page

function setupInput(model) {
  const draws = model.input === "draw";
  document.body.classList.toggle("upload-mode", !draws);
  pad = new DrawPad($("pad"), { onChange: predictDrawing, pen: () => Number($("pen").value) });
  pad.enabled = draws;
  $("input-title").textContent = draws ? "Draw a digit" : "Choose an image";
  if (!draws) {
    $("lead").textContent = "Choose an image (or drop one on the frame): the network runs on it, and below every "
      + "layer's feature maps show what each filter found. Hover over a map to read its values and see which "
      + "pixels of the input it looks at.";
  }
  $("pad-hint").textContent = draws ? "Draw here with a mouse, pen or finger" : "Drop an image here, or choose a file";
  $("pad").setAttribute("aria-label", draws
    ? "Drawing area: draw a digit with the mouse, a pen or a finger; the prediction updates as you draw"
    : "The chosen image; drop an image file here");
  $("clear").addEventListener("click", clearAll);
  $("file").addEventListener("change", (e) => {
    predictFile(e.target.files[0]);
    e.target.value = "";
  });
  const zone = $("drop-zone");
  zone.addEventListener("dragover", (e) => {
    e.preventDefault();
    zone.classList.add("dragging");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("dragging"));
  zone.addEventListener("drop", (e) => {
    e.preventDefault();
    zone.classList.remove("dragging");
    predictFile(e.dataTransfer.files[0]);
  });
  clearAll();
}

function describeModel(model) {
  const ds = model.dataset;
  const acc = model.test_accuracy === null ? "" : ` · ${(100 * model.test_accuracy).toFixed(1)}% right on its test set`;
  $("model-line").textContent = `${model.name} trained on ${ds.name} (${ds.classes.length} classes, `
    + `${ds.in_channels}×${ds.image_size.join("×")} images)${acc}`;
}

async function main() {
  setupZoom();
  try {
    const [model, pal] = await Promise.all([api("/api/model"), palettes()]);
    state.model = model;
    state.pal = pal;
    describeModel(model);
    setupInput(model);
    showSummary(model.summary);
    await Promise.all([showFilters(), showSamples()]);
    document.body.dataset.ready = "true";
  } catch (err) {
    say(err.message, true);
  }
}

main();
