/**
 * The control token of a server beyond loopback: made from 24 random bytes, printed in the URL,
 * required (in constant time) on every control request there and refused with a JSON 403
 * without it or with another; nothing changes on loopback, and what only reads stays open.
 *
 * @module
 */

import { deepEqual, equal, match, notEqual, ok } from "node:assert/strict";
import { LiveTraining } from "../src/serve/live.ts";
import { createHandler, startServer } from "../src/serve/server.ts";
import { checkToken, newToken, sameToken, TOKEN_BYTES } from "../src/serve/token.ts";
import { HttpError } from "../src/serve/http.ts";
import { assertThrows } from "./helpers.ts";

/** A control request to `base`, with `authorization` if given. */
function controlRequest(base: string, authorization?: string, body = '{"action":"pause"}') {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (authorization !== undefined) headers.authorization = authorization;
  return new Request(`${base}api/control`, { method: "POST", headers, body });
}

Deno.test("newToken: 48 hex digits (192 random bits), a different one each time", () => {
  ok(TOKEN_BYTES * 8 >= 128);
  const tokens = Array.from({ length: 200 }, () => newToken());
  for (const token of tokens) match(token, /^[0-9a-f]{48}$/);
  equal(new Set(tokens).size, tokens.length);
  // Every hex digit turns up in every position's share: not a counter or a constant prefix.
  const firsts = new Set(tokens.map((t) => t[0]));
  ok(firsts.size >= 12, `first digits: ${[...firsts].join("")}`);
});

Deno.test("sameToken is string equality, for any lengths (empty ones too)", () => {
  const cases: [string, string][] = [
    ["abc", "abc"],
    ["abd", "abc"],
    ["ab", "abc"],
    ["abcd", "abc"],
    ["", "abc"],
    ["abc", ""],
    ["", ""],
    ["abcabc", "abc"],
    ["ä", "a"],
  ];
  for (const [given, expected] of cases) {
    equal(sameToken(given, expected), given === expected, `${given} vs ${expected}`);
  }
  const token = newToken();
  ok(sameToken(token, token));
  ok(!sameToken(token.slice(0, -1) + (token.endsWith("0") ? "1" : "0"), token));
});

Deno.test("checkToken wants Authorization: Bearer TOKEN, and passes everything without a token", () => {
  const token = newToken();
  const base = "http://0.0.0.0:8000/";
  checkToken(controlRequest(base, `Bearer ${token}`), token);
  checkToken(controlRequest(base, `bearer  ${token} `), token);
  checkToken(controlRequest(base), null);
  for (const header of [undefined, "", "Bearer", `Basic ${token}`, `Bearer ${token}x`, token]) {
    const error = assertThrows(() => checkToken(controlRequest(base, header), token), HttpError);
    equal(error.status, 403);
    match(error.message, header === undefined ? /needs its token/ : /wrong token/);
  }
});

Deno.test("beyond loopback, control needs the token; reading does not", async () => {
  const live = new LiveTraining();
  const { handler, token, closeStreams } = createHandler({ hostname: "0.0.0.0", port: 8000, live });
  try {
    if (token === null) throw new Error("no token beyond loopback");
    match(token, /^[0-9a-f]{48}$/);
    live.start({ preset: "tutorial", epochs: 1 });
    const base = "http://192.168.1.20:8000/";
    for (const header of [undefined, "Bearer wrong", `Bearer ${newToken()}`, token]) {
      const response = await handler(controlRequest(base, header));
      equal(response.status, 403, String(header));
      equal(response.headers.get("content-type"), "application/json; charset=utf-8");
      const answer = await response.json();
      equal(answer.status, 403);
      match(answer.error, header === undefined ? /needs its token/ : /wrong token/);
    }
    equal(live.state, "running");
    const accepted = await handler(controlRequest(base, `Bearer ${token}`));
    equal(accepted.status, 200);
    deepEqual(await accepted.json(), { state: "paused" });
    equal(live.state, "paused");
    // The token comes before the body is read: a bad body with a bad token is a 403.
    equal((await handler(controlRequest(base, "Bearer x", "{not json"))).status, 403);
    const bad = await handler(controlRequest(base, `Bearer ${token}`, "{not json"));
    deepEqual(await bad.json(), { error: "the body is not JSON", status: 400 });
    // Read-only routes stay open.
    const info = await (await handler(new Request(`${base}api/info`))).json();
    equal(info.token, true);
    equal(info.controllable, true);
    equal((await handler(new Request(base))).status, 200);
    const events = await handler(new Request(`${base}api/events`));
    equal(events.status, 200);
    await events.body?.cancel();
    // Another server has another token.
    notEqual(createHandler({ hostname: "0.0.0.0" }).token, token);
  } finally {
    closeStreams();
    live.close();
  }
});

Deno.test("on loopback nothing changes: no token, control as before", async () => {
  for (const hostname of ["127.0.0.1", "localhost", "::1", undefined]) {
    const live = new LiveTraining();
    const { handler, token } = createHandler({ hostname, port: 8000, live });
    equal(token, null, String(hostname));
    live.start({ preset: "tutorial", epochs: 1 });
    const response = await handler(controlRequest("http://127.0.0.1:8000/"));
    equal(response.status, 200);
    deepEqual(await response.json(), { state: "paused" });
    const info = await (await handler(new Request("http://127.0.0.1:8000/api/info"))).json();
    equal(info.token, false);
    live.close();
  }
});

Deno.test("startServer beyond loopback prints the token in its URL, and it works over the network", async () => {
  const live = new LiveTraining();
  const server = await startServer({ hostname: "0.0.0.0", port: 0, live });
  try {
    ok(server.token !== null);
    equal(server.url, `http://127.0.0.1:${server.port}/?token=${server.token}`);
    live.start({ preset: "tutorial", epochs: 1 });
    const base = `http://127.0.0.1:${server.port}/`;
    const refused = await fetch(controlRequest(base));
    equal(refused.status, 403);
    await refused.body?.cancel();
    const token = new URL(server.url).searchParams.get("token");
    const accepted = await fetch(controlRequest(base, `Bearer ${token}`, '{"action":"stop"}'));
    deepEqual(await accepted.json(), { state: "stopping" });
  } finally {
    await server.shutdown();
    live.close();
  }
  const local = await startServer({ port: 0 });
  try {
    equal(local.token, null);
    equal(local.url, `http://127.0.0.1:${local.port}/`);
  } finally {
    await local.shutdown();
  }
});

Deno.test("serve --host 0.0.0.0 prints the URL with its token and says what it is for", async () => {
  const cli = new URL("../cli.ts", import.meta.url).pathname;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "--allow-read", "--allow-net", cli, "serve", "--host", "0.0.0.0"]
      .concat(["--port", "0"]),
    stdout: "piped",
    stderr: "inherit",
    env: { NO_COLOR: "1" },
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  try {
    while (!/notice:.*\n/.test(text)) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
    }
    const url = text.match(/http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{48}/)?.[0];
    ok(url, text);
    match(text, /notice: listening on 0\.0\.0\.0: .*needs the token in the URL above/);
    const info = await (await fetch(new URL("/api/info", url))).json();
    equal(info.token, true);
  } finally {
    child.kill("SIGINT");
    await reader.cancel();
  }
  equal((await child.status).code, 0);
});
