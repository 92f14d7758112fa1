// The explorer: a generator run in the browser by stock tf.js. A grid of samples, new samples,
// latent sliders (principal directions or the first dimensions) on a chosen sample, a smooth
// interpolation between two samples, a digit picker for conditional models, download as PNG;
// for a style-based generator also the truncation ψ, a style-mixing grid and new noise (those
// cards in style_cards.js).

import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { downloadGrid, drawGrid, freshSeed, gridIndexAt, latentNoise } from "./images.js";
import { StyleCards } from "./style_cards.js";
import { styleLayerOf } from "./styles.js";

const COUNT = 64;
const COLUMNS = 8;
const SLIDERS = 6;
const FRAMES = 8;
const PCA_SAMPLES = 512;
const PCA_ITERATIONS = 40;

/**
 * The library core (src/browser.ts): importing it registers the library's own layer classes
 * (ProGAN's, StyleGAN's) with tf.js, which `loadLayersModel` needs to read their model files.
 */
let library;
function libraryLayers() {
  library ??= import("@gan/mnist/browser");
  library.catch(() => (library = undefined));
  return library;
}

const $ = (id) => document.getElementById(id);

/** Spherical interpolation between two latent vectors (linear when they are parallel). */
function slerp(a, b, t) {
  let dot = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  const omega = Math.acos(Math.max(-1, Math.min(1, dot / Math.sqrt(na * nb || 1))));
  const out = new Float32Array(a.length);
  if (omega < 1e-4) {
    for (let i = 0; i < a.length; i++) out[i] = (1 - t) * a[i] + t * b[i];
    return out;
  }
  const s = Math.sin(omega);
  const wa = Math.sin((1 - t) * omega) / s, wb = Math.sin(t * omega) / s;
  for (let i = 0; i < a.length; i++) out[i] = wa * a[i] + wb * b[i];
  return out;
}

export class Explorer {
  constructor() {
    this.model = null;
    this.mixture = null;
    this.seed = 1;
    this.digit = null;
    this.selected = 0;
    this.target = 1;
    this.clickSets = "a";
    this.directionKind = "pca";
    this.directions = null;
    this.offsets = new Float32Array(SLIDERS);
    this.queue = Promise.resolve();
    this.playing = true;
    this.bindControls();
    this.styleCards = new StyleCards(this);
  }

  bindControls() {
    $("new-samples").addEventListener("click", () => this.newSamples(freshSeed()));
    $("download").addEventListener("click", () => this.download());
    $("grid").addEventListener("click", (event) => {
      if (!this.model) return;
      const index = gridIndexAt($("grid"), event, COUNT, this.shape, COLUMNS);
      if (index < 0) return;
      if (this.clickSets === "b" || event.shiftKey) this.target = index;
      else this.selected = index;
      this.enqueue(() => this.renderFocus());
    });
    for (const button of document.querySelectorAll("[data-click-sets]")) {
      button.addEventListener("click", () => {
        this.clickSets = button.dataset.clickSets;
        for (const b of document.querySelectorAll("[data-click-sets]")) {
          b.setAttribute("aria-pressed", String(b === button));
        }
      });
    }
    $("direction-kind").addEventListener("change", (event) => {
      this.directionKind = event.target.value;
      this.directions = null;
      this.resetSliders();
    });
    $("reset-sliders").addEventListener("click", () => this.resetSliders());
    $("interp-toggle").addEventListener("click", () => {
      this.playing = !this.playing;
      $("interp-toggle").textContent = this.playing ? "Pause" : "Play";
      if (this.playing) this.animate();
    });
  }

  /** Runs `task` after the ones before it (renders never overlap). */
  enqueue(task) {
    this.queue = this.queue.then(task).catch((error) => this.fail(error));
    return this.queue;
  }

  fail(error) {
    $("explore-status").textContent = `error: ${error.message ?? error}`;
    console.warn(error);
  }

