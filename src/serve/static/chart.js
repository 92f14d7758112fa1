// Line charts on a canvas, redrawn to the canvas's CSS size (sharp on high-density screens).
// Many points are averaged into at most one per two device pixels.

/** Colours of the series, in order. */
export const COLOURS = ["#2563eb", "#ea580c", "#16a34a", "#9333ea"];

/** Points in buckets: each stored point averages `stride` inputs; halves itself when full. */
export class PointStore {
  constructor(max = 4096) {
    this.max = max;
    this.reset([], 1);
  }
  reset(points, stride) {
    this.points = points.slice();
    this.stride = stride;
    this.bucket = [];
  }
  push(point) {
    this.bucket.push(point);
    if (this.bucket.length < this.stride) return;
    this.points.push(average(this.bucket));
    this.bucket = [];
    if (this.points.length >= this.max) {
      const merged = [];
      for (let i = 0; i + 1 < this.points.length; i += 2) {
        merged.push(average([this.points[i], this.points[i + 1]]));
      }
      this.points = merged;
      this.stride *= 2;
    }
  }
}

function average(points) {
  const out = { ...points[points.length - 1] };
  for (const key of Object.keys(out)) {
    if (key === "step") continue;
    out[key] = points.reduce((s, p) => s + p[key], 0) / points.length;
  }
  return out;
}

function niceTicks(low, high, count) {
  const span = high - low || 1;
  const raw = span / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? raw;
  const ticks = [];
  for (let t = Math.ceil(low / step) * step; t <= high + step * 1e-9; t += step) ticks.push(t);
  return ticks;
}

const format = (x) =>
  Math.abs(x) >= 1000 ? `${Math.round(x / 100) / 10}k` : String(+x.toPrecision(3));

/**
 * Draws series of points ({step, [key]: value}) on `canvas`.
 * `series`: [{ key, label }]; options: { yMin, yMax, empty }.
 */
export function drawChart(canvas, points, series, options = {}) {
  const dpr = globalThis.devicePixelRatio || 1;
  const cssWidth = canvas.clientWidth || 300;
  const cssHeight = canvas.clientHeight || 160;
  canvas.width = Math.round(cssWidth * dpr);
  canvas.height = Math.round(cssHeight * dpr);
  const ctx = canvas.getContext("2d");
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, cssWidth, cssHeight);
  const style = getComputedStyle(canvas);
  const ink = style.getPropertyValue("--chart-ink").trim() || "#64748b";
  const rule = style.getPropertyValue("--chart-rule").trim() || "#e2e8f0";
  ctx.font = "11px system-ui, sans-serif";
  const left = 40, right = 8, top = 8, bottom = 20;
  const width = cssWidth - left - right, height = cssHeight - top - bottom;
  if (points.length === 0 || width <= 0 || height <= 0) {
    ctx.fillStyle = ink;
    ctx.fillText(options.empty ?? "waiting for the first steps…", left, top + height / 2);
    return;
  }
  // At most one point per two device pixels: average neighbours.
  const per = Math.max(1, Math.ceil(points.length / (width * dpr / 2)));
  const shown = [];
  for (let i = 0; i < points.length; i += per) shown.push(average(points.slice(i, i + per)));
  const x0 = shown[0].step, x1 = Math.max(shown[shown.length - 1].step, x0 + 1);
  let yMin = options.yMin, yMax = options.yMax;
  if (yMin === undefined || yMax === undefined) {
    const values = shown.flatMap((p) => series.map((s) => p[s.key])).filter(Number.isFinite);
    yMin ??= Math.min(0, ...values);
    yMax ??= Math.max(...values, yMin + 1e-6);
  }
  const x = (step) => left + (step - x0) / (x1 - x0) * width;
  const y = (v) => top + (1 - (v - yMin) / (yMax - yMin)) * height;
  ctx.strokeStyle = rule;
  ctx.fillStyle = ink;
  ctx.lineWidth = 1;
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  for (const t of niceTicks(yMin, yMax, 4)) {
    ctx.beginPath();
    ctx.moveTo(left, Math.round(y(t)) + 0.5);
    ctx.lineTo(left + width, Math.round(y(t)) + 0.5);
    ctx.stroke();
    ctx.fillText(format(t), left - 6, y(t));
  }
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  for (const t of niceTicks(x0, x1, Math.max(3, Math.floor(width / 70)))) {
    ctx.fillText(format(t), x(t), top + height + 5);
  }
  series.forEach((s, i) => {
    ctx.strokeStyle = s.colour ?? COLOURS[i % COLOURS.length];
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    let drawing = false;
    for (const p of shown) {
      const v = p[s.key];
      if (!Number.isFinite(v)) {
        drawing = false;
        continue;
      }
      const px = x(p.step), py = y(Math.min(yMax, Math.max(yMin, v)));
      if (drawing) ctx.lineTo(px, py);
      else ctx.moveTo(px, py);
      drawing = true;
    }
    ctx.stroke();
  });
}

/** A legend: coloured swatches with labels, as HTML elements. */
export function legend(element, series) {
  element.replaceChildren(...series.map((s, i) => {
    const item = document.createElement("span");
    item.className = "key";
    const swatch = document.createElement("i");
    swatch.style.background = s.colour ?? COLOURS[i % COLOURS.length];
    item.append(swatch, s.label);
    return item;
  }));
}
