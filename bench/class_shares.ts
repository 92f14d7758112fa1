/**
 * How much of a generator's FID its class shares alone explain: writes N real MNIST training
 * digits whose classes follow the shares given (percent for the digits 0 to 9, as `eval` prints
 * them), for `cli.ts eval FILE` to score. Real digits in their own proportions score about 0.2.
 *
 *   deno run --allow-read --allow-write bench/class_shares.ts \
 *     13.0,8.2,7.5,9.7,6.0,9.2,9.4,13.5,9.2,14.2 skewed.idx
 *   deno task cli eval skewed.idx
 *
 * @module
 */

import { loadMnist } from "../src/data/mnist.ts";
import { imagesToIdx, pickImages, shuffleImages } from "../src/data/images.ts";
import { writeIdx } from "../src/data/idx_file.ts";

const [sharesArg, out, nArg = "10000"] = Deno.args;
const shares = sharesArg?.split(",").map(Number) ?? [];
const n = Number(nArg);
if (shares.length !== 10 || shares.some((s) => !(s >= 0)) || !out || !(n > 0)) {
  console.error("usage: class_shares.ts S0,S1,…,S9 OUT.idx [N=10000]  (shares in percent)");
  Deno.exit(2);
}
const total = shares.reduce((a, b) => a + b, 0);
// The training digits in a fixed random order, taken class by class from the front.
const digits = shuffleImages(await loadMnist({ split: "train" }), 1);
const picked: number[] = [];
for (let d = 0; d < 10; d++) {
  const want = Math.round((n * shares[d]) / total);
  const of = [...digits.labels!.keys()].filter((i) => digits.labels![i] === d).slice(0, want);
  if (of.length < want) throw new Error(`only ${of.length} training digits ${d}, ${want} asked`);
  picked.push(...of);
}
await writeIdx(out, imagesToIdx(pickImages(digits, picked)));
console.log(`wrote ${picked.length} real digits in the shares given to ${out}`);
