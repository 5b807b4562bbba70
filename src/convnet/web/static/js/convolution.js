// The convolution page: choose an input, a kernel (or a pooling window), padding, stride and dilation,
// then step through the kernel's positions. The server computes everything with convnet.nn.functional
// (POST /api/convolve) and sends the record of every step; this file draws what it is sent.

import { api, debounce, decodeArray8, el, fmt, palettes, say } from "./api.js";

const $ = (id) => document.getElementById(id);

const DEFAULT_GRID = [
  [0, 0, 0, 0, 0, 0, 0],
  [0, 9, 9, 9, 9, 9, 0],
  [0, 0, 0, 0, 0, 9, 0],
  [0, 0, 0, 0, 9, 0, 0],
  [0, 0, 0, 9, 0, 0, 0],
  [0, 0, 9, 0, 0, 0, 0],
  [0, 0, 9, 0, 0, 0, 0],
];
const MAX_NUMBERS = 60000; // the server's limit on numbers per answer (convolve.MAX_NUMBERS)

const state = {
  pal: null,
  grid: DEFAULT_GRID.map((r) => r.slice()),
  kernel: null,
  filters: [],
  samples: [],
  result: null, // the last answer of /api/convolve (its steps kept in pages)
  pages: new Map(),
  pageSize: 256,
  version: 0,
  step: 0,
  timer: null,
};

// ---------------------------------------------------------------- the request

function currentInput() {
  const source = $("source").value;
  if (source === "grid") return state.grid;
  let arr = null;
  if (source === "sample") {
    const s = state.samples[Number($("sample").value)];
    arr = s ? decodeArray8(s.pixels) : null;
  } else {
    const saved = storedDrawing();
    arr = saved ? decodeArray8(saved.pixels) : null;
  }
  if (!arr) return state.grid;
  const [c, h, w] = arr.shape;
  const rows = [];
  for (let y = 0; y < h; y++) {
    const row = [];
    for (let x = 0; x < w; x++) {
      let sum = 0;
      for (let k = 0; k < c; k++) sum += arr.q[k * h * w + y * w + x];
      row.push(Math.round((sum / c / 255) * 100) / 100);
    }
    rows.push(row);
  }
  return rows;
}

function storedDrawing() {
  try {
    return JSON.parse(localStorage.getItem("convnet.drawing"));
  } catch {
    return null;
  }
}

function int(id) {
  return Number.parseInt($(id).value, 10);
}

function request() {
  const mode = $("mode").value;
  const body = {
    input: currentInput(),
    mode,
    padding: int("padding"),
    stride: int("stride"),
    dilation: int("dilation"),
  };
  if (mode === "conv") {
    body.kernel = state.kernel;
    body.bias = Number($("bias").value) || 0;
  } else {
    body.kernel_size = int("ksize");
  }
  return body;
}

function pageSizeFor(body) {
  const k = body.kernel ? body.kernel.length * body.kernel[0].length * 2 : (body.kernel_size || 1) ** 2;
  return Math.max(1, Math.min(256, Math.floor(MAX_NUMBERS / k)));
}

const recompute = debounce(async () => {
  const body = request();
  const version = ++state.version;
  const pageSize = pageSizeFor(body);
  try {
    const result = await api("/api/convolve", { method: "POST", json: { ...body, first_step: 0, max_steps: pageSize } });
    if (version !== state.version) return;
    state.result = result;
    state.input = body.input;
    state.pageSize = pageSize;
    state.pages = new Map([[0, result.steps]]);
    state.step = Math.min(state.step, result.total_steps - 1);
    $("conv-error").textContent = "";
    document.body.classList.remove("invalid");
    showFormula(result);
    await show();
  } catch (err) {
    if (version !== state.version) return;
    stop();
    $("conv-error").textContent = err.message;
    document.body.classList.add("invalid");
  }
}, 120);

/** The record of step `index`, fetched with its page when not yet here. */
async function record(index) {
  const page = Math.floor(index / state.pageSize);
  if (!state.pages.has(page)) {
    const version = state.version;
    const body = { ...request(), first_step: page * state.pageSize, max_steps: state.pageSize };
    const promise = api("/api/convolve", { method: "POST", json: body }).then((r) => r.steps);
    state.pages.set(page, promise);
    try {
      const steps = await promise;
      if (version === state.version) state.pages.set(page, steps);
    } catch (err) {
      state.pages.delete(page);
      throw err;
    }
  }
  const steps = await state.pages.get(page);
  return steps[index - page * state.pageSize];
}

