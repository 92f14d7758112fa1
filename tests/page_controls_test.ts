/**
 * The web page's form controls as written in its HTML: every number or range input's starting
 * value must lie within its own `min`/`max` and on its `step` grid (the browser refuses to submit a
 * form otherwise, as it once did with "digits" at 10000 on a step of 256), and every select must
 * start on one of its options. The browser test checks the same in Chromium (including the
 * sliders the script makes); this one runs everywhere, without a browser.
 *
 * @module
 */

import { deepEqual, equal, ok } from "node:assert/strict";
import { PRESETS } from "../src/models/presets.ts";

const html = await Deno.readTextFile(new URL("../src/serve/static/index.html", import.meta.url));
const trainer = await Deno.readTextFile(new URL("../src/serve/static/trainer.js", import.meta.url));

/** The attributes of every `<tag …>` of the page. */
function tags(name: string, text = html): Record<string, string>[] {
  return [...text.matchAll(new RegExp(`<${name}\\b([^>]*)>`, "g"))].map(([, body]) =>
    Object.fromEntries(
      [...body.matchAll(/([\w-]+)(?:="([^"]*)")?/g)].map(([, key, value]) => [key, value ?? ""]),
    )
  );
}

/** Why a number input's starting value would be refused, following HTML's rules; null if fine. */
function numberFault(input: Record<string, string>): string | null {
  const value = Number(input.value ?? "");
  if (input.value === undefined || input.value === "" || !Number.isFinite(value)) {
    return "no numeric value";
  }
  const min = input.min === undefined ? undefined : Number(input.min);
  const max = input.max === undefined ? undefined : Number(input.max);
  if (min !== undefined && value < min) return `value ${value} < min ${min}`;
  if (max !== undefined && value > max) return `value ${value} > max ${max}`;
  if (input.step === "any") return null;
  // The default step is 1; the step base is min where given (else the value itself).
  const step = input.step === undefined ? 1 : Number(input.step);
  if (!(step > 0)) return `step "${input.step}" is not a positive number`;
  const base = min ?? value;
  const steps = (value - base) / step;
  if (Math.abs(steps - Math.round(steps)) > 1e-9) {
    return `value ${value} is not on the step grid ${base} + k·${step}`;
  }
  return null;
}

Deno.test("numberFault finds what the browser would refuse", () => {
  equal(
    numberFault({ min: "256", max: "60000", step: "256", value: "10000" }),
    "value 10000 is not on the step grid 256 + k·256",
  );
  equal(numberFault({ min: "1", max: "100", value: "0" }), "value 0 < min 1");
  equal(numberFault({ min: "1", max: "100", value: "101" }), "value 101 > max 100");
  equal(numberFault({ min: "0", value: "0.5" }), "value 0.5 is not on the step grid 0 + k·1");
  equal(numberFault({ min: "-3", max: "3", step: "0.05", value: "0.35" }), null);
  equal(numberFault({ min: "256", max: "60000", value: "10000" }), null);
  equal(numberFault({ min: "0" }), "no numeric value");
});

Deno.test("every number input of the page starts on a value its own min, max and step allow", () => {
  const inputs = tags("input").filter((input) => input.type === "number" || input.type === "range");
  ok(inputs.length >= 3, `only ${inputs.length} number inputs found`);
  deepEqual(
    inputs.map((input) => [input.name ?? input.id, numberFault(input)]).filter(([, f]) => f),
    [],
  );
});

Deno.test("the sliders the explorer makes start at 0, on their own step grid", async () => {
  const explorer = await Deno.readTextFile(
    new URL("../src/serve/static/explorer.js", import.meta.url),
  );
  const made = explorer.match(/type: "range", min: "([^"]+)", max: "([^"]+)", step: "([^"]+)"/);
  if (!made) throw new Error("the explorer's range inputs were not found");
  equal(numberFault({ min: made[1], max: made[2], step: made[3], value: "0" }), null);
});

Deno.test("every select starts on one of its options, each a preset the library has", () => {
  const selects = [...html.matchAll(/<select\b[^>]*>([\s\S]*?)<\/select>/g)];
  ok(selects.length >= 2);
  for (const [, body] of selects) {
    const options = tags("option", body);
    ok(options.length > 0);
    ok(options.filter((o) => "selected" in o).length <= 1, "more than one option selected");
  }
  const presetSelect = html.match(/<select name="preset">([\s\S]*?)<\/select>/);
  if (!presetSelect) throw new Error("the preset select was not found");
  for (const option of tags("option", presetSelect[1])) {
    ok(option.value in PRESETS, `preset option "${option.value}" is not a preset`);
  }
});

Deno.test("the tab trainer clamps the form's numbers to the same bounds as the inputs", () => {
  for (const name of ["epochs", "images"]) {
    const input = tags("input").find((i) => i.name === name)!;
    const clamp = trainer.match(
      new RegExp(`Math\\.max\\((\\d+), Math\\.min\\((\\d+), Number\\(form\\.get\\("${name}"\\)\\)`),
    );
    if (!clamp) throw new Error(`trainer.js does not clamp ${name}`);
    deepEqual([clamp[1], clamp[2]], [input.min, input.max], name);
  }
});
