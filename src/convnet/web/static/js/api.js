// Talking to the convnet API, and the small helpers both pages share.
// Every number the pages show comes from the server; this file only fetches, decodes and formats.

/** An error answered by the API: `message` is the server's explanation (its "detail"). */
export class ApiError extends Error {
  constructor(message, status) {
    super(message);
    this.status = status;
  }
}

/** Fetch `path` and return its JSON; non-2xx answers throw ApiError with the server's message. */
export async function api(path, { method = "GET", json, body, signal } = {}) {
  const options = { method, signal, headers: {} };
  if (json !== undefined) {
    options.body = JSON.stringify(json);
    options.headers["Content-Type"] = "application/json";
  } else if (body !== undefined) {
    options.body = body;
  }
  let response;
  try {
    response = await fetch(path, options);
  } catch (err) {
    if (err.name === "AbortError") throw err;
    throw new ApiError("The server does not answer: is `convnet serve` still running?", 0);
  }
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) {
    const detail = data && typeof data.detail === "string" ? data.detail : `HTTP ${response.status}`;
    throw new ApiError(detail, response.status);
  }
  return data;
}

/**
 * Decode an Array8 ({shape, lo, hi, cmap, data}): `q` holds the bytes; value(i) = lo + q[i] (hi - lo) / 255.
 */
export function decodeArray8(a) {
  const raw = atob(a.data);
  const q = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) q[i] = raw.charCodeAt(i);
  const span = (a.hi - a.lo) / 255;
  return { ...a, q, value: (i) => a.lo + q[i] * span };
}

let palettesPromise = null;

/** The colour scales of convnet.viz.colors: {cmap: Uint8ClampedArray of 256 RGB triples}. */
export function palettes() {
  if (!palettesPromise) {
    palettesPromise = api("/api/palettes").then((named) => {
      const out = {};
      for (const [name, hexes] of Object.entries(named)) {
        const rgb = new Uint8ClampedArray(hexes.length * 3);
        hexes.forEach((hex, i) => {
          rgb[3 * i] = parseInt(hex.slice(1, 3), 16);
          rgb[3 * i + 1] = parseInt(hex.slice(3, 5), 16);
          rgb[3 * i + 2] = parseInt(hex.slice(5, 7), 16);
        });
        out[name] = rgb;
      }
      return out;
    });
  }
  return palettesPromise;
}

/** A CSS gradient through a palette, for colour legends. */
export function gradientCss(palette) {
  const stops = [];
  for (let i = 0; i <= 255; i += 51) {
    stops.push(`rgb(${palette[3 * i]}, ${palette[3 * i + 1]}, ${palette[3 * i + 2]})`);
  }
  return `linear-gradient(to right, ${stops.join(", ")})`;
}

/** A number short enough for a cell: integers as they are, others to 4 significant digits. */
export function fmt(v) {
  if (v === null || v === undefined) return "−∞";
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v)) return String(v).replace("-", "−");
  const text = Math.abs(v) >= 1e5 || Math.abs(v) < 1e-3 ? v.toExponential(2) : String(parseFloat(v.toPrecision(4)));
  return text.replace("-", "−");
}

/** `fn` called once calls stop coming for `ms` milliseconds. */
export function debounce(fn, ms) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

/** Create an element: el("p", {class: "note", text: "hi"}, child, ...). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "text") node.textContent = value;
    else if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}

/** Show a message in the page's status line (role=status); errors are styled as such. */
export function say(text, isError = false) {
  const status = document.getElementById("status");
  if (!status) return;
  status.textContent = text;
  status.classList.toggle("error", isError);
}

/** Paint channel `c` of a decoded Array8 (C, H, W) onto `canvas` at one pixel per cell, through `palette`. */
export function paintChannel(canvas, arr, c, palette) {
  const [, h, w] = arr.shape;
  canvas.width = w;
  canvas.height = h;
  const ctx = canvas.getContext("2d");
  const image = ctx.createImageData(w, h);
  const offset = c * h * w;
  for (let i = 0; i < h * w; i++) {
    const q = arr.q[offset + i];
    image.data[4 * i] = palette[3 * q];
    image.data[4 * i + 1] = palette[3 * q + 1];
    image.data[4 * i + 2] = palette[3 * q + 2];
    image.data[4 * i + 3] = 255;
  }
  ctx.putImageData(image, 0, 0);
}

/** Paint a uint8 image Array8 (C, H, W) as gray (C = 1) or RGB (C = 3). */
export function paintImage(canvas, arr, palettesByName) {
  const [c, h, w] = arr.shape;
  if (c !== 3) {
    paintChannel(canvas, arr, 0, palettesByName.gray);
    return;
  }
  canvas.width = w;
  canvas.height = h;
  const ctx = canvas.getContext("2d");
  const image = ctx.createImageData(w, h);
  for (let i = 0; i < h * w; i++) {
    for (let k = 0; k < 3; k++) image.data[4 * i + k] = arr.q[k * h * w + i];
    image.data[4 * i + 3] = 255;
  }
  ctx.putImageData(image, 0, 0);
}

/** The cell (row, column) of a grid of `rows` x `cols` cells drawn over `target`, under a pointer event. */
export function cellAt(event, target, rows, cols) {
  const box = target.getBoundingClientRect();
  const y = Math.floor(((event.clientY - box.top) / box.height) * rows);
  const x = Math.floor(((event.clientX - box.left) / box.width) * cols);
  if (y < 0 || x < 0 || y >= rows || x >= cols) return null;
  return { y, x };
}