// ---------------------------------------------------------------- drawing

function showFormula(r) {
  $("formula-general").textContent = r.formula.general;
  $("formula-h").textContent = r.formula.height;
  $("formula-w").textContent = r.formula.width;
  const [h, w] = r.input_shape;
  const [kh, kw] = r.kernel_shape;
  const what = r.mode === "conv" ? `kernel ${kh}×${kw}` : `window ${kh}×${kw}`;
  $("operation").textContent = `${r.operation}: input ${h}×${w}, ${what}, padding ${r.padding}, stride ${r.stride}`
    + `${r.dilation > 1 ? `, dilation ${r.dilation}` : ""} → output ${r.output.length}×${r.output[0].length}`;
  const scrub = $("scrub");
  scrub.max = String(r.total_steps - 1);
  scrub.value = String(state.step);
}

/** A colour scale for a grid: diverging about zero when it holds negatives, else white to blue. */
function scaleFor(values) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v === null || !Number.isFinite(v)) continue;
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  if (lo < 0) {
    const m = Math.max(-lo, hi) || 1;
    return { cmap: "diverging", lo: -m, hi: m };
  }
  return { cmap: "blues", lo: 0, hi: hi > 0 ? hi : 1 };
}

function colour(scale, v) {
  const t = Math.max(0, Math.min(1, (v - scale.lo) / (scale.hi - scale.lo)));
  const q = Math.round(t * 255);
  const p = state.pal[scale.cmap];
  const rgb = [p[3 * q], p[3 * q + 1], p[3 * q + 2]];
  const light = 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2] > 150;
  return { fill: `rgb(${rgb.join(", ")})`, text: light ? "#1f2328" : "#ffffff" };
}

/** Size a canvas for rows x cols cells that fit `maxWidth` CSS pixels; returns the context and cell size. */
function sized(canvas, rows, cols, maxWidth) {
  const cell = Math.max(6, Math.min(44, Math.floor(maxWidth / cols)));
  const ratio = window.devicePixelRatio || 1;
  canvas.style.width = `${cols * cell + 1}px`;
  canvas.style.height = `${rows * cell + 1}px`;
  canvas.width = Math.round((cols * cell + 1) * ratio);
  canvas.height = Math.round((rows * cell + 1) * ratio);
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  return { ctx, cell };
}

function writeNumber(ctx, text, x, y, cell, color) {
  ctx.fillStyle = color;
  const size = Math.min(14, Math.floor(cell / Math.max(2.2, text.length * 0.62)));
  ctx.font = `${size}px system-ui, sans-serif`;
  ctx.textAlign = "center";
  ctx.textBaseline = "middle";
  ctx.fillText(text, x + cell / 2, y + cell / 2 + 0.5);
}

function hatch(ctx, x, y, cell) {
  ctx.fillStyle = "#f4f4f4";
  ctx.fillRect(x, y, cell, cell);
  ctx.save();
  ctx.beginPath();
  ctx.rect(x, y, cell, cell);
  ctx.clip();
  ctx.strokeStyle = "#d9d9d9";
  ctx.lineWidth = 1;
  for (let d = -cell; d < cell; d += 6) {
    ctx.beginPath();
    ctx.moveTo(x + d, y + cell);
    ctx.lineTo(x + d + cell, y);
    ctx.stroke();
  }
  ctx.restore();
}

function stageWidth() {
  const stage = $("stage").getBoundingClientRect().width;
  return stage < 600 ? stage - 4 : Math.min(440, (stage - 24) / 2);
}

