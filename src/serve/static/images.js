// Images on canvases: sample grids, single images, seeded noise and PNG downloads. No tf.js here:
// pixels arrive as Float32Arrays in [-1, 1] (what the generators output), channels last.

/** Seeded uniform numbers in [0, 1) (mulberry32). */
export function uniformSource(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` standard normal numbers from `seed` (Box–Muller). */
export function normalNoise(count, seed) {
  const uniform = uniformSource(seed);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - uniform()));
    const angle = 2 * Math.PI * uniform();
    out[i] = r * Math.cos(angle);
    if (i + 1 < count) out[i + 1] = r * Math.sin(angle);
  }
  return out;
}

/**
 * `count` latent vectors of length `latentDim` from `seed`: N(0, I), plus, for a generator with a
 * mixture prior (`{ components, scale }` in its metadata), `scale` on one of the first
 * `components` axes of each (src/models/prior.ts draws the same kind of noise in training).
 */
export function latentNoise(count, latentDim, seed, mixture) {
  const out = normalNoise(count * latentDim, seed);
  if (mixture) {
    const uniform = uniformSource(seed ^ 0x6d1c);
    for (let row = 0; row < count; row++) {
      out[row * latentDim + Math.floor(uniform() * mixture.components)] += mixture.scale;
    }
  }
  return out;
}

/** A random seed for "new samples". */
export function freshSeed() {
  return crypto.getRandomValues(new Uint32Array(1))[0];
}

/** The size of a grid of `count` images of `shape` [h, w, c] in `columns` columns. */
export function gridSize(count, shape, columns, padding = 2) {
  const rows = Math.ceil(count / columns);
  return {
    width: columns * shape[1] + (columns + 1) * padding,
    height: rows * shape[0] + (rows + 1) * padding,
    rows,
  };
}

/**
 * Draws images into `canvas` as a grid (canvas pixels = image pixels; CSS scales it up crisply).
 * `scale` draws each image pixel as a scale × scale block (for downloads).
 */
export function drawGrid(canvas, pixels, count, shape, options = {}) {
  const [h, w, c] = shape;
  const columns = options.columns ?? Math.ceil(Math.sqrt(count));
  const padding = options.padding ?? 2;
  const scale = options.scale ?? 1;
  const size = gridSize(count, shape, columns, padding);
  canvas.width = size.width * scale;
  canvas.height = size.height * scale;
  const context = canvas.getContext("2d");
  const image = context.createImageData(canvas.width, canvas.height);
  const data = image.data;
  for (let i = 0; i < data.length; i += 4) {
    data[i] = data[i + 1] = data[i + 2] = 96;
    data[i + 3] = 255;
  }
  const perImage = h * w * c;
  for (let n = 0; n < count; n++) {
    const x0 = padding + (n % columns) * (w + padding);
    const y0 = padding + Math.floor(n / columns) * (h + padding);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const at = n * perImage + (y * w + x) * c;
        const rgb = c === 3
          ? [pixels[at], pixels[at + 1], pixels[at + 2]]
          : [pixels[at], pixels[at], pixels[at]];
        const bytes = rgb.map((v) => Math.max(0, Math.min(255, Math.round((v + 1) * 127.5))));
        for (let sy = 0; sy < scale; sy++) {
          for (let sx = 0; sx < scale; sx++) {
            const o = (((y0 + y) * scale + sy) * canvas.width + (x0 + x) * scale + sx) * 4;
            data[o] = bytes[0];
            data[o + 1] = bytes[1];
            data[o + 2] = bytes[2];
          }
        }
      }
    }
  }
  context.putImageData(image, 0, 0);
  return { columns, padding };
}

/** Which image of a grid drawn by drawGrid a click at (x, y) in CSS pixels hits, or -1. */
export function gridIndexAt(canvas, event, count, shape, columns, padding = 2) {
  const rect = canvas.getBoundingClientRect();
  const x = (event.clientX - rect.left) / rect.width * canvas.width;
  const y = (event.clientY - rect.top) / rect.height * canvas.height;
  const column = Math.floor((x - padding / 2) / (shape[1] + padding));
  const row = Math.floor((y - padding / 2) / (shape[0] + padding));
  const index = row * columns + column;
  return column >= 0 && column < columns && index >= 0 && index < count ? index : -1;
}

/** Saves a grid of images as a PNG file, each pixel drawn as a 4 × 4 block. */
export function downloadGrid(pixels, count, shape, columns, name) {
  const canvas = document.createElement("canvas");
  drawGrid(canvas, pixels, count, shape, { columns, scale: 4 });
  canvas.toBlob((blob) => {
    if (!blob) return;
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = name;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
  }, "image/png");
}
