// The page: picks tf.js's backend (WebGPU, else WebGL), asks the server what it serves, and wires
// the three panels: live training, the explorer, training in this tab.

import * as tf from "@tensorflow/tfjs-core";
import { Explorer } from "./explorer.js";
import { controlServer, followServer, LiveView } from "./live.js";
import { TabTrainer } from "./trainer.js";

const $ = (id) => document.getElementById(id);

/** WebGPU where the browser has it and it starts, else WebGL (`?backend=webgl` forces it). */
async function chooseBackend() {
  const wanted = new URLSearchParams(location.search).get("backend");
  if ((wanted === null || wanted === "webgpu") && "gpu" in navigator) {
    try {
      // Asked first: tf.js's WebGPU backend warns on the console when there is no adapter.
      if (!(await navigator.gpu.requestAdapter())) throw new Error("no WebGPU adapter");
      await import("@tensorflow/tfjs-backend-webgpu");
      if (await tf.setBackend("webgpu")) return "webgpu";
    } catch {
      // no usable adapter: WebGL below
    }
  }
  await import("@tensorflow/tfjs-backend-webgl");
  if (await tf.setBackend("webgl")) return "webgl";
  throw new Error("this browser has neither WebGPU nor WebGL, which tf.js needs here");
}

/**
 * The control token of a server beyond loopback: taken from the page's `?token=` (then dropped
 * from the address bar, so that it is not copied on) and kept for this tab, so that a reload
 * without it still controls the run.
 */
function controlToken() {
  const url = new URL(location.href);
  const given = url.searchParams.get("token");
  if (given) {
    sessionStorage.setItem("gan-token", given);
    url.searchParams.delete("token");
    history.replaceState(null, "", url);
  }
  return sessionStorage.getItem("gan-token");
}

function showTab(name) {
  for (const tab of document.querySelectorAll("[role=tab]")) {
    const selected = tab.dataset.tab === name;
    tab.setAttribute("aria-selected", String(selected));
    $(tab.getAttribute("aria-controls")).hidden = !selected;
  }
  document.body.dataset.panel = name;
}

async function main() {
  const token = controlToken();
  const explorer = new Explorer();
  globalThis.ganExplorer = explorer;
  let trainer = null;
  trainer = new TabTrainer(
    new LiveView($("train-view"), (message) => trainer.control(message.action)),
    explorer,
  );
  for (const tab of document.querySelectorAll("[role=tab]")) {
    tab.addEventListener("click", () => {
      showTab(tab.dataset.tab);
      if (tab.dataset.tab === "explore") explorer.animate();
      dispatchEvent(new Event("resize"));
    });
  }
  const [backend, info] = await Promise.all([
    chooseBackend(),
    fetch("/api/info").then((r) => r.json()),
  ]);
  $("backend").textContent = `tf.js ${tf.version_core} · ${backend}`;
  $("version").textContent = `v${info.version}`;

  if (info.live) {
    $("tab-live").hidden = false;
    const controls = info.controllable && (!info.token || token !== null);
    const view = new LiveView(
      $("live-view"),
      controls
        ? (message) => controlServer(message, token).catch((error) => alert(error.message))
        : null,
    );
    if (info.controllable && !controls) view.needsToken();
    let reloading = false;
    followServer(view, async () => {
      // The run saved new models with this epoch: show them (the same noise, so the samples
      // can be watched improving).
      if ((explorer.model && !explorer.owned) || reloading) return;
      reloading = true;
      const latest = await fetch("/api/info").then((r) => r.json());
      if (latest.model) await explorer.loadUrl(latest.model, "the run's generator").catch(() => {});
      reloading = false;
    });
  }
  showTab(info.live ? "live" : info.model ? "explore" : "train");

  if (info.model) {
    await explorer.loadUrl(info.model, info.model.replace(/^\/files\//, ""));
  } else if (info.live) {
    // A run that has not saved a generator yet: loaded after its first epoch.
    $("explore-empty").textContent = "The run has not saved a generator yet: it appears here " +
      "after the first epoch.";
  }
  document.body.dataset.ready = "true";
}

main().catch((error) => {
  $("fatal").hidden = false;
  $("fatal").textContent = `error: ${error.message ?? error}`;
  document.body.dataset.ready = "error";
  console.error(error);
});