function drawPlane(r, step) {
  const [h, w] = r.input_shape;
  const p = r.padding;
  const rows = h + 2 * p;
  const cols = w + 2 * p;
  const { ctx, cell } = sized($("plane"), rows, cols, stageWidth());
  const flat = state.input.flat();
  const scale = scaleFor(flat);
  const numbers = cell >= 22;
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < cols; x++) {
      const inside = y >= p && y < p + h && x >= p && x < p + w;
      const X = x * cell;
      const Y = y * cell;
      if (!inside) {
        hatch(ctx, X, Y, cell);
        if (numbers) writeNumber(ctx, r.padding_value === null ? "−∞" : "0", X, Y, cell, "#8a8a8a");
      } else {
        const v = state.input[y - p][x - p];
        const c = colour(scale, v);
        ctx.fillStyle = c.fill;
        ctx.fillRect(X, Y, cell, cell);
        if (numbers) writeNumber(ctx, fmt(v), X, Y, cell, c.text);
      }
    }
  }
  gridLines(ctx, rows, cols, cell, "#d0d5db");
  if (!step) return;
  const [kh, kw] = r.kernel_shape;
  const [r0, c0] = step.origin;
  const d = r.dilation;
  ctx.strokeStyle = "#e67800";
  for (let a = 0; a < kh; a++) {
    for (let b = 0; b < kw; b++) {
      const X = (c0 + b * d) * cell;
      const Y = (r0 + a * d) * cell;
      ctx.fillStyle = "rgba(230, 120, 0, 0.38)";
      ctx.fillRect(X, Y, cell, cell);
      ctx.lineWidth = 2;
      ctx.strokeRect(X + 1, Y + 1, cell - 2, cell - 2);
    }
  }
  if (d > 1) {
    ctx.setLineDash([4, 3]);
    ctx.lineWidth = 1.5;
    ctx.strokeRect(c0 * cell, r0 * cell, ((kw - 1) * d + 1) * cell, ((kh - 1) * d + 1) * cell);
    ctx.setLineDash([]);
  }
  $("plane-caption").textContent = p ? `input ${h}×${w}, padded by ${p} (${rows}×${cols})` : `input ${h}×${w}`;
}

function gridLines(ctx, rows, cols, cell, color) {
  if (cell < 8) return;
  ctx.strokeStyle = color;
  ctx.lineWidth = 1;
  ctx.beginPath();
  for (let y = 0; y <= rows; y++) {
    ctx.moveTo(0, y * cell + 0.5);
    ctx.lineTo(cols * cell, y * cell + 0.5);
  }
  for (let x = 0; x <= cols; x++) {
    ctx.moveTo(x * cell + 0.5, 0);
    ctx.lineTo(x * cell + 0.5, rows * cell);
  }
  ctx.stroke();
}

function drawOutput(r, index) {
  const rows = r.output.length;
  const cols = r.output[0].length;
  const canvas = $("output-grid");
  const { ctx, cell } = sized(canvas, rows, cols, stageWidth());
  canvas.dataset.cell = String(cell);
  const scale = scaleFor(r.output.flat());
  const numbers = cell >= 22;
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, cols * cell, rows * cell);
  for (let i = 0; i <= index; i++) {
    const y = Math.floor(i / cols);
    const x = i % cols;
    const v = r.output[y][x];
    const c = colour(scale, v);
    ctx.fillStyle = c.fill;
    ctx.fillRect(x * cell, y * cell, cell, cell);
    if (numbers) writeNumber(ctx, fmt(v), x * cell, y * cell, cell, c.text);
  }
  gridLines(ctx, rows, cols, cell, "#c9ced4");
  const y = Math.floor(index / cols);
  const x = index % cols;
  ctx.strokeStyle = "#e67800";
  ctx.lineWidth = 3;
  ctx.strokeRect(x * cell + 1.5, y * cell + 1.5, cell - 3, cell - 3);
  $("output-caption").textContent = `output ${rows}×${cols}`;
}

function matrix(values, label, classes) {
  const table = el("table", { class: "mat", "aria-label": label });
  values.forEach((row, a) => {
    table.append(el("tr", {}, ...row.map((v, b) => el("td", { class: classes ? classes(a, b, v) : "", text: fmt(v) }))));
  });
  return el("div", { class: "mat-wrap" }, table, el("span", { text: label }));
}

