/**
 * The messages of `POST /api/control`, read and checked: each refusal is a 400 that says what a
 * message may hold.
 *
 * ```
 * {"action": "pause" | "resume" | "stop"}
 * {"action": "step", "part": "discriminator" | "generator" | "both"}
 * {"action": "slow", "part": "discriminator" | "generator" | "both", "rate": 0.1 … 10}
 * ```
 *
 * @module
 */

import { HttpError } from "./http.ts";
import { SLOW_RATES, STEP_PARTS, type StepPart } from "./step_gate.ts";

/** A control message: pause, resume, stop, one step, or slow motion. */
export type ControlMessage =
  | { action: "pause" | "resume" | "stop" }
  | { action: "step"; part: StepPart }
  | { action: "slow"; part: StepPart; rate: number };

/** The actions, and the fields each takes besides `action`. */
const FIELDS: Readonly<Record<ControlMessage["action"], readonly string[]>> = {
  pause: [],
  resume: [],
  stop: [],
  step: ["part"],
  slow: ["part", "rate"],
};

const quoted = (names: readonly string[]): string => {
  const q = names.map((name) => `"${name}"`);
  return `${q.slice(0, -1).join(", ")} or ${q.at(-1)}`;
};

/** A value as a message quotes it back (short). */
const shown = (value: unknown): string => JSON.stringify(value)?.slice(0, 40) ?? String(value);

/**
 * Reads a control message from a request body.
 *
 * @param body The body's bytes.
 * @returns The message.
 * @throws {HttpError} 400 for a body that is not JSON, not an object, or not a control message:
 * an unknown action, a missing or unknown part, a rate out of range, a field the action does not
 * take.
 *
 * @example
 * ```ts
 * import { parseControlMessage } from "./control_message.ts";
 *
 * const body = new TextEncoder().encode('{"action": "step", "part": "discriminator"}');
 * console.log(parseControlMessage(body)); // { action: "step", part: "discriminator" }
 * ```
 */
export function parseControlMessage(body: Uint8Array): ControlMessage {
  let message: unknown;
  try {
    message = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(body));
  } catch {
    throw new HttpError(400, "the body is not JSON");
  }
  if (typeof message !== "object" || message === null || Array.isArray(message)) {
    throw new HttpError(400, `the body must be a JSON object such as {"action": "pause"}`);
  }
  const fields = message as Record<string, unknown>;
  const action = fields.action as ControlMessage["action"];
  if (typeof action !== "string" || !Object.hasOwn(FIELDS, action)) {
    throw new HttpError(
      400,
      `"action" must be ${quoted(Object.keys(FIELDS))}, got ${shown(fields.action)}`,
    );
  }
  const extra = Object.keys(fields).find((k) => k !== "action" && !FIELDS[action].includes(k));
  if (extra !== undefined) throw new HttpError(400, `"${action}" takes no "${extra}"`);
  if (action !== "step" && action !== "slow") return { action };
  const part = fields.part as StepPart;
  if (!STEP_PARTS.includes(part)) {
    throw new HttpError(
      400,
      `"${action}" needs "part": ${quoted(STEP_PARTS)}, got ${shown(fields.part)}`,
    );
  }
  if (action === "step") return { action, part };
  const rate = fields.rate;
  if (typeof rate !== "number" || !(rate >= SLOW_RATES.min && rate <= SLOW_RATES.max)) {
    throw new HttpError(
      400,
      `"slow" needs "rate": steps per second from ${SLOW_RATES.min} to ${SLOW_RATES.max}, ` +
        `got ${shown(rate)}`,
    );
  }
  return { action, part, rate };
}
