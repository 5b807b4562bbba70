// A drawing pad: dark ink on white paper, drawn with a mouse, a pen or a finger (pointer events).
// The server prepares what is drawn exactly as `convnet predict` prepares a photo of a digit.

export class DrawPad {
  /**
   * @param {HTMLCanvasElement} canvas the pad
   * @param {{onChange: () => void, pen: () => number}} options called while drawing; the pen width
   */
  constructor(canvas, { onChange, pen }) {
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d");
    this.onChange = onChange;
    this.pen = pen;
    this.last = null;
    this.blank = true;
    this.enabled = true;
    this.clear();
    canvas.addEventListener("pointerdown", (e) => this.down(e));
    canvas.addEventListener("pointermove", (e) => this.move(e));
    for (const type of ["pointerup", "pointercancel"]) canvas.addEventListener(type, (e) => this.up(e));
  }

  /** Where an event falls on the canvas, in canvas pixels (the canvas may be shown smaller or larger). */
  point(e) {
    const box = this.canvas.getBoundingClientRect();
    return {
      x: ((e.clientX - box.left) / box.width) * this.canvas.width,
      y: ((e.clientY - box.top) / box.height) * this.canvas.height,
    };
  }

  down(e) {
    if (!this.enabled || (e.pointerType === "mouse" && e.button !== 0)) return;
    e.preventDefault();
    this.canvas.setPointerCapture(e.pointerId);
    this.last = this.point(e);
    this.stroke(this.last, this.last);
  }

  move(e) {
    if (!this.last) return;
    e.preventDefault();
    const events = e.getCoalescedEvents ? e.getCoalescedEvents() : [e];
    for (const ev of events.length ? events : [e]) {
      const p = this.point(ev);
      this.stroke(this.last, p);
      this.last = p;
    }
  }

  up(e) {
    if (!this.last) return;
    this.last = null;
    if (this.canvas.hasPointerCapture(e.pointerId)) this.canvas.releasePointerCapture(e.pointerId);
    this.onChange();
  }

  stroke(a, b) {
    const ctx = this.ctx;
    ctx.strokeStyle = "#111";
    ctx.lineWidth = this.pen();
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.beginPath();
    ctx.moveTo(a.x, a.y);
    ctx.lineTo(b.x, b.y);
    ctx.stroke();
    this.blank = false;
    this.onChange();
  }

  /** White paper again. */
  clear() {
    this.ctx.fillStyle = "#fff";
    this.ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
    this.blank = true;
  }

  /** Show an image (an <img>, <canvas> or ImageBitmap) fitted inside the pad, centred. */
  show(image, width, height, background = "#fff") {
    const ctx = this.ctx;
    ctx.fillStyle = background;
    ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
    const scale = Math.min(this.canvas.width / width, this.canvas.height / height);
    const w = width * scale;
    const h = height * scale;
    ctx.imageSmoothingEnabled = scale < 4;
    ctx.drawImage(image, (this.canvas.width - w) / 2, (this.canvas.height - h) / 2, w, h);
    this.blank = false;
  }

  /** The drawing as a PNG data: URL (what POST /api/predict takes as `image`). */
  png() {
    return this.canvas.toDataURL("image/png");
  }
}
