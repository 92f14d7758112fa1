import { equal } from "node:assert/strict";
import { VERSION } from "../src/version.ts";

Deno.test("VERSION matches deno.json's version", async () => {
  const config = JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url)));
  equal(VERSION, config.version);
});
