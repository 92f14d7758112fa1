// The live training view: loss curves, D(x) and D(G(z)), the fixed-noise grid per epoch, quality
// metrics, progress and ETA, pause / resume / stop, and for a run of `train --serve` GAN Lab's
// stepper (one step of D, G or both, slow motion) with what each step measured and the grid after
// it. Fed by the server's event stream (a run in `train --serve` or a run directory being
// written) or by training in this tab.

import { drawChart, legend, PointStore } from "./chart.js";
import { drawGrid } from "./images.js";

const LOSSES = [{ key: "lossD", label: "loss D" }, { key: "lossG", label: "loss G" }];
const OUTPUTS = [{ key: "dReal", label: "D(x)" }, { key: "dFake", label: "D(G(z))" }];
const FID = [{ key: "fid", label: "FID", colour: "#9333ea" }];
const PARTS = { discriminator: "D only", generator: "G only", both: "D + G" };
const fixed = (x, digits = 3) => (Number.isFinite(x) ? x.toFixed(digits) : "–");

/** "1m 05s". */
export function duration(seconds) {
  if (!Number.isFinite(seconds)) return "–";
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, "0")}m`;
}

export class LiveView {
  /**
   * @param host The element to fill (from the #live-template template).
   * @param onControl Called with a control message (`{ action: "pause" }`, …); null hides the
   * buttons.
   */
  constructor(host, onControl) {
    host.replaceChildren(document.getElementById("live-template").content.cloneNode(true));
    this.host = host;
    this.el = (role) => host.querySelector(`[data-role="${role}"]`);
    this.store = new PointStore();
    this.evaluations = [];
    this.run = null;
    this.stateName = "waiting";
    this.progress = null;
    this.controllable = onControl !== null;
    this.steppable = false;
    this.lastEpochStep = 0;
    for (const button of host.querySelectorAll("[data-action]")) {
      button.addEventListener("click", () => onControl?.({ action: button.dataset.action }));
    }
    for (const button of host.querySelectorAll("[data-step]")) {
      button.addEventListener(
        "click",
        () => onControl?.({ action: "step", part: button.dataset.step }),
      );
    }
    const slow = () => ({
      action: "slow",
      part: this.el("slow-part").value,
      rate: Number(this.el("slow-rate").value),
    });
    this.el("slow-play").addEventListener("click", () => onControl?.(slow()));
    for (const role of ["slow-part", "slow-rate"]) {
      // Slow motion that plays takes the new part or rate at once.
      this.el(role).addEventListener("change", () => {
        if (this.stateName === "slow") onControl?.(slow());
      });
    }
    legend(this.el("loss-legend"), LOSSES);
    legend(this.el("d-legend"), OUTPUTS);
    const observer = new ResizeObserver(() => this.redraw());
    for (const role of ["loss", "d", "fid"]) observer.observe(this.el(role));
    this.setState("waiting", null);
  }

  /** Everything so far (a server's snapshot, or an empty run). */
  load(snapshot) {
    this.run = snapshot.run;
    this.controllable = this.controllable && snapshot.controllable !== false;
    this.steppable = this.controllable && snapshot.steppable === true;
    this.progress = snapshot.progress ?? this.progress;
    this.store.reset(snapshot.points ?? [], snapshot.stride ?? 1);
    this.evaluations = [];
    this.el("warnings").replaceChildren();
    this.el("quality").hidden = true;
    for (const epoch of snapshot.epochs ?? []) this.epoch(epoch);
    for (const evaluation of snapshot.evaluations ?? []) this.evaluation(evaluation);
    for (const warning of snapshot.warnings ?? []) this.warning(warning);
    if (snapshot.stepped) this.stepped(snapshot.stepped);
    if (snapshot.stepGrid && snapshot.stepGrid.globalStep >= this.lastEpochStep) {
      this.stepGrid(snapshot.stepGrid);
    }
    this.setState(snapshot.state ?? "waiting", snapshot.progress ?? null, snapshot.slow);
    this.redraw();
  }

  /** A step taken by hand: what it updated and measured. */
  stepped(s) {
    this.host.dataset.stepped = String(s.globalStep);
    this.host.dataset.steppedPart = s.part;
    this.el("stepped").textContent =
      `step ${s.globalStep} (${PARTS[s.part]}${s.slow ? ", slow motion" : ""}): loss D ${
        fixed(s.lossD)
      } · loss G ${fixed(s.lossG)} · D(x) ${fixed(s.dReal)} · ` +
      `D(G(z)) ${fixed(s.dFake)}`;
  }

  /** The fixed-noise grid after a step taken by hand (G's weights then). */
  stepGrid(grid) {
    this.host.dataset.stepGrid = String(grid.globalStep);
    const image = this.el("grid-image");
    image.src = grid.image;
    image.hidden = false;
    this.el("grid-canvas").hidden = true;
    this.el("grid-empty").hidden = true;
    this.el("grid-caption").textContent = `Fixed noise after step ${grid.globalStep}`;
  }

  /** New steps and where the run is. */
  steps({ points, progress }) {
    for (const point of points) this.store.push(point);
    this.setProgress(progress);
    this.redraw();
  }

  /** A finished epoch, with its grid as a URL (server runs). */
  epoch(epoch) {
    this.host.dataset.epochs = String(epoch.epoch);
    this.lastEpochStep = epoch.epoch * (this.progress?.stepsPerEpoch ?? 0);
    if (epoch.grid) {
      const image = this.el("grid-image");
      image.src = `${epoch.grid}?epoch=${epoch.epoch}`;
      image.hidden = false;
      this.el("grid-canvas").hidden = true;
      this.el("grid-empty").hidden = true;
    }
    this.el("grid-caption").textContent = `Fixed noise after epoch ${epoch.epoch}`;
  }

  /** A finished epoch's grid as pixels (training in this tab). */
  gridPixels(epoch, pixels, count, shape) {
    this.host.dataset.epochs = String(epoch);
    const canvas = this.el("grid-canvas");
    drawGrid(canvas, pixels, count, shape, { columns: 8 });
    canvas.hidden = false;
    this.el("grid-image").hidden = true;
    this.el("grid-empty").hidden = true;
    this.el("grid-caption").textContent = `Fixed noise after epoch ${epoch}`;
  }

  /** A server beyond loopback whose token this page lacks: say how to get control. */
  needsToken() {
    const note = this.el("control-note");
    note.textContent = "Watching only: open the URL the server printed (with its ?token=…) " +
      "to pause, step or stop the run.";
    note.hidden = false;
  }

  evaluation(e) {
    this.evaluations.push({ step: e.globalStep, ...e });
    const best = this.evaluations.reduce((a, b) => (b.fid < a.fid ? b : a));
    const rows = [
      ["", `epoch ${e.epoch}`, `best (epoch ${best.epoch})`],
      ["FID ↓", e.fid, best.fid],
      ["IS ↑", e.is, best.is],
      ["classes ↑", e.coverage, best.coverage],
      ["precision ↑", e.precision, best.precision],
      ["recall ↑", e.recall, best.recall],
    ];
    this.el("metrics").replaceChildren(...rows.map((cells, r) => {
      const tr = document.createElement("tr");
      for (const cell of cells) {
        const td = document.createElement(r === 0 ? "th" : "td");
        td.textContent = typeof cell === "number" ? String(+cell.toPrecision(4)) : cell;
        tr.append(td);
      }
      return tr;
    }));
    this.el("quality").hidden = false;
    this.redraw();
  }

  warning(w) {
    const item = document.createElement("li");
    item.textContent = `epoch ${w.epoch}: ${w.message}`;
    this.el("warnings").append(item);
  }

  setState(state, progress, slow = null) {
    this.stateName = state;
    this.host.dataset.state = state;
    const label = this.el("state");
    label.textContent = state === "slow" && slow ? `slow · ${slow.rate}/s` : state;
    label.className = `state ${state}`;
    const controls = this.el("controls");
    controls.hidden = !this.controllable;
    const held = state === "paused" || state === "slow";
    const active = state === "running" || held;
    controls.querySelector('[data-action="pause"]').hidden = state === "paused";
    controls.querySelector('[data-action="pause"]').disabled =
      !(state === "running" || state === "slow");
    controls.querySelector('[data-action="resume"]').hidden = !held;
    controls.querySelector('[data-action="stop"]').disabled = !active;
    this.el("stepper").hidden = !this.steppable;
    for (const button of this.host.querySelectorAll("[data-step]")) button.disabled = !held;
    this.el("slow-play").disabled = !active || state === "slow";
    if (slow) {
      this.el("slow-part").value = slow.part;
      this.el("slow-rate").value = String(slow.rate);
    }
    if (progress) this.setProgress(progress);
  }

  setProgress(p) {
    this.progress = p;
    this.host.dataset.globalStep = String(p.globalStep);
    const parts = [];
    if (this.run?.preset) parts.push(this.run.preset);
    if (p.epochs) parts.push(`epoch ${p.epoch}/${p.epochs}`);
    if (p.stepsPerEpoch) parts.push(`step ${p.step}/${p.stepsPerEpoch}`);
    parts.push(duration(p.seconds));
    if (p.eta !== null && p.eta !== undefined && this.stateName !== "done") {
      parts.push(`ETA ${duration(p.eta)}`);
    }
    this.el("progress").textContent = parts.join(" · ");
    const total = p.epochs * p.stepsPerEpoch;
    const share = this.stateName === "done" ? 1 : total ? p.globalStep / total : 0;
    this.el("meter").style.width = `${(100 * Math.min(1, share)).toFixed(1)}%`;
  }

  redraw() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      const points = this.store.points.concat(this.store.bucket);
      drawChart(this.el("loss"), points, LOSSES);
      drawChart(this.el("d"), points, OUTPUTS, { yMin: 0, yMax: 1 });
      if (this.evaluations.length > 0) {
        drawChart(this.el("fid"), this.evaluations, FID, { empty: "" });
      }
    });
  }
}

/**
 * Follows the server's live run through Server-Sent Events; the browser reconnects by itself
 * and each connection starts with a snapshot.
 */
export function followServer(view, onEpoch) {
  const source = new EventSource("/api/events");
  const on = (type, handle) =>
    source.addEventListener(type, (event) => handle(JSON.parse(event.data)));
  on("snapshot", (snapshot) => view.load(snapshot));
  on("steps", (data) => view.steps(data));
  on("epoch", (epoch) => {
    view.epoch(epoch);
    onEpoch?.(epoch);
  });
  on("evaluation", (e) => view.evaluation(e));
  on("warning", (w) => view.warning(w));
  on("state", ({ state, progress, run, slow }) => {
    if (run) view.run = run;
    view.setState(state, progress, slow);
  });
  on("stepped", (step) => view.stepped(step));
  on("stepGrid", (grid) => view.stepGrid(grid));
  return source;
}

/**
 * Sends a control message (`{ action: "pause" }`, …) for the server's run, with the server's
 * token when it has one (a server beyond loopback).
 */
export async function controlServer(message, token) {
  const headers = { "content-type": "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch("/api/control", {
    method: "POST",
    headers,
    body: JSON.stringify(message),
  });
  const answer = await response.json().catch(() => ({ error: response.statusText }));
  if (!response.ok) throw new Error(answer.error ?? `HTTP ${response.status}`);
  return answer.state;
}