function showCalculation(r, step) {
  const calc = $("calc");
  const result = $("result");
  const [h, w] = r.input_shape;
  const p = r.padding;
  const d = r.dilation;
  const inPadding = (a, b) => {
    const y = step.origin[0] + a * d - p;
    const x = step.origin[1] + b * d - p;
    return y < 0 || x < 0 || y >= h || x >= w;
  };
  const windowClass = (a, b) => (inPadding(a, b) ? "pad" : "win");
  if (r.mode === "conv") {
    calc.replaceChildren(
      matrix(step.window, "window", windowClass),
      el("span", { class: "op", text: "×" }),
      matrix(state.kernel, "kernel"),
      el("span", { class: "op", text: "=" }),
      matrix(step.products, "products"),
    );
    result.replaceChildren(
      "sum of the products ", el("output", { id: "step-sum", text: fmt(step.sum) }),
      " + bias ", el("output", { id: "step-bias", text: fmt(r.bias) }),
      " = ", el("output", { id: "step-value", text: fmt(step.value) }),
    );
  } else if (r.mode === "maxpool") {
    const best = (a, b) => (a === step.argmax[0] && b === step.argmax[1] ? "best" : windowClass(a, b));
    calc.replaceChildren(matrix(step.window, "window", best));
    result.replaceChildren("the largest number in the window: ", el("output", { id: "step-value", text: fmt(step.value) }));
  } else {
    calc.replaceChildren(matrix(step.window, "window", windowClass));
    result.replaceChildren(
      "sum ", el("output", { id: "step-sum", text: fmt(step.sum) }),
      " ÷ ", el("output", { id: "step-count", text: String(step.count) }), " cells",
      " = ", el("output", { id: "step-value", text: fmt(step.value) }),
    );
  }
  result.dataset.step = String(step.index);
  result.dataset.value = String(step.value);
}

async function show() {
  const r = state.result;
  if (!r) return;
  const index = state.step;
  const version = state.version;
  let step;
  try {
    step = await record(index);
  } catch (err) {
    say(err.message, true);
    return;
  }
  if (version !== state.version || index !== state.step) return;
  drawPlane(r, step);
  drawOutput(r, index);
  showCalculation(r, step);
  const [kh, kw] = r.kernel_shape;
  const [r0, c0] = step.origin;
  const span = (k) => (k - 1) * r.dilation;
  $("step-line").textContent = `Step ${index + 1} of ${r.total_steps}: output cell (row ${step.position[0]}, column `
    + `${step.position[1]}), from padded input rows ${r0}–${r0 + span(kh)}, columns ${c0}–${c0 + span(kw)}`;
  $("scrub").value = String(index);
  $("prev").disabled = $("first").disabled = index === 0;
  $("next").disabled = $("last").disabled = index === r.total_steps - 1;
}

function go(index) {
  if (!state.result) return;
  state.step = Math.max(0, Math.min(state.result.total_steps - 1, index));
  show();
}

function stop() {
  clearInterval(state.timer);
  state.timer = null;
  $("play").textContent = "▶ Play";
  $("play").setAttribute("aria-pressed", "false");
}

function play() {
  if (state.timer) {
    stop();
    return;
  }
  if (!state.result) return;
  if (state.step >= state.result.total_steps - 1) state.step = -1;
  $("play").textContent = "Pause";
  $("play").setAttribute("aria-pressed", "true");
  const tick = () => {
    if (state.step >= state.result.total_steps - 1) {
      stop();
      return;
    }
    go(state.step + 1);
  };
  tick();
  state.timer = setInterval(tick, 1000 / Number($("speed").value));
}

// ---------------------------------------------------------------- editors

function editor(root, values, label, onEdit) {
  const cols = values[0].length;
  root.style.gridTemplateColumns = `repeat(${cols}, max-content)`;
  root.replaceChildren(
    ...values.flatMap((row, y) => row.map((v, x) => el("input", {
      type: "number", step: "any", value: String(v), "aria-label": `${label} row ${y}, column ${x}`,
      "data-row": String(y), "data-col": String(x),
      oninput: (e) => {
        const n = Number(e.target.value);
        if (e.target.value.trim() === "" || !Number.isFinite(n)) return;
        values[y][x] = n;
        onEdit();
      },
    }))),
  );
}

function resized(values, rows, cols) {
  return Array.from({ length: rows }, (_, y) => Array.from({ length: cols }, (_, x) => values[y]?.[x] ?? 0));
}

function showGridEditor() {
  const source = $("source").value;
  const own = source === "grid";
  $("grid-size").hidden = !own;
  $("grid-editor").hidden = !own;
  $("sample-field").hidden = source !== "sample";
  if (own) editor($("grid-editor"), state.grid, "input", recompute);
  const notes = {
    grid: "Type any numbers; the output updates as you type.",
    sample: "Pixel brightness ÷ 255, rounded to 2 decimals.",
    drawing: storedDrawing()
      ? "Your last drawing on the Network page, as the model saw it (brightness ÷ 255)."
      : "Draw a digit on the Network page first; until then this is the small grid.",
  };
  $("input-note").textContent = notes[source];
}

