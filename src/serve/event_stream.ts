/**
 * `GET /api/events`: the live run as Server-Sent Events, a snapshot first and then each update,
 * with a comment line every 15 s. The open streams are kept so that shutting the server down can
 * close them (an open stream would keep it waiting).
 *
 * ```
 * event: snapshot
 * data: {"run":{…},"state":"running",…}
 *
 * event: steps
 * data: {"points":[…],"progress":{…}}
 *
 * : keep-alive
 * ```
 *
 * @module
 */

import { HttpError, respond } from "./http.ts";
import type { LiveEvent, LiveTraining } from "./live.ts";

/** How often a comment line is sent, in milliseconds. */
const KEEP_ALIVE_MS = 15_000;

/**
 * The event streams of one server: opens them, and closes all of them at shutdown.
 *
 * @example
 * ```ts
 * import { EventStreams } from "./event_stream.ts";
 * import { LiveTraining } from "./live.ts";
 *
 * const streams = new EventStreams();
 * const response = streams.open(new LiveTraining());
 * console.log(response.headers.get("content-type")); // text/event-stream; charset=utf-8
 * streams.closeAll();
 * ```
 */
export class EventStreams {
  readonly #open = new Set<() => void>();

  /**
   * The handler of `/api/events`: a stream of the live run's events.
   *
   * @param live The live run; none if absent.
   * @returns The event stream.
   * @throws {HttpError} 404 when there is no live run.
   */
  open(live: LiveTraining | undefined): Response {
    if (!live) throw new HttpError(404, "no live run here");
    return respond(this.#stream(live), 200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
    });
  }

  /** Closes every open stream. */
  closeAll(): void {
    for (const close of [...this.#open]) close();
  }

  #stream(live: LiveTraining): ReadableStream<Uint8Array> {
    const open = this.#open;
    const encoder = new TextEncoder();
    let close = () => {};
    return new ReadableStream<Uint8Array>({
      start(controller) {
        // Made inside the try: an event that cannot be written closes the stream, as a gone
        // reader does.
        const enqueue = (text: () => string) => {
          try {
            controller.enqueue(encoder.encode(text()));
          } catch {
            close();
          }
        };
        const send = (event: LiveEvent) =>
          enqueue(() => `event: ${event.type}\ndata: ${JSON.stringify(event.data)}\n\n`);
        send({ type: "snapshot", data: live.snapshot() });
        const unsubscribe = live.subscribe(send);
        // A comment line now and then keeps proxies and idle timeouts from closing the stream.
        const keepAlive = setInterval(() => enqueue(() => ": keep-alive\n\n"), KEEP_ALIVE_MS);
        close = () => {
          unsubscribe();
          clearInterval(keepAlive);
          open.delete(close);
          try {
            controller.close();
          } catch {
            // already closed
          }
        };
        open.add(close);
      },
      cancel() {
        close();
      },
    });
  }
}
