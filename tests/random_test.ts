import { deepEqual, equal, notDeepEqual, ok } from "node:assert/strict";
import { Random } from "../src/random.ts";

Deno.test("Random gives the same sequence for the same seed and another for another seed", () => {
  const a = new Random(7), b = new Random(7), c = new Random(8);
  const seqA = Array.from({ length: 20 }, () => a.uint32());
  const seqB = Array.from({ length: 20 }, () => b.uint32());
  const seqC = Array.from({ length: 20 }, () => c.uint32());
  deepEqual(seqA, seqB);
  notDeepEqual(seqA, seqC);
  ok(seqA.every((x) => Number.isInteger(x) && x >= 0 && x < 2 ** 32));
});

Deno.test("Random.fromState continues exactly where the generator was", () => {
  const a = new Random(123);
  for (let i = 0; i < 57; i++) a.uint32();
  const b = Random.fromState(a.state);
  deepEqual(
    Array.from({ length: 10 }, () => b.uniform()),
    Array.from({ length: 10 }, () => a.uniform()),
  );
});

Deno.test("Random.uniform is uniform on [0, 1) and int covers its range evenly", () => {
  const r = new Random(1);
  const n = 200_000;
  let sum = 0;
  const counts = new Array(10).fill(0);
  for (let i = 0; i < n; i++) {
    const u = r.uniform();
    ok(u >= 0 && u < 1);
    sum += u;
    counts[r.int(10)]++;
  }
  ok(Math.abs(sum / n - 0.5) < 0.005, `mean ${sum / n}`);
  for (const c of counts) ok(Math.abs(c / n - 0.1) < 0.005, `bucket share ${c / n}`);
});

Deno.test("Random.fillNormal has mean 0, variance 1 and normal tails", () => {
  const x = new Random(2).fillNormal(new Float32Array(200_001));
  const n = x.length;
  const mean = x.reduce((a, b) => a + b, 0) / n;
  const variance = x.reduce((a, b) => a + (b - mean) ** 2, 0) / n;
  const beyond2 = x.filter((v) => Math.abs(v) > 2).length / n;
  ok(Math.abs(mean) < 0.01, `mean ${mean}`);
  ok(Math.abs(variance - 1) < 0.02, `variance ${variance}`);
  // P(|Z| > 2) = 0.0455 for a standard normal.
  ok(Math.abs(beyond2 - 0.0455) < 0.003, `tail ${beyond2}`);
  ok(x.every(Number.isFinite));
});

Deno.test("Random.shuffle returns a permutation and depends on the seed", () => {
  const a = new Random(5).shuffle(Array.from({ length: 100 }, (_, i) => i));
  const b = new Random(6).shuffle(Array.from({ length: 100 }, (_, i) => i));
  deepEqual([...a].sort((x, y) => x - y), Array.from({ length: 100 }, (_, i) => i));
  notDeepEqual(a, b);
  equal(new Random(5).shuffle([1]).length, 1);
});
