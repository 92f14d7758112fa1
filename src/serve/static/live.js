// The live training view: loss curves, D(x) and D(G(z)), the fixed-noise grid per epoch, quality
// metrics, progress and ETA, pause / resume / stop. Fed by the server's event stream (a run in
// `train --serve` or a run directory being written) or by training in this tab.

import { drawChart, legend, PointStore } from "./chart.js";
import { drawGrid } from "./images.js";

const LOSSES = [{ key: "lossD", label: "loss D" }, { key: "lossG", label: "loss G" }];
const OUTPUTS = [{ key: "dReal", label: "D(x)" }, { key: "dFake", label: "D(G(z))" }];
const FID = [{ key: "fid", label: "FID", colour: "#9333ea" }];

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
    for (const button of host.querySelectorAll("[data-action]")) {
      button.addEventListener("click", () => onControl?.({ action: button.dataset.action }));
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
    this.store.reset(snapshot.points ?? [], snapshot.stride ?? 1);
    this.evaluations = [];
    this.el("warnings").replaceChildren();
    this.el("quality").hidden = true;
    for (const epoch of snapshot.epochs ?? []) this.epoch(epoch);
    for (const evaluation of snapshot.evaluations ?? []) this.evaluation(evaluation);
    for (const warning of snapshot.warnings ?? []) this.warning(warning);
    this.setState(snapshot.state ?? "waiting", snapshot.progress ?? null);
    this.redraw();
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

  setState(state, progress) {
    this.stateName = state;
    this.host.dataset.state = state;
    const label = this.el("state");
    label.textContent = state;
    label.className = `state ${state}`;
    const controls = this.el("controls");
    controls.hidden = !this.controllable;
    const active = state === "running" || state === "paused";
    controls.querySelector('[data-action="pause"]').hidden = state === "paused";
    controls.querySelector('[data-action="pause"]').disabled = state !== "running";
    controls.querySelector('[data-action="resume"]').hidden = state !== "paused";
    controls.querySelector('[data-action="stop"]').disabled = !active;
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
  on("state", ({ state, progress, run }) => {
    if (run) view.run = run;
    view.setState(state, progress);
  });
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
