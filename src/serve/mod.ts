/**
 * @gan/mnist/serve: the web interface (what `cli.ts serve` runs): `startServer` serves the page,
 * a live view of a run fed by a `LiveTraining` hub (pause, resume, stop, steps of D or G one at a
 * time and slow motion), an explorer that runs a
 * generator in the browser, and training in the browser tab.
 *
 * ```ts
 * import { startServer } from "@gan/mnist/serve";
 *
 * const server = await startServer({ root: "runs/demo", model: "generator/model.json" });
 * console.log(`open ${server.url}`); // http://127.0.0.1:8000/
 * await server.finished;
 * ```
 *
 * Everything here is also exported by `@gan/mnist`.
 *
 * @module
 */

export {
  type LiveEpoch,
  type LiveEvent,
  type LiveHooks,
  type LivePoint,
  type LiveProgress,
  type LiveRunInfo,
  type LiveSnapshot,
  type LiveState,
  type LiveStepGrid,
  type LiveSteppedStep,
  LiveTraining,
  type LiveTrainingOptions,
} from "./live.ts";
export type { SlowMotion, StepPart } from "./step_gate.ts";
export { type GanServer, type ServeOptions, startServer } from "./server.ts";
export type { EpochInfo, StepInfo } from "../train/options.ts";
export type { RunEvaluation } from "../train/run/options.ts";
export type { HealthWarning } from "../train/health.ts";
