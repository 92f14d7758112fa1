import { equal, ok } from "node:assert/strict";
import { HealthMonitor, type HealthWarning } from "../src/train/health.ts";

/** Feeds `steps` steps with the given losses; returns the warnings raised. */
function feed(
  health: HealthMonitor,
  steps: number,
  losses: (i: number) => [number, number],
  from = 0,
): HealthWarning[] {
  const warnings: HealthWarning[] = [];
  for (let i = from; i < from + steps; i++) {
    const [lossD, lossG] = losses(i);
    const w = health.step({ epoch: 1, globalStep: i + 1, lossD, lossG });
    if (w) warnings.push(w);
  }
  return warnings;
}

Deno.test("HealthMonitor stays quiet on a balanced run", () => {
  const health = new HealthMonitor();
  const noisy = (i: number): [number, number] => [1.2 + 0.1 * Math.sin(i), 0.9 + 0.1 * Math.cos(i)];
  equal(feed(health, 5000, noisy).length, 0);
  for (const coverage of [6, 9, 10, 10, 9]) {
    equal(
      health.evaluation({ coverage: Math.max(coverage, 8), fid: 50 }, { epoch: 1, globalStep: 1 }),
      undefined,
    );
  }
});

Deno.test("HealthMonitor reports a non-finite loss at once, as fatal, once", () => {
  const health = new HealthMonitor();
  const warnings = feed(health, 20, (i) => [i >= 10 ? NaN : 1, i >= 12 ? Infinity : 1]);
  equal(warnings.length, 1);
  equal(warnings[0].kind, "non-finite");
  equal(warnings[0].globalStep, 11);
  ok(warnings[0].fatal);
  ok(warnings[0].message.includes("step 11"));
  const weights = new HealthMonitor().weights([[1, 2], [3, NaN]], { epoch: 2, globalStep: 40 });
  equal(weights?.kind, "non-finite");
  equal(new HealthMonitor().weights([[1, 2]], { epoch: 2, globalStep: 40 }), undefined);
});

Deno.test("HealthMonitor reports discriminator collapse only when it lasts, and again after it clears", () => {
  const health = new HealthMonitor({ blockSteps: 100, blocks: 5 });
  const won = (i: number): [number, number] => [0.02, 5 + i / 100];
  // 400 collapsed steps: not yet sustained.
  equal(feed(health, 400, won).length, 0);
  const warnings = feed(health, 600, won, 400);
  equal(warnings.length, 1);
  equal(warnings[0].kind, "discriminator-collapse");
  equal(warnings[0].globalStep, 500);
  ok(!warnings[0].fatal);
  // While D keeps winning, a pause in G's growth does not make the warning repeat.
  const stays = new HealthMonitor();
  equal(feed(stays, 500, won).length, 1);
  equal(feed(stays, 500, (i) => [0.02, 20 - i / 100], 500).length, 0);
  equal(feed(stays, 1000, won, 1000).length, 0);
  // D wins but G's loss is flat: not the collapse this check is for.
  equal(feed(new HealthMonitor(), 2000, () => [0.02, 6]).length, 0);
  // After a healthy stretch the warning is armed again.
  equal(feed(health, 300, () => [1.2, 1]).length, 0);
  equal(feed(health, 600, won, 1300).length, 1);
});

Deno.test("HealthMonitor reports mode collapse when coverage stays well below its best", () => {
  const at = { epoch: 3, globalStep: 2811 };
  const coverages = (health: HealthMonitor, values: number[]) =>
    values.map((coverage) => health.evaluation({ coverage, fid: 50 }, at)?.kind ?? "-").join(" ");
  // The original recipe's run (seed 1): best 6, then down to 3 and 2 twice in a row.
  equal(
    coverages(new HealthMonitor(), [1, 6, 3, 4, 5, 4, 5, 4, 3, 2, 3, 3, 1, 1]),
    "- - - - - - - - - mode-collapse - - - -",
  );
  // lite's coverage swings by a class or two (one dip of three): no warning.
  equal(
    coverages(new HealthMonitor(), [2, 4, 7, 4, 6, 7, 6, 6, 8, 7, 7, 7, 6, 7, 8, 8, 6, 6, 9, 7]),
    Array(20).fill("-").join(" "),
  );
  // Healthy: no warning.
  equal(
    coverages(new HealthMonitor(), [6, 6, 6, 9, 8, 9, 10, 10, 10]),
    Array(9).fill("-").join(" "),
  );
  // After recovering to its best, a new collapse is warned again.
  const again = new HealthMonitor();
  equal(coverages(again, [10, 6, 5, 4, 10, 7, 7]), "- - mode-collapse - - - mode-collapse");
  const w = new HealthMonitor();
  w.evaluation({ coverage: 10, fid: 5 }, at);
  w.evaluation({ coverage: 3, fid: 80 }, at);
  const warning = w.evaluation({ coverage: 2, fid: 90 }, at);
  ok(warning!.message.includes("only 2 classes") && warning!.message.includes("best so far 10"));
  equal(new HealthMonitor().evaluation({ coverage: 10, fid: NaN }, at)?.kind, "non-finite");
});