function showKernelEditor() {
  const conv = $("mode").value === "conv";
  $("preset-field").hidden = !conv;
  $("preset-desc").hidden = !conv;
  $("kernel-editor").hidden = !conv;
  $("bias-field").hidden = !conv;
  $("ksize-label").textContent = conv ? "Kernel size" : "Window size";
  $("dilation").disabled = $("mode").value === "avgpool";
  if (conv) {
    editor($("kernel-editor"), state.kernel, "kernel", () => {
      $("preset").value = "custom";
      $("preset-desc").textContent = "Your own kernel.";
      recompute();
    });
  }
}

function usePreset(name) {
  const f = state.filters.find((x) => x.name === name);
  if (!f) return;
  state.kernel = f.kernel.map((r) => r.slice());
  $("ksize").value = String(state.kernel.length);
  $("preset-desc").textContent = `Detects ${f.description}.`;
  showKernelEditor();
}

function setup() {
  const presets = $("preset");
  presets.replaceChildren(
    ...state.filters.map((f) => el("option", { value: f.name, text: f.name.replaceAll("_", " ") })),
    el("option", { value: "custom", text: "custom (edit the cells)" }),
  );
  presets.value = "sobel_x";
  usePreset("sobel_x");
  presets.addEventListener("change", () => {
    if (presets.value !== "custom") usePreset(presets.value);
    recompute();
  });
  $("ksize").addEventListener("change", () => {
    const k = Math.max(1, Math.min(11, int("ksize") || 1));
    if ($("mode").value === "conv") {
      state.kernel = resized(state.kernel, k, k);
      presets.value = "custom";
      $("preset-desc").textContent = "Your own kernel.";
      showKernelEditor();
    }
    recompute();
  });
  $("mode").addEventListener("change", () => {
    const conv = $("mode").value === "conv";
    $("ksize").value = conv ? String(state.kernel.length) : "2";
    $("stride").value = conv ? "1" : "2";
    $("padding").value = conv ? "1" : "0";
    $("dilation").value = "1";
    showKernelEditor();
    recompute();
  });
  for (const id of ["rows", "cols"]) {
    $(id).addEventListener("change", () => {
      const rows = Math.max(1, Math.min(16, int("rows") || 1));
      const cols = Math.max(1, Math.min(16, int("cols") || 1));
      state.grid = resized(state.grid, rows, cols);
      showGridEditor();
      recompute();
    });
  }
  $("source").addEventListener("change", () => {
    showGridEditor();
    state.step = 0;
    recompute();
  });
  $("sample").addEventListener("change", recompute);
  for (const id of ["padding", "stride", "dilation", "bias"]) $(id).addEventListener("input", recompute);
  $("controls").addEventListener("submit", (e) => e.preventDefault());
  $("first").addEventListener("click", () => go(0));
  $("prev").addEventListener("click", () => go(state.step - 1));
  $("next").addEventListener("click", () => go(state.step + 1));
  $("last").addEventListener("click", () => go(Infinity));
  $("play").addEventListener("click", play);
  $("speed").addEventListener("change", () => {
    if (state.timer) {
      stop();
      play();
    }
  });
  $("scrub").addEventListener("input", (e) => go(Number(e.target.value)));
  $("output-grid").addEventListener("click", (e) => {
    const r = state.result;
    if (!r) return;
    const box = e.currentTarget.getBoundingClientRect();
    const cell = Number(e.currentTarget.dataset.cell);
    const y = Math.floor((e.clientY - box.top) / cell);
    const x = Math.floor((e.clientX - box.left) / cell);
    if (y < r.output.length && x < r.output[0].length) go(y * r.output[0].length + x);
  });
  window.addEventListener("resize", debounce(show, 150));
  showGridEditor();
}

async function main() {
  try {
    const [pal, { filters }] = await Promise.all([palettes(), api("/api/filters")]);
    state.pal = pal;
    state.filters = filters;
    setup();
    recompute();
    const samples = await api("/api/samples?count=20");
    state.samples = samples.samples;
    $("sample").replaceChildren(...samples.samples.map((s, i) => el("option", { value: String(i),
      text: `${s.label} (${s.source})` })));
    if (!samples.samples.length) {
      $("source").querySelector('option[value="sample"]').disabled = true;
    }
    document.body.dataset.ready = "true";
  } catch (err) {
    say(err.message, true);
  }
}

main();
