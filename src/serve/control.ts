/**
 * `POST /api/control`: pause, resume or stop the live run, or step it (one step of D only, G
 * only or both, or slow motion). Only a page of the server's own origin may send it, as
 * `application/json`, at most {@linkcode MAX_BODY_BYTES} bytes, and, when the server listens
 * beyond loopback, with its token (`Authorization: Bearer TOKEN`, `token.ts`):
 *
 * ```
 * POST /api/control   {"action": "pause" | "resume" | "stop"}          →   {"state": "paused"}
 *                     {"action": "step", "part": "discriminator"}      →   {"state": "paused"}
 *                     {"action": "slow", "part": "both", "rate": 2}    →   {"state": "slow"}
 * ```
 *
 * The messages are checked by `control_message.ts`. A refusal is JSON too:
 * `{"error": "wrong token: …", "status": 403}`.
 *
 * @module
 */

import { type ControlMessage, parseControlMessage } from "./control_message.ts";
import { HttpError, json, jsonError } from "./http.ts";
import type { LiveState, LiveTraining } from "./live.ts";
import { readBody } from "./request_checks.ts";
import { MAX_QUEUED_STEPS } from "./step_gate.ts";
import { checkToken } from "./token.ts";

/** The largest request body accepted (413 beyond); control messages are tiny. */
export const MAX_BODY_BYTES = 1024;

/** Refuses a message from another origin, without the token (if any), or not sent as JSON. */
function checkSender(request: Request, url: URL, token: string | null): void {
  const origin = request.headers.get("origin");
  if (origin !== null && origin !== url.origin) {
    throw new HttpError(403, `a page of ${origin} may not control this run`);
  }
  checkToken(request, token);
  const type = request.headers.get("content-type") ?? "";
  if (!/^application\/json\s*(;|$)/i.test(type)) {
    throw new HttpError(415, "send the control message as application/json");
  }
}

/** Refuses a step or slow motion that the run cannot take now (409). */
function checkStepping(live: LiveTraining, message: ControlMessage): void {
  if (message.action !== "step" && message.action !== "slow") return;
  if (!live.steppable) {
    throw new HttpError(
      409,
      "this run cannot be stepped: its training loop was not given the hub's nextStep",
    );
  }
  const state = live.state;
  if (message.action === "step" && state !== "paused" && state !== "slow") {
    throw new HttpError(409, `pause the run before stepping it (it is ${state})`);
  }
  if (message.action === "slow" && state !== "running" && state !== "paused" && state !== "slow") {
    throw new HttpError(409, `slow motion needs a running or paused run (it is ${state})`);
  }
  if (message.action === "step" && live.queuedSteps >= MAX_QUEUED_STEPS) {
    throw new HttpError(409, `${MAX_QUEUED_STEPS} steps are waiting already`);
  }
}

/** Applies a checked message to the live run. */
function act(live: LiveTraining, message: ControlMessage): LiveState {
  switch (message.action) {
    case "pause":
      return live.pause();
    case "resume":
      return live.resume();
    case "stop":
      return live.stop();
    case "step":
      return live.stepOnce(message.part);
    case "slow":
      return live.slowMotion({ part: message.part, rate: message.rate });
  }
}

/**
 * The handler of `POST /api/control`: checks the message, then applies it to the live run.
 *
 * @param request The request.
 * @param url Its URL (its origin is the one allowed).
 * @param live The live run; none if absent.
 * @param token The token control needs (a server beyond loopback); null for none.
 * @returns `{"state": …}`, the run's state after the action; or, refused, `{"error", "status"}`
 * with 403 for another origin or a missing or wrong token, 415 for another content type, 413 for
 * a large body, 400 for a body that is not a control message, 404 without a live run, 409 for a
 * run that another process writes, or a step that the run cannot take now (not paused, not
 * steppable, too many waiting).
 *
 * @example
 * ```ts
 * import { control } from "./control.ts";
 * import { LiveTraining } from "./live.ts";
 *
 * const request = new Request("http://127.0.0.1:8000/api/control", {
 *   method: "POST",
 *   headers: { "content-type": "application/json" },
 *   body: '{"action": "pause"}',
 * });
 * const live = new LiveTraining();
 * console.log(await (await control(request, new URL(request.url), live, null)).json());
 * ```
 */
export async function control(
  request: Request,
  url: URL,
  live: LiveTraining | undefined,
  token: string | null,
): Promise<Response> {
  try {
    return await apply(request, url, live, token);
  } catch (error) {
    if (error instanceof HttpError) return jsonError(error);
    throw error;
  }
}

/** Checks the message and applies it. */
async function apply(
  request: Request,
  url: URL,
  live: LiveTraining | undefined,
  token: string | null,
): Promise<Response> {
  checkSender(request, url, token);
  const message = parseControlMessage(await readBody(request, MAX_BODY_BYTES));
  if (!live) throw new HttpError(404, "no live run here");
  if (!live.controllable) {
    throw new HttpError(409, "this run is written by another process: stop it there");
  }
  checkStepping(live, message);
  return json({ state: act(live, message) });
}
