import { equal, ok } from "std/assert";
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

Deno.test("HealthMonitor reports mode collapse when coverage drops or is low", () => {
  const at = { epoch: 3, globalStep: 2811 };
  const health = new HealthMonitor();
  equal(health.evaluation({ coverage: 10, fid: 40 }, at), undefined);
  equal(health.evaluation({ coverage: 9, fid: 38 }, at), undefined);
  const w = health.evaluation({ coverage: 7, fid: 60 }, at);
  equal(w?.kind, "mode-collapse");
  ok(w!.message.includes("7 classes") && w!.message.includes("best so far 10"));
  equal(health.evaluation({ coverage: 6, fid: 70 }, at), undefined); // said once
  equal(health.evaluation({ coverage: 9, fid: 50 }, at), undefined); // not recovered yet
  equal(health.evaluation({ coverage: 7, fid: 60 }, at), undefined); // so not said again
  equal(health.evaluation({ coverage: 10, fid: 30 }, at), undefined); // cleared
  equal(health.evaluation({ coverage: 8, fid: 30 }, at)?.kind, "mode-collapse"); // 2 below best
  // Low coverage early in training, before it was ever high, is not collapse...
  const early = new HealthMonitor();
  equal(early.evaluation({ coverage: 2, fid: 600 }, at), undefined);
  equal(early.evaluation({ coverage: 3, fid: 500 }, at), undefined);
  // ...but falling below 8 after reaching it is, even by one class.
  equal(early.evaluation({ coverage: 8, fid: 90 }, at), undefined);
  equal(early.evaluation({ coverage: 7, fid: 95 }, at)?.kind, "mode-collapse");
  equal(new HealthMonitor().evaluation({ coverage: 10, fid: NaN }, at)?.kind, "non-finite");
});
