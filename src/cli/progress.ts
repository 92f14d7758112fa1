/**
 * Training progress for people: on a terminal, one line redrawn in place with a bar, the ETA and
 * smoothed losses; otherwise (a log file, CI) one plain line per epoch.
 *
 * @module
 */

import type { HealthWarning } from "../train/health.ts";
import type { RunEvaluation } from "../train/run/options.ts";
import type { EpochInfo, StepInfo } from "../train/options.ts";

/**
 * Formats seconds as `1h02m`, `3m07s` or `42s`.
 *
 * @param seconds A duration.
 * @returns A short human duration.
 */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const s = Math.round(seconds);
  if (s >= 3600) {
    return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
  }
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${s}s`;
}

/**
 * The per-epoch log line, in the style of PyTorch's DCGAN example.
 *
 * @param info The epoch's means.
 * @returns e.g. `[3/50] loss_d 0.812 loss_g 1.931 D(x) 0.71 D(G(z)) 0.29 38.2s 40.8 ms/step`.
 */
export function epochLine(info: EpochInfo): string {
  return `[${info.epoch}/${info.epochs}][${info.steps}/${info.steps}] ` +
    `loss_d ${info.lossD.toFixed(3)} loss_g ${info.lossG.toFixed(3)} ` +
    `D(x) ${info.dReal.toFixed(2)} D(G(z)) ${info.dFake.toFixed(2)} ` +
    `${info.seconds.toFixed(1)}s ${(1000 * info.seconds / info.steps).toFixed(1)} ms/step`;
}

/** Writes training progress to a terminal or a log. */
export class Progress {
  #tty: boolean;
  #encoder = new TextEncoder();
  #lastDraw = 0;
  #started = performance.now();
  #smooth: { lossD: number; lossG: number; dReal: number; dFake: number } | undefined;
  #msPerStep: number | undefined;
  #fid: number | undefined;
  #warning: string | undefined;

  /**
   * @param tty Draw a live line (on stderr) rather than plain lines.
   */
  constructor(tty: boolean = Deno.stderr.isTerminal()) {
    this.#tty = tty;
  }

  /**
   * Records a step; on a terminal, redraws the line at most ten times a second.
   *
   * @param info The step.
   */
  step(info: StepInfo): void {
    const a = 0.05;
    const s = this.#smooth;
    this.#smooth = s
      ? {
        lossD: s.lossD + a * (info.lossD - s.lossD),
        lossG: s.lossG + a * (info.lossG - s.lossG),
        dReal: s.dReal + a * (info.dReal - s.dReal),
        dFake: s.dFake + a * (info.dFake - s.dFake),
      }
      : { lossD: info.lossD, lossG: info.lossG, dReal: info.dReal, dFake: info.dFake };
    this.#msPerStep = this.#msPerStep === undefined
      ? info.ms
      : this.#msPerStep + a * (info.ms - this.#msPerStep);
    const now = performance.now();
    if (!this.#tty || now - this.#lastDraw < 100) return;
    this.#lastDraw = now;
    const total = info.epochs * info.stepsPerEpoch;
    const fraction = info.globalStep / total;
    const elapsed = (now - this.#started) / 1000;
    const eta = (total - info.globalStep) * (this.#msPerStep / 1000);
    const columns = consoleColumns();
    const width = columns >= 120 ? 20 : 10;
    const filled = Math.round(fraction * width);
    const bar = "█".repeat(filled) + "░".repeat(width - filled);
    const m = this.#smooth!;
    let line = `[${info.epoch}/${info.epochs}][${info.step}/${info.stepsPerEpoch}] ${bar} ` +
      `${(100 * fraction).toFixed(0)}% ${formatDuration(elapsed)} ETA ${formatDuration(eta)} ` +
      `loss_d ${m.lossD.toFixed(3)} loss_g ${m.lossG.toFixed(3)} ` +
      `D(x) ${m.dReal.toFixed(2)} D(G(z)) ${m.dFake.toFixed(2)}` +
      (this.#fid !== undefined ? ` FID ${this.#fid.toFixed(1)}` : "") +
      (this.#warning ? ` ⚠ ${this.#warning}` : "");
    if (line.length > columns - 1) line = line.slice(0, columns - 1);
    Deno.stderr.writeSync(this.#encoder.encode(`\r\x1b[2K${line}`));
  }

  /**
   * Prints the epoch's line (and clears the live line first on a terminal).
   *
   * @param info The epoch.
   */
  epoch(info: EpochInfo): void {
    this.message(epochLine(info));
  }

  /**
   * Prints an evaluation's line and keeps its FID on the live line.
   *
   * @param e The evaluation.
   */
  evaluation(e: RunEvaluation): void {
    this.#fid = e.fid;
    this.message(
      `[${e.epoch}] eval: FID ${e.fid.toFixed(2)}${
        e.fidFloor === undefined ? "" : ` (floor ${e.fidFloor.toFixed(2)})`
      }${e.kid === undefined ? "" : ` KID ${e.kid.toFixed(4)}`} IS ${
        e.is.toFixed(2)
      } coverage ${e.coverage}/10 ` +
        (Number.isNaN(e.precision)
          ? ""
          : `precision ${e.precision.toFixed(2)} recall ${e.recall.toFixed(2)} `) +
        `confidence ${e.confidence.toFixed(2)}`,
    );
  }

  /**
   * Prints a health warning and keeps its kind on the live line.
   *
   * @param w The warning.
   */
  warning(w: HealthWarning): void {
    this.#warning = w.kind;
    this.message(`warning: [${w.epoch}] ${w.message}`);
  }

  /**
   * Prints a line of its own, keeping the live line intact below it.
   *
   * @param line The text.
   */
  message(line: string): void {
    if (this.#tty) Deno.stderr.writeSync(this.#encoder.encode("\r\x1b[2K"));
    console.log(line);
  }

  /** Clears the live line. */
  done(): void {
    if (this.#tty) Deno.stderr.writeSync(this.#encoder.encode("\r\x1b[2K"));
  }
}

function consoleColumns(): number {
  try {
    return Deno.consoleSize().columns;
  } catch {
    return 120;
  }
}