  /** Loads a generator from the server with stock tf.js (`tf.loadLayersModel`). */
  async loadUrl(url, label) {
    await libraryLayers();
    let model;
    // A run being written replaces its model files every epoch: try again if we raced it.
    for (let attempt = 0;; attempt++) {
      try {
        model = await tfl.loadLayersModel(`${url}?t=${Date.now()}`);
        break;
      } catch (error) {
        if (attempt >= 2) throw error;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
    await this.setModel(model, label, true);
  }

  /** Shows a generator (one loaded here, or one trained in this tab: not disposed by us). */
  setModel(model, label, owned) {
    return this.enqueue(async () => {
      const input = model.inputs[0].shape;
      const output = model.outputs[0].shape;
      if (input.length !== 2 || output.length !== 4) {
        throw new Error(`not a generator: input [${input}], output [${output}]`);
      }
      if (this.owned && this.model && this.model !== model) this.model.dispose();
      const mixture = model.getUserDefinedMetadata?.()?.latentMixture ?? null;
      const sameShape = this.model && this.latentDim === input[1] &&
        JSON.stringify(this.mixture) === JSON.stringify(mixture);
      this.mixture = mixture;
      this.model = model;
      this.owned = owned;
      this.latentDim = input[1];
      this.shape = output.slice(1);
      this.classes = model.inputs.length === 2 ? model.inputs[1].shape[1] : 0;
      this.directions = null;
      this.styleCards.setLayer(styleLayerOf(model), this.classes);
      if (!sameShape) {
        this.z = latentNoise(COUNT, this.latentDim, this.seed, this.mixture);
        this.offsets.fill(0);
      }
      const meta = model.getUserDefinedMetadata?.()?.ganMnist ?? {};
      const parts = [label];
      if (meta.preset) parts.push(meta.preset);
      if (meta.epoch) parts.push(`epoch ${meta.epoch}`);
      parts.push(`latent ${this.latentDim} → ${this.shape.join("×")}`);
      if (this.classes) parts.push(`conditional, ${this.classes} classes`);
      $("model-info").textContent = parts.join(" · ");
      $("explore-empty").hidden = true;
      $("explore-body").hidden = false;
      $("digits").hidden = !this.classes;
      $("style-controls").hidden = $("style-mixing").hidden = !this.styleCards.sampler;
      if (this.classes) this.buildDigitPicker();
      this.buildSliders();
      await this.renderAll();
      $("explore").dataset.ready = "true";
    });
  }

  buildDigitPicker() {
    const picker = $("digit-buttons");
    const choices = [null, ...Array.from({ length: this.classes }, (_, i) => i)];
    picker.replaceChildren(...choices.map((digit) => {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = digit === null ? "mixed" : String(digit);
      button.dataset.digit = digit === null ? "mixed" : String(digit);
      button.setAttribute("aria-pressed", String(digit === this.digit));
      button.addEventListener("click", () => {
        this.digit = digit;
        for (const b of picker.children) b.setAttribute("aria-pressed", String(b === button));
        this.enqueue(() => this.renderAll());
      });
      return button;
    }));
    if (this.digit !== null && this.digit >= this.classes) this.digit = null;
  }

  buildSliders() {
    const host = $("sliders");
    host.replaceChildren();
    for (let k = 0; k < SLIDERS; k++) {
      const row = document.createElement("label");
      row.className = "slider";
      const name = document.createElement("span");
      name.textContent = this.directionKind === "pca" ? `direction ${k + 1}` : `z[${k}]`;
      const input = document.createElement("input");
      Object.assign(input, { type: "range", min: "-3", max: "3", step: "0.05" });
      input.value = String(this.offsets[k]);
      input.dataset.index = String(k);
      const value = document.createElement("output");
      value.textContent = this.offsets[k].toFixed(2);
      input.addEventListener("input", () => {
        this.offsets[k] = Number(input.value);
        value.textContent = this.offsets[k].toFixed(2);
        this.scheduleFocus();
      });
      row.append(name, input, value);
      host.append(row);
    }
  }

  resetSliders() {
    this.offsets.fill(0);
    if (this.model) {
      this.buildSliders();
      this.enqueue(() => this.renderFocus());
    }
  }

  scheduleFocus() {
    if (this.focusPending) return;
    this.focusPending = true;
    requestAnimationFrame(() => {
      this.focusPending = false;
      this.enqueue(() => this.renderFocus());
    });
  }

  /** One-hot label rows (or blends of two) for `n` images. */
  labelRows(n, labelOf) {
    const rows = new Float32Array(n * this.classes);
    for (let i = 0; i < n; i++) {
      const label = labelOf(i);
      if (typeof label === "number") rows[i * this.classes + label] = 1;
      else for (const [c, w] of label) rows[i * this.classes + c] += w;
    }
    return rows;
  }

  /** The digits drawn, for the page's readers: "" (unconditional), "mixed" or the digit. */
  labelsShown() {
    return this.classes ? (this.digit === null ? "mixed" : String(this.digit)) : "";
  }

  labelFor(index) {
    return this.digit ?? index % this.classes;
  }

  /**
   * The generator on tensors: `(n, latentDim)` z and `(n, classes)` labels (or null) → images.
   * A style-based generator runs as its layer does, its w truncated by ψ first.
   */
  forward(z, labels, table) {
    if (!this.styleCards.sampler) return this.model.predict(this.classes ? [z, labels] : z);
    return this.styleCards.forward(z, labels, table);
  }

  /** Images for `n` latent vectors (and label rows), as pixels in [-1, 1]. */
  async generate(zs, n, labels) {
    const table = await this.styleCards.averageTable();
    const output = tf.tidy(() => {
      const z = tf.tensor2d(zs, [n, this.latentDim]);
      return this.forward(z, this.classes ? tf.tensor2d(labels, [n, this.classes]) : null, table);
    });
    const pixels = await output.data();
    output.dispose();
    return pixels;
  }

  async renderAll() {
    await this.renderGrid();
    await this.renderFocus();
    await this.styleCards.renderMixing();
  }

  async renderGrid() {
    const labels = this.classes ? this.labelRows(COUNT, (i) => this.labelFor(i)) : null;
    this.pixels = await this.generate(this.z, COUNT, labels);
    drawGrid($("grid"), this.pixels, COUNT, this.shape, { columns: COLUMNS });
    const grid = $("grid");
    grid.dataset.renders = String(Number(grid.dataset.renders ?? 0) + 1);
    grid.dataset.labels = this.labelsShown();
    const { sampler, psi, noiseSeed } = this.styleCards;
    grid.dataset.psi = sampler ? String(psi) : "";
    grid.dataset.noiseSeed = sampler ? String(noiseSeed) : "";
  }

  /** The style-mixing grid as last drawn, in [-1, 1] (for the page's readers). */
  get mixPixels() {
    return this.styleCards.mixPixels;
  }

  latentOf(index) {
    return this.z.slice(index * this.latentDim, (index + 1) * this.latentDim);
  }

  /** The chosen sample's latent vector moved along the sliders' directions by `offsets`. */
  async focusLatent(offsets) {
    const z = this.latentOf(this.selected);
    if (offsets.every((x) => x === 0)) return z;
    const directions = await this.sliderDirections();
    for (let k = 0; k < SLIDERS; k++) {
      for (let i = 0; i < this.latentDim; i++) {
        z[i] += offsets[k] * directions[k * this.latentDim + i];
      }
    }
    return z;
  }

  /** Unit latent directions: the first dimensions, or those that move the images most. */
  async sliderDirections() {
    if (this.directions) return this.directions;
    const d = this.latentDim, k = Math.min(SLIDERS, d);
    const directions = new Float32Array(SLIDERS * d);
    if (this.directionKind === "dims") {
      for (let i = 0; i < k; i++) directions[i * d + i] = 1;
    } else {
      directions.set(await this.principalDirections(k));
    }
    this.directions = directions;
    return directions;
  }

  /**
   * Principal directions: the principal components of generated images (power iteration with
   * deflation on their Gram matrix), each carried back to the latent space as the direction
   * whose coordinate correlates with it (Zᵀu). Directions in which the images change most.
   */
  async principalDirections(k) {
    const n = PCA_SAMPLES, d = this.latentDim;
    const zs = latentNoise(n, d, 0x5eed, this.mixture);
    const labels = this.classes ? this.labelRows(n, (i) => this.labelFor(i)) : null;
    const table = await this.styleCards.averageTable();
    const result = tf.tidy(() => {
      const z = tf.tensor2d(zs, [n, d]);
      const label = this.classes ? tf.tensor2d(labels, [n, this.classes]) : null;
      const images = tf.reshape(this.forward(z, label, table), [n, -1]);
      const centred = tf.sub(images, tf.mean(images, 0, true));
      let gram = tf.matMul(centred, centred, false, true); // (n, n)
      const found = [];
      for (let c = 0; c < k; c++) {
        let v = tf.randomNormal([n, 1], 0, 1, "float32", c + 1);
        for (let it = 0; it < PCA_ITERATIONS; it++) {
          const next = tf.matMul(gram, v);
          v = tf.div(next, tf.add(tf.norm(next), 1e-12));
        }
        const lambda = tf.sum(tf.mul(v, tf.matMul(gram, v)));
        gram = tf.sub(gram, tf.mul(lambda, tf.matMul(v, v, false, true)));
        const direction = tf.matMul(z, v, true, false); // (d, 1)
        found.push(tf.div(direction, tf.add(tf.norm(direction), 1e-12)));
      }
      return tf.concat(found.map((f) => tf.reshape(f, [1, d])), 0); // (k, d)
    });
    const values = await result.data();
    result.dispose();
    return values;
  }

  async renderFocus() {
    if (!this.model) return;
    const offsets = this.offsets.slice();
    const kind = this.directionKind;
    const z = await this.focusLatent(offsets);
    const label = this.classes ? this.labelRows(1, () => this.labelFor(this.selected)) : null;
    const pixels = await this.generate(z, 1, label);
    const focus = $("focus");
    drawGrid(focus, pixels, 1, this.shape, { columns: 1, padding: 0 });
    focus.dataset.renders = String(Number(focus.dataset.renders ?? 0) + 1);
    focus.dataset.offsets = `${kind}:${Array.from(offsets).join(",")}`;
    $("focus-caption").textContent = `sample ${this.selected + 1}` +
      (this.classes ? `, digit ${this.labelFor(this.selected)}` : "");
    await this.renderInterpolation(z);
  }

  /** The ends of the interpolation: the chosen sample (as moved by the sliders) and the target. */
  async renderInterpolation(start) {
    const a = start, b = this.latentOf(this.target);
    const zs = new Float32Array(FRAMES * this.latentDim);
    for (let f = 0; f < FRAMES; f++) zs.set(slerp(a, b, f / (FRAMES - 1)), f * this.latentDim);
    this.interpolation = { a, b };
    const labels = this.classes
      ? this.labelRows(FRAMES, (f) => this.blend(f / (FRAMES - 1)))
      : null;
    const pixels = await this.generate(zs, FRAMES, labels);
    drawGrid($("interp-strip"), pixels, FRAMES, this.shape, { columns: FRAMES });
    $("interp-caption").textContent = `sample ${this.selected + 1} → sample ${this.target + 1}`;
    this.animate();
  }

  /** The label of an interpolation frame: the two ends' one-hot rows blended. */
  blend(t) {
    const la = this.labelFor(this.selected), lb = this.labelFor(this.target);
    return la === lb ? la : [[la, 1 - t], [lb, t]];
  }

  /** Plays the interpolation back and forth on its own canvas while it is visible. */
  animate() {
    if (this.animating || !this.playing) return;
    this.animating = true;
    const started = performance.now();
    let last = 0;
    const frame = async (now) => {
      const visible = !document.hidden && $("interp-play").offsetParent !== null;
      if (!this.playing || !this.model || !visible) {
        this.animating = false;
        return;
      }
      if (now - last >= 50) {
        last = now;
        const t = (1 - Math.cos((now - started) / 2000 * Math.PI)) / 2;
        const { a, b } = this.interpolation;
        const labels = this.classes ? this.labelRows(1, () => this.blend(t)) : null;
        await this.enqueue(async () => {
          const pixels = await this.generate(slerp(a, b, t), 1, labels);
          drawGrid($("interp-play"), pixels, 1, this.shape, { columns: 1, padding: 0 });
        });
      }
      requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  }

  newSamples(seed) {
    if (!this.model) return;
    this.seed = seed;
    this.z = latentNoise(COUNT, this.latentDim, seed, this.mixture);
    this.enqueue(() => this.renderAll());
  }

  download() {
    if (!this.pixels) return;
    const which = this.classes && this.digit !== null ? `-digit${this.digit}` : "";
    downloadGrid(this.pixels, COUNT, this.shape, COLUMNS, `gan-samples-${this.seed}${which}.png`);
  }
}
