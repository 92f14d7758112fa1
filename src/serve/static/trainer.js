// Train in this tab: the library core itself (src/browser.ts and what it imports, transpiled by
// the server from the same TypeScript the library runs in Deno) trains a small GAN here, on the
// page's tf.js backend (WebGPU or WebGL), on MNIST digits the server sends as IDX files.

import { duration } from "./live.js";

const GRID_SEED = 4242;
const $ = (id) => document.getElementById(id);

async function fetchBytes(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: ${response.status} ${await response.text()}`);
  return new Uint8Array(await response.arrayBuffer());
}

/** The form's choices, clamped to the bounds of the inputs themselves. */
function readForm() {
  const form = new FormData($("train-form"));
  return {
    preset: String(form.get("preset")),
    epochs: Math.max(1, Math.min(100, Number(form.get("epochs")) || 1)),
    count: Math.max(256, Math.min(60000, Number(form.get("images")) || 10000)),
    seed: Math.max(0, Math.floor(Number(form.get("seed")) || 0)),
  };
}

/** The first `count` MNIST training digits and labels, as the core's `trainGAN` takes them. */
async function loadDigits(core, count) {
  const [imageBytes, labelBytes] = await Promise.all([
    fetchBytes(`/api/mnist/train-images.idx?count=${count}`),
    fetchBytes(`/api/mnist/train-labels.idx?count=${count}`),
  ]);
  const images = core.decodeIdx(imageBytes, "train-images.idx", core.IDX_IMAGES_MAGIC);
  const labels = core.decodeIdx(labelBytes, "train-labels.idx", core.IDX_LABELS_MAGIC);
  const [n, height, width] = images.shape;
  return {
    pixels: core.bytesToPixels(images.data),
    count: n,
    height,
    width,
    channels: 1,
    labels: labels.data,
  };
}

/** One step's point of the loss chart. */
function pointOf(info) {
  return {
    step: info.globalStep,
    lossD: info.lossD,
    lossG: info.lossG,
    dReal: info.dReal,
    dFake: info.dFake,
  };
}

/** The progress after a step, `seconds` of training (pauses left out) in. */
function progressOf(info, seconds) {
  const total = info.epochs * info.stepsPerEpoch;
  return {
    epoch: info.epoch,
    epochs: info.epochs,
    step: info.step,
    stepsPerEpoch: info.stepsPerEpoch,
    globalStep: info.globalStep,
    seconds,
    eta: seconds / info.globalStep * (total - info.globalStep),
  };
}

export class TabTrainer {
  /**
   * @param view A LiveView for this tab's run.
   * @param explorer The explorer, to show the generator trained here.
   */
  constructor(view, explorer) {
    this.view = view;
    this.explorer = explorer;
    this.models = null;
    this.state = "idle";
    $("train-form").addEventListener("submit", (event) => {
      event.preventDefault();
      if (this.state === "idle") this.start().catch((error) => this.fail(error));
    });
    $("train-explore").addEventListener("click", () => {
      if (!this.models) return;
      this.explorer.setModel(this.models.generator, "trained in this tab", false);
      document.querySelector('[data-tab="explore"]').click();
    });
  }

  control(action) {
    if (action === "pause" && this.state === "running") {
      this.paused = new Promise((resolve) => (this.resumePaused = resolve));
      this.setState("paused");
    } else if (action === "resume" && this.state === "paused") {
      this.resumePaused();
      this.paused = undefined;
      this.setState("running");
    } else if (action === "stop" && (this.state === "running" || this.state === "paused")) {
      this.controller.abort();
      this.resumePaused?.();
      this.paused = undefined;
      this.setState("stopping");
    }
  }

  setState(state) {
    this.state = state;
    this.view.setState(state, this.progress);
    $("train-start").disabled = state !== "idle";
  }

  fail(error) {
    $("train-status").textContent = `error: ${error.message ?? error}`;
    this.state = "idle";
    $("train-start").disabled = false;
    console.warn(error);
  }

  async start() {
    const { preset, epochs, count, seed } = readForm();
    this.setState("loading");
    $("train-status").textContent = "loading the library and the digits…";
    const core = await import("@gan/mnist/browser");
    const data = await loadDigits(core, count);
    const settings = core.PRESETS[preset].training;
    const models = this.replaceModels(core, preset, seed, settings);
    await this.begin(preset, epochs, data.count, settings);
    const report = this.reporter(core, models);
    const result = await core.trainGAN(models.trained, models.discriminator, data, {
      epochs,
      batchSize: settings.batchSize,
      learningRate: settings.learningRate,
      beta1: settings.beta1,
      beta2: settings.beta2,
      generatorSteps: settings.generatorSteps,
      generatorLearningRate: settings.generatorLearningRate,
      seed,
      signal: this.controller.signal,
      onStep: report.onStep,
      onEpoch: report.onEpoch,
    });
    report.flush();
    $("train-status").textContent = `${result.aborted ? "stopped" : "done"}: ` +
      `${result.epochs} epochs, ${result.steps} steps in ${duration(result.seconds)}`;
    this.state = "idle";
    this.view.setState(result.aborted ? "stopped" : "done", this.progress);
    $("train-start").disabled = false;
  }

  /** New models for `preset`, the last run's disposed (but the one the explorer shows). */
  replaceModels(core, preset, seed, settings) {
    if (this.models) {
      this.models.discriminator.dispose();
      this.models.average?.dispose();
      if (this.models.trained !== this.models.generator) this.models.trained.dispose();
      if (this.explorer.model !== this.models.generator) this.models.generator.dispose();
    }
    const trained = core.createGenerator({ preset, seed });
    const discriminator = core.createDiscriminator({ preset, seed });
    // As `cli.ts train` does: where the preset averages G's weights, the averaged generator is
    // the one shown, sampled and explored.
    const average = settings.average ? new core.GeneratorAverage(trained, settings.average) : null;
    const averaged = average ? core.createGenerator({ preset, seed }) : null;
    const generator = averaged ?? trained;
    this.models = { generator, trained, discriminator, average };
    return { ...this.models, averaged };
  }

  /** Shows the run as begun: no progress yet, an empty chart, the state running. */
  async begin(preset, epochs, n, settings) {
    const stepsPerEpoch = Math.floor(n / settings.batchSize);
    this.progress = {
      epoch: 0,
      epochs,
      step: 0,
      stepsPerEpoch,
      globalStep: 0,
      seconds: 0,
      eta: null,
    };
    this.view.load({
      run: { preset, epochs },
      state: "running",
      controllable: true,
      progress: this.progress,
      points: [],
      stride: 1,
      epochs: [],
      evaluations: [],
      warnings: [],
    });
    this.controller = new AbortController();
    this.setState("running");
    $("train-status").textContent = `${n} digits, ${preset}, batch ${settings.batchSize}, ` +
      `on ${(await import("@tensorflow/tfjs-core")).getBackend()}`;
  }

  /**
   * The training's callbacks: each step's point goes to the chart at most every 150 ms (and
   * before a pause, which waits in the step), each epoch's grid to the page; `flush` shows the
   * points not shown yet.
   */
  reporter(core, { generator, average, averaged }) {
    let pending = [];
    let lastShown = 0;
    let active = 0, since = performance.now();
    const show = () => {
      this.view.steps({ points: pending, progress: this.progress });
      pending = [];
    };
    const onStep = async (info) => {
      average?.update();
      pending.push(pointOf(info));
      const now = performance.now();
      active += (now - since) / 1000;
      since = now;
      this.progress = progressOf(info, active);
      if (now - lastShown > 150 || this.paused) {
        show();
        lastShown = now;
      }
      if (this.paused) {
        await this.paused;
        since = performance.now();
      }
    };
    const onEpoch = async (info) => {
      show();
      average?.writeTo(averaged);
      const grid = await core.sample(generator, { n: 64, seed: GRID_SEED });
      this.view.gridPixels(info.epoch, grid.pixels, 64, [grid.height, grid.width, grid.channels]);
      $("train-explore").disabled = false;
      if (this.explorer.model === generator) {
        this.explorer.setModel(generator, "trained in this tab", false);
      }
    };
    const flush = () => {
      if (pending.length) show();
    };
    return { onStep, onEpoch, flush };
  }
}
