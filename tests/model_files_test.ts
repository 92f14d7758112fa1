import { deepEqual, equal, match, ok } from "node:assert/strict";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { selectBackend } from "../src/backend/select.ts";
import { ModelFileError } from "../src/errors.ts";
import { findModelJson, loadModel, saveModel } from "../src/io/model_files.ts";
import { createDiscriminator, createGenerator } from "../src/models/create.ts";
import { assertRejects } from "./helpers.ts";

await selectBackend("wasm");

const predict = (model: tfl.LayersModel, latent: number) =>
  tf.tidy(() =>
    Array.from(
      (model.predict(tf.randomNormal([3, latent], 0, 1, "float32", 5)) as tf.Tensor).dataSync(),
    )
  );

async function savedLite(): Promise<{ dir: string; model: tfl.LayersModel }> {
  const dir = await Deno.makeTempDir();
  const model = createGenerator({ preset: "lite", seed: 1 });
  await saveModel(model, dir, { metadata: { ganMnist: { role: "generator" } } });
  return { dir, model };
}

Deno.test("saveModel then loadModel gives the same model: topology, weights, BatchNorm statistics, metadata", async () => {
  const { dir, model } = await savedLite();
  const loaded = await loadModel(dir);
  deepEqual(predict(loaded.model, 64), predict(model, 64));
  deepEqual(loaded.metadata, { ganMnist: { role: "generator" } });
  equal(loaded.model.countParams(), model.countParams());
  await Deno.remove(dir, { recursive: true });
});

