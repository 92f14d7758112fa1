/**
 * The files the web page may read: those under one directory (a run or a model directory), named
 * by the URL path after `/files/`. Each segment is decoded once and checked; `..`, hidden names,
 * separators, symbolic links out of the directory and file types a run does not write are
 * refused. Answers `GET /files/PATH`, and says where the generator's `model.json` is.
 *
 * @module
 */

import { join, sep } from "node:path";
import { HttpError, respond } from "./http.ts";

/** Content types of the files a run or model directory holds, by extension. */
export const FILE_TYPES: Readonly<Record<string, string>> = Object.freeze({
  json: "application/json; charset=utf-8",
  jsonl: "application/x-ndjson; charset=utf-8",
  bin: "application/octet-stream",
  png: "image/png",
  svg: "image/svg+xml",
});

/** Decodes and checks the segments of a URL path (still percent-encoded). */
function segmentsOf(urlPath: string): string[] {
  if (urlPath === "") throw new HttpError(404, "no file named");
  return urlPath.split("/").map((raw) => {
    let name: string;
    try {
      name = decodeURIComponent(raw);
    } catch {
      throw new HttpError(400, "malformed percent-encoding in the path");
    }
    if (name === "" || name === "." || name === "..") {
      throw new HttpError(403, "the path leaves the served directory");
    }
    // deno-lint-ignore no-control-regex
    if (/[\/\\\x00-\x1f:]/.test(name) || name.startsWith(".")) {
      throw new HttpError(403, "the path names something outside the served files");
    }
    return name;
  });
}

/**
 * Finds the file a URL path names under `root`, refusing anything outside it.
 *
 * @param root The served directory.
 * @param urlPath The path after `/files/`, percent-encoded as it came (e.g. `generator/model.json`).
 * @returns The file's real path and its content type.
 * @throws {HttpError} 400 for malformed encoding, 403 for a path that leaves `root` (also by a
 * symbolic link) or names a hidden file, 404 for a missing file or a type a run does not write.
 *
 * @example
 * ```ts
 * import { resolveServedFile } from "./files.ts";
 *
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/config.json`, "{}");
 * console.log((await resolveServedFile(dir, "config.json")).type); // application/json; charset=utf-8
 * await resolveServedFile(dir, "..%2Fetc%2Fpasswd").catch((e) => console.log(e.status)); // 403
 * ```
 */
export async function resolveServedFile(
  root: string,
  urlPath: string,
): Promise<{ path: string; type: string }> {
  const segments = segmentsOf(urlPath);
  const name = segments[segments.length - 1];
  const extension = name.includes(".") ? name.slice(name.lastIndexOf(".") + 1) : "";
  const type = Object.hasOwn(FILE_TYPES, extension) ? FILE_TYPES[extension] : undefined;
  if (type === undefined) throw new HttpError(404, `not a file a run writes: ${name}`);
  let realRoot: string, real: string;
  try {
    realRoot = await Deno.realPath(root);
    real = await Deno.realPath(join(root, ...segments));
  } catch {
    throw new HttpError(404, `no such file: ${segments.join("/")}`);
  }
  if (!real.startsWith(realRoot.endsWith(sep) ? realRoot : realRoot + sep)) {
    throw new HttpError(403, "the path leaves the served directory");
  }
  const info = await Deno.stat(real).catch(() => undefined);
  if (!info?.isFile) throw new HttpError(404, `no such file: ${segments.join("/")}`);
  return { path: real, type };
}

/** Files of the served directory are data, never a page: no scripts even if opened directly. */
const FILE_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox";

/**
 * The handler of `/files/PATH`: a file of the served directory, with a policy that runs nothing.
 *
 * @param root The served directory; none if absent.
 * @param urlPath The path after `/files/`, percent-encoded as it came.
 * @returns The file.
 * @throws {HttpError} 404 when no directory is served, else as {@linkcode resolveServedFile}.
 *
 * @example
 * ```ts
 * import { fileRoute } from "./files.ts";
 *
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/config.json`, "{}");
 * console.log((await fileRoute(dir, "config.json")).headers.get("content-security-policy"));
 * // default-src 'none'; style-src 'unsafe-inline'; sandbox
 * ```
 */
export async function fileRoute(root: string | undefined, urlPath: string): Promise<Response> {
  if (root === undefined) throw new HttpError(404, "no directory is served");
  const file = await resolveServedFile(root, urlPath);
  const bytes = await Deno.readFile(file.path);
  return respond(bytes, 200, {
    "content-type": file.type,
    "content-security-policy": FILE_CSP,
    "cache-control": "no-cache",
  });
}

/**
 * The URL the page loads the generator from, once its `model.json` is there.
 *
 * @param root The served directory; none if absent.
 * @param model The generator's `model.json`, relative to `root`; none if absent.
 * @returns `/files/…` (percent-encoded), or null when there is no model (yet).
 *
 * @example
 * ```ts
 * import { modelUrl } from "./files.ts";
 *
 * const dir = await Deno.makeTempDir();
 * console.log(await modelUrl(dir, "generator/model.json")); // null (not written yet)
 * ```
 */
export async function modelUrl(
  root: string | undefined,
  model: string | undefined,
): Promise<string | null> {
  if (root === undefined || model === undefined) return null;
  const urlPath = model.split("/").map(encodeURIComponent).join("/");
  try {
    await resolveServedFile(root, urlPath);
    return `/files/${urlPath}`;
  } catch {
    return null; // not written yet (a run that has not finished an epoch)
  }
}
