/**
 * What the web page is made of, found at run time so that it works from a checkout and from the
 * published package alike (no absolute paths, no build step):
 *
 * - the page itself (`static/`: HTML, plain ES modules, CSS), read next to this module;
 * - stock tf.js: the ES module bundles of the npm packages `@tensorflow/tfjs-core`, `-layers`,
 *   `-backend-webgl` and `-backend-webgpu` at the locked version, from Deno's npm cache;
 * - the library core (`src/browser.ts` and its imports), TypeScript transpiled to JavaScript
 *   with `sucrase` on first request: the very files the library runs in Deno.
 *
 * @module
 */

import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { TFJS_VERSION } from "../version.ts";

/** The page's files in `static/`, by URL name, with their content types. */
export const STATIC_FILES: Readonly<Record<string, string>> = Object.freeze({
  "index.html": "text/html; charset=utf-8",
  "app.js": "text/javascript; charset=utf-8",
  "chart.js": "text/javascript; charset=utf-8",
  "images.js": "text/javascript; charset=utf-8",
  "live.js": "text/javascript; charset=utf-8",
  "explorer.js": "text/javascript; charset=utf-8",
  "styles.js": "text/javascript; charset=utf-8",
  "style_cards.js": "text/javascript; charset=utf-8",
  "trainer.js": "text/javascript; charset=utf-8",
  "style.css": "text/css; charset=utf-8",
});

/** The tf.js bundles the page loads, by URL name: package and file inside it. */
export const VENDOR_FILES: Readonly<Record<string, { package: string; file: string }>> = Object
  .freeze({
    "tfjs-core.js": { package: "@tensorflow/tfjs-core", file: "dist/tf-core.fesm.min.js" },
    "tfjs-layers.js": { package: "@tensorflow/tfjs-layers", file: "dist/tf-layers.fesm.min.js" },
    "tfjs-backend-webgl.js": {
      package: "@tensorflow/tfjs-backend-webgl",
      file: "dist/tf-backend-webgl.fesm.min.js",
    },
    "tfjs-backend-webgpu.js": {
      package: "@tensorflow/tfjs-backend-webgpu",
      file: "dist/tf-backend-webgpu.fesm.min.js",
    },
  });

/** URL prefix of the tf.js bundles; the version in it lets browsers cache them for good. */
export const VENDOR_PREFIX = `/vendor/${TFJS_VERSION}/`;

/** The page's import map: bare tf.js names to the bundles, the core to its transpiled entry. */
export function importMap(): { imports: Record<string, string> } {
  const imports: Record<string, string> = {};
  for (const [name, { package: pkg }] of Object.entries(VENDOR_FILES)) {
    imports[pkg] = VENDOR_PREFIX + name;
  }
  imports["@gan/mnist/browser"] = "/core/browser.ts";
  return { imports };
}

/** Reads a file next to this module (a `file:` or, once published, an `https:` URL). */
async function readBeside(relative: string): Promise<Uint8Array<ArrayBuffer>> {
  const url = new URL(relative, import.meta.url);
  const response = await fetch(url);
  if (!response.ok) {
    await response.body?.cancel();
    throw new Error(`cannot read ${url.href}: HTTP ${response.status}`);
  }
  return new Uint8Array(await response.arrayBuffer());
}

const staticCache = new Map<string, Promise<Uint8Array<ArrayBuffer>>>();

/**
 * One of the page's files.
 *
 * @param name A key of {@linkcode STATIC_FILES}.
 * @returns Its bytes.
 */
export function staticFile(name: string): Promise<Uint8Array<ArrayBuffer>> {
  if (!Object.hasOwn(STATIC_FILES, name)) throw new RangeError(`no static file "${name}"`);
  let bytes = staticCache.get(name);
  if (!bytes) {
    bytes = readBeside(`./static/${name}`);
    staticCache.set(name, bytes);
    bytes.catch(() => staticCache.delete(name));
  }
  return bytes;
}

/**
 * Where each tf.js package's `package.json` is, and how to make Deno fetch it, as literal
 * specifiers (which JSR can check and pin). Resolved by import-map name in a checkout, by full
 * specifier where the map does not apply.
 */
const PACKAGES: Record<string, { resolve: (() => string)[]; fetch: () => Promise<unknown> }> = {
  "@tensorflow/tfjs-core": {
    resolve: [
      () => import.meta.resolve("@tensorflow/tfjs-core/package.json"),
      () => import.meta.resolve("npm:@tensorflow/tfjs-core@4.22.0/package.json"),
    ],
    fetch: () => import("@tensorflow/tfjs-core/package.json", { with: { type: "json" } }),
  },
  "@tensorflow/tfjs-layers": {
    resolve: [
      () => import.meta.resolve("@tensorflow/tfjs-layers/package.json"),
      () => import.meta.resolve("npm:@tensorflow/tfjs-layers@4.22.0/package.json"),
    ],
    fetch: () => import("@tensorflow/tfjs-layers/package.json", { with: { type: "json" } }),
  },
  "@tensorflow/tfjs-backend-webgl": {
    resolve: [
      () => import.meta.resolve("@tensorflow/tfjs-backend-webgl/package.json"),
      () => import.meta.resolve("npm:@tensorflow/tfjs-backend-webgl@4.22.0/package.json"),
    ],
    fetch: () =>
      import("@tensorflow/tfjs-backend-webgl/package.json", {
        with: { type: "json" },
      }),
  },
  "@tensorflow/tfjs-backend-webgpu": {
    resolve: [
      () => import.meta.resolve("@tensorflow/tfjs-backend-webgpu/package.json"),
      () => import.meta.resolve("npm:@tensorflow/tfjs-backend-webgpu@4.22.0/package.json"),
    ],
    fetch: () =>
      import("@tensorflow/tfjs-backend-webgpu/package.json", {
        with: { type: "json" },
      }),
  },
};