Deno.test("the files are the standard tf.js layers format, loaded by stock tf.loadLayersModel over HTTP", async () => {
  const { dir, model } = await savedLite();
  const json = JSON.parse(await Deno.readTextFile(join(dir, "model.json")));
  equal(json.format, "layers-model");
  equal(json.modelTopology.class_name, "Sequential");
  equal(json.weightsManifest.length, 1);
  const [weightsFile] = json.weightsManifest[0].paths;
  match(weightsFile, /^weights-[0-9a-f]{8}\.bin$/);
  // Exactly what a browser does: fetch model.json, then the weights relative to it.
  const requested: string[] = [];
  const fetchFunc = async (url: string | URL | Request) => {
    const path = new URL(String(url)).pathname.replace(/^\/models\//, "");
    requested.push(path);
    return new Response(await Deno.readFile(join(dir, path)));
  };
  const stock = await tfl.loadLayersModel(
    tf.io.http("http://localhost/models/model.json", { fetchFunc }),
  );
  deepEqual(requested, ["model.json", weightsFile]);
  deepEqual(predict(stock, 64), predict(model, 64));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("saving again writes a new weights file, keeps the previous one a save longer, removes older ones", async () => {
  const { dir, model } = await savedLite();
  const bins = () =>
    [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.endsWith(".bin"));
  const [first] = bins();
  const rescale = () =>
    model.layers[0].setWeights(model.layers[0].getWeights().map((w) => tf.mul(w, 2)));
  rescale();
  await saveModel(model, dir);
  // The first model.json's weights stay: a reader that fetched it just before still finds them.
  const second = bins();
  equal(second.length, 2);
  ok(second.includes(first));
  rescale();
  await saveModel(model, dir);
  const third = bins();
  equal(third.length, 2);
  ok(!third.includes(first), "the weights two saves back are removed");
  ok(third.includes(second.find((n) => n !== first)!));
  deepEqual(predict((await loadModel(dir)).model, 64), predict(model, 64));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("loadModel finds model.json in a run directory's generator/ and discriminator/", async () => {
  const run = await Deno.makeTempDir();
  await saveModel(createGenerator({ preset: "tutorial", seed: 1 }), join(run, "generator"));
  await saveModel(createDiscriminator({ preset: "tutorial", seed: 1 }), join(run, "discriminator"));
  equal(await findModelJson(run), join(run, "generator", "model.json"));
  deepEqual((await loadModel(run)).model.inputs[0].shape, [null, 32]);
  deepEqual((await loadModel(run, "discriminator")).model.outputs[0].shape, [null, 1]);
  deepEqual((await loadModel(join(run, "generator", "model.json"))).model.outputs[0].shape, [
    null,
    28,
    28,
    1,
  ]);
  await Deno.remove(run, { recursive: true });
});

Deno.test("loadModel names the file and the fault for each kind of damage", async () => {
  const cases: [
    string,
    (dir: string, json: Record<string, unknown>, weights: string) => Promise<void>,
    RegExp,
  ][] = [
    [
      "missing model.json",
      (dir) => Deno.remove(join(dir, "model.json")),
      /no model\.json in it or in/,
    ],
    [
      "not JSON",
      (dir) => Deno.writeTextFile(join(dir, "model.json"), "{ not json"),
      /model\.json": not valid JSON/,
    ],
    ["truncated JSON", async (dir) => {
      const text = await Deno.readTextFile(join(dir, "model.json"));
      await Deno.writeTextFile(join(dir, "model.json"), text.slice(0, text.length / 2));
    }, /not valid JSON/],
    [
      "an array",
      (dir) => Deno.writeTextFile(join(dir, "model.json"), "[1, 2]"),
      /not a JSON object/,
    ],
    [
      "no topology",
      (dir, json) =>
        Deno.writeTextFile(
          join(dir, "model.json"),
          JSON.stringify({ ...json, modelTopology: undefined }),
        ),
      /modelTopology is missing/,
    ],
    [
      "graph model",
      (dir, json) =>
        Deno.writeTextFile(
          join(dir, "model.json"),
          JSON.stringify({ ...json, format: "graph-model" }),
        ),
      /format is "graph-model", expected "layers-model"/,
    ],
    [
      "no manifest",
      (dir, json) =>
        Deno.writeTextFile(
          join(dir, "model.json"),
          JSON.stringify({ ...json, weightsManifest: [] }),
        ),
      /weightsManifest is missing or empty/,
    ],
    ["path escape", (dir, json) => {
      const manifest = structuredClone(json.weightsManifest) as { paths: string[] }[];
      manifest[0].paths = ["../../etc/passwd"];
      return Deno.writeTextFile(
        join(dir, "model.json"),
        JSON.stringify({ ...json, weightsManifest: manifest }),
      );
    }, /outside the model directory/],
    [
      "missing weights",
      (dir, _json, weights) => Deno.remove(join(dir, weights)),
      /weight file "weights-[0-9a-f]+\.bin": no such file/,
    ],
    ["short weights", async (dir, _json, weights) => {
      const bytes = await Deno.readFile(join(dir, weights));
      await Deno.writeFile(join(dir, weights), bytes.slice(0, bytes.length - 4));
    }, /holds \d+ bytes, the manifest needs \d+/],
    ["NaN weights", async (dir, _json, weights) => {
      const bytes = await Deno.readFile(join(dir, weights));
      new DataView(bytes.buffer).setFloat32(8, NaN, true);
      await Deno.writeFile(join(dir, weights), bytes);
    }, /holds NaN or infinite values/],
    ["wrong shape", (dir, json) => {
      const manifest = structuredClone(json.weightsManifest) as {
        weights: { shape: number[] }[];
      }[];
      manifest[0].weights[0].shape = [
        manifest[0].weights[0].shape[1],
        manifest[0].weights[0].shape[0],
      ];
      return Deno.writeTextFile(
        join(dir, "model.json"),
        JSON.stringify({ ...json, weightsManifest: manifest }),
      );
    }, /tf\.js cannot build it/],
    [
      "bad topology",
      (dir, json) =>
        Deno.writeTextFile(
          join(dir, "model.json"),
          JSON.stringify({ ...json, modelTopology: { class_name: "Nope", config: {} } }),
        ),
      /tf\.js cannot build it/,
    ],
  ];
  for (const [name, damage, message] of cases) {
    const { dir } = await savedLite();
    const json = JSON.parse(await Deno.readTextFile(join(dir, "model.json")));
    await damage(dir, json, json.weightsManifest[0].paths[0]);
    const error = await assertRejects(() => loadModel(dir), ModelFileError);
    match(error.message, message, name);
    ok(error.message.startsWith(`Cannot load model "${dir}`), `${name}: ${error.message}`);
    ok(!error.message.includes("\n"), `${name}: one line`);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadModel names a missing directory; saveModel names a directory it cannot create", async () => {
  await assertRejects(
    () => loadModel("no/such/run"),
    ModelFileError,
    'Cannot load model "no/such/run": no such file or directory',
  );
  const file = await Deno.makeTempFile();
  await assertRejects(
    () => saveModel(createGenerator({ preset: "tutorial" }), join(file, "sub")),
    ModelFileError,
    "Cannot save model",
  );
  await Deno.remove(file);
});
