/**
 * The files the web page may read: those under one directory (a run or a model directory), named
 * by the URL path after `/files/`. Each segment is decoded once and checked; `..`, hidden names,
 * separators, symbolic links out of the directory and file types a run does not write are
 * refused.
 *
 * @module
 */

import { join, sep } from "node:path";

/** A request the server answers with an error status and a one-line reason. */
export class HttpError extends Error {
  /** The HTTP status, 4xx. */
  readonly status: number;
  /**
   * @param status The HTTP status.
   * @param message One line saying what is wrong with the request.
   */
  constructor(status: number, message: string) {
    super(message);
    this.name = "HttpError";
    this.status = status;
  }
}

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