/** A package's directory in Deno's npm cache, fetched into it first if need be. */
async function packageDir(pkg: string): Promise<string> {
  const entry = PACKAGES[pkg];
  const resolve = () => {
    for (const attempt of entry.resolve) {
      try {
        const url = attempt();
        if (url.startsWith("file:")) return dirname(fileURLToPath(url));
      } catch {
        // not resolvable under this name
      }
    }
    return undefined;
  };
  let dir = resolve();
  if (dir === undefined) {
    // Importing a file of the package makes Deno fetch it into its cache.
    await entry.fetch();
    dir = resolve();
  }
  if (dir === undefined) throw new Error(`cannot find the npm package ${pkg}@${TFJS_VERSION}`);
  return dir;
}

const vendorCache = new Map<string, Promise<Uint8Array<ArrayBuffer>>>();

/**
 * One of the tf.js bundles, read from its npm package.
 *
 * @param name A key of {@linkcode VENDOR_FILES}.
 * @returns Its bytes.
 */
export function vendorFile(name: string): Promise<Uint8Array<ArrayBuffer>> {
  if (!Object.hasOwn(VENDOR_FILES, name)) throw new RangeError(`no vendor file "${name}"`);
  let bytes = vendorCache.get(name);
  if (!bytes) {
    const { package: pkg, file } = VENDOR_FILES[name];
    bytes = packageDir(pkg).then((dir) => Deno.readFile(`${dir}/${file}`));
    vendorCache.set(name, bytes);
    bytes.catch(() => vendorCache.delete(name));
  }
  return bytes;
}

/** Bare specifiers the core may import statically: what the page's import map provides. */
const PAGE_PACKAGES = new Set(["@tensorflow/tfjs-core", "@tensorflow/tfjs-layers"]);

/** The browser core, transpiled: module path under `src/` → JavaScript. */
export type CoreModules = ReadonlyMap<string, string>;

/**
 * The modules a core module imports, checked for the browser: relative imports (to follow) must
 * stay inside `src/`; static imports of anything else must be a package the page's import map
 * provides. Dynamic `import("…")` of other things is allowed: it only runs when called (the
 * kernels' `node:worker_threads`, which is never called in a browser).
 *
 * @param path The module's path under `src/`, e.g. `"train/train.ts"`.
 * @param code Its JavaScript.
 * @returns The paths under `src/` it imports.
 * @throws {Error} Naming the module and the import a browser cannot load.
 *
 * @example
 * ```ts
 * import { browserImports } from "./assets.ts";
 *
 * console.log(browserImports("sample/sample.ts", 'import { Random } from "../random.ts";')); // ["random.ts"]
 * browserImports("data/x.ts", 'import { join } from "node:path";'); // throws
 * ```
 */
export function browserImports(path: string, code: string): string[] {
  const base = new URL(path, "file:///src/");
  const found: string[] = [];
  const pattern =
    /(?:^|[;\n}])\s*(?:import|export)\s+(?:[^'";]*?\s+from\s+)?["']([^"']+)["']|\bimport\(\s*["']([^"']+)["']\s*[,)]/g;
  for (const match of code.matchAll(pattern)) {
    const specifier = match[1] ?? match[2];
    const dynamic = match[1] === undefined;
    if (specifier.startsWith("./") || specifier.startsWith("../")) {
      const url = new URL(specifier, base);
      if (!url.href.startsWith("file:///src/") || !url.pathname.endsWith(".ts")) {
        throw new Error(`src/${path} imports ${specifier}, which is not a module of src/`);
      }
      found.push(url.pathname.slice("/src/".length));
    } else if (!dynamic && !PAGE_PACKAGES.has(specifier)) {
      throw new Error(
        `src/${path} imports "${specifier}", which a browser cannot load: keep Deno-only code ` +
          `out of the core (src/browser.ts and what it imports)`,
      );
    }
  }
  return found;
}

let core: Promise<CoreModules> | undefined;

/**
 * The library core for the browser: `src/browser.ts` and every module it imports, transpiled from
 * TypeScript (types removed, nothing else changed). Walked and checked once, then cached.
 *
 * @returns JavaScript by module path under `src/` (e.g. `"train/train.ts"`).
 * @throws {Error} If a module statically imports something a browser cannot load (a `node:`
 * module, `std/…`, an npm package the page does not map): the core must stay browser-clean.
 *
 * @example
 * ```ts
 * import { coreModules } from "./assets.ts";
 *
 * const modules = await coreModules();
 * console.log(modules.has("train/train.ts")); // true
 * ```
 */
export function coreModules(): Promise<CoreModules> {
  core ??= walkCore();
  core.catch(() => (core = undefined));
  return core;
}

async function walkCore(): Promise<CoreModules> {
  const { transform } = await import("sucrase");
  const modules = new Map<string, string>();
  const queue = ["browser.ts"];
  while (queue.length > 0) {
    const path = queue.shift()!;
    if (modules.has(path)) continue;
    const source = new TextDecoder().decode(await readBeside(`../${path}`));
    const code = transform(source, {
      transforms: ["typescript"],
      disableESTransforms: true,
      filePath: path,
    }).code;
    modules.set(path, code);
    queue.push(...browserImports(path, code));
  }
  return modules;
}
