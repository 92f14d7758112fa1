/**
 * Checks the links of markdown pages the way GitHub renders them: every relative link and image
 * names a file (or, for a link, a directory) that exists inside the repository, every `#anchor`
 * names a heading (or an HTML `id`) of the page it points to, and every page can be reached from
 * the entry page by following links. Links in code blocks, code spans and HTML comments are not
 * links, and are skipped; links with a scheme (`https:`, `mailto:`) are not checked.
 *
 * @module
 */

import { dirname, join, relative } from "node:path";

/** One link or image of a markdown page. */
export interface MarkdownLink {
  /** The target as written: `docs/cli.md#permissions`, `#resume`, `gallery/lite.png`. */
  target: string;
  /** The line it is on, from 1. */
  line: number;
  /** An image (`![alt](src)`, `<img src>`), which must be a file. */
  image: boolean;
}

/**
 * The anchor GitHub gives a heading: lower case, punctuation and symbols removed, each space a
 * hyphen (github-slugger's rule, without its de-duplication; see {@linkcode headingAnchors}).
 *
 * @param text The heading's rendered text (markup already removed).
 * @returns The anchor, without `#`.
 */
export function githubSlug(text: string): string {
  return text.trim().toLowerCase().replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, "").replace(/ /g, "-");
}

/** Replaces every character but line breaks with a space, so that offsets and lines stay put. */
function blank(text: string): string {
  return text.replace(/[^\n]/g, " ");
}

/** Whether a line opens or closes a fenced code block; its fence if so. */
function fenceOf(line: string): string | null {
  const match = line.match(/^ {0,3}(`{3,}|~{3,})/);
  return match ? match[1] : null;
}

/** The page with its fenced code blocks blanked out (their lines kept, empty). */
function withoutFences(markdown: string): string {
  const lines = markdown.split("\n");
  let open: string | null = null;
  return lines.map((line) => {
    const fence = fenceOf(line);
    if (open === null) {
      if (fence === null) return line;
      open = fence;
      return blank(line);
    }
    if (
      fence !== null && fence[0] === open[0] && fence.length >= open.length &&
      /^\s*(`+|~+)\s*$/.test(line)
    ) {
      open = null;
    }
    return blank(line);
  }).join("\n");
}

/**
 * The page with fenced code blocks, code spans and HTML comments blanked out, read in document
 * order (a backtick inside a comment opens nothing, a `<!--` inside a code span is text).
 */
function prose(markdown: string): string {
  const text = withoutFences(markdown);
  let out = "";
  let i = 0;
  while (i < text.length) {
    if (text.startsWith("<!--", i)) {
      const end = text.indexOf("-->", i + 4);
      const stop = end < 0 ? text.length : end + 3;
      out += blank(text.slice(i, stop));
      i = stop;
      continue;
    }
    if (text[i] === "`" && text[i - 1] !== "\\") {
      const run = text.slice(i).match(/^`+/)![0];
      // The span closes at the next run of exactly as many backticks, within the paragraph.
      const paragraphEnd = text.slice(i).search(/\n[ \t]*\n/);
      const limit = paragraphEnd < 0 ? text.length : i + paragraphEnd;
      const closer = new RegExp(`(?<!\`)${"`".repeat(run.length)}(?!\`)`, "g");
      closer.lastIndex = i + run.length;
      const close = closer.exec(text);
      if (close && close.index < limit) {
        const stop = close.index + run.length;
        out += blank(text.slice(i, stop));
        i = stop;
        continue;
      }
      out += run;
      i += run.length;
      continue;
    }
    out += text[i];
    i++;
  }
  return out;
}

/** The text a heading renders to: links and images by their text, code without its backticks. */
function headingText(source: string): string {
  const parts = source.split(/(`+[^`]*?`+)/);
  return parts.map((part, index) => {
    if (index % 2 === 1) return part.replace(/^`+ ?|\s?`+$/g, "");
    return part
      .replace(/!\[([^\]]*)\]\([^)]*\)/g, "$1")
      .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
      .replace(/<[^>]+>/g, "")
      // `_emphasis_` loses its underscores; `snake_case` keeps them.
      .replace(/(^|[^\p{L}\p{N}_])_+(?=\S)(.*?\S)_+(?![\p{L}\p{N}_])/gu, "$1$2")
      .replace(/\\(.)/g, "$1");
  }).join("");
}

/**
 * Every anchor a page offers: its headings' (ATX `#` headings and setext `===`/`---` ones, a
 * repeated heading getting `-1`, `-2`, … as on GitHub) and the `id` and `name` of its HTML tags.
 *
 * @param markdown The page.
 * @returns The anchors, without `#`.
 */
export function headingAnchors(markdown: string): Set<string> {
  const lines = withoutFences(markdown).split("\n");
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  const add = (heading: string) => {
    const base = githubSlug(headingText(heading));
    let slug = base;
    while (seen.has(slug)) {
      const count = seen.get(base)! + 1;
      seen.set(base, count);
      slug = `${base}-${count}`;
    }
    seen.set(slug, 0);
    anchors.add(slug);
  };
  for (let i = 0; i < lines.length; i++) {
    const atx = lines[i].match(/^ {0,3}#{1,6}(?:\s+(.*?))?(?:\s+#+)?\s*$/);
    if (atx) {
      add(atx[1] ?? "");
      continue;
    }
    const previous = lines[i - 1];
    if (
      i > 0 && /^ {0,3}(=+|-+)\s*$/.test(lines[i]) && previous.trim() !== "" &&
      !/^\s*([-*+>|#]|\d+[.)])/.test(previous) && !/^ {0,3}(=+|-+)\s*$/.test(previous)
    ) {
      add(previous.trim());
    }
  }
  for (
    const match of prose(markdown).matchAll(/<[a-z][^>]*?\s(?:id|name)\s*=\s*["']([^"']+)["']/gi)
  ) {
    anchors.add(match[1]);
  }
  return anchors;
}

const INLINE_LINK =
  /(!?)\[((?:\\.|[^[\]\\]|\[(?:\\.|[^[\]\\])*\])*)\]\(\s*(<[^>\n]*>|[^\s()]*(?:\([^\s()]*\)[^\s()]*)*)(?:\s+(?:"[^"]*"|'[^']*'|\([^)]*\)))?\s*\)/g;

/** The inline links and images of a piece of prose, those inside a link's text included. */
function inlineLinks(text: string, offset: number, lineOf: (at: number) => number): MarkdownLink[] {
  const found: MarkdownLink[] = [];
  for (const match of text.matchAll(new RegExp(INLINE_LINK.source, "g"))) {
    const at = offset + match.index!;
    const target = match[3].replace(/^<|>$/g, "");
    found.push({ target, line: lineOf(at), image: match[1] === "!" });
    const inner = match.index! + match[1].length + 1;
    found.push(...inlineLinks(match[2], offset + inner, lineOf));
  }
  return found;
}

/**
 * Every link and image of a page: inline (`[text](target)`, `![alt](src)`, nested), reference
 * definitions (`[name]: target`) and HTML (`<a href>`, `<img src>`), outside code and comments.
 *
 * @param markdown The page.
 * @returns The links in the order they appear.
 */
export function markdownLinks(markdown: string): MarkdownLink[] {
  const text = prose(markdown);
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === "\n") starts.push(i + 1);
  const lineOf = (at: number) => {
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (starts[mid] <= at) low = mid;
      else high = mid - 1;
    }
    return low + 1;
  };
  const links = inlineLinks(text, 0, lineOf);
  for (const match of text.matchAll(/^ {0,3}\[[^\]\n]+\]:\s*(<[^>\n]*>|\S+)/gm)) {
    links.push({
      target: match[1].replace(/^<|>$/g, ""),
      line: lineOf(match.index!),
      image: false,
    });
  }
  for (
    const match of text.matchAll(
      /<(img|source|a)\b[^>]*?\s(src|href)\s*=\s*(?:"([^"]*)"|'([^']*)')/gi,
    )
  ) {
    const image = match[1].toLowerCase() !== "a";
    links.push({ target: match[3] ?? match[4], line: lineOf(match.index!), image });
  }
  return links.sort((a, b) => a.line - b.line);
}

/** Options of {@linkcode checkDocs}. */
export interface CheckDocsOptions {
  /** The page every other must be reachable from, relative to the root. @default "README.md" */
  entry?: string;
  /** The folder whose `*.md` pages (recursively) are checked with the entry. @default "docs" */
  pages?: string;
}

/** The `.md` files under a folder, recursively, as paths relative to the root, with `/`. */
async function markdownFiles(root: string, folder: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string) => {
    const entries: Deno.DirEntry[] = [];
    try {
      for await (const entry of Deno.readDir(join(root, dir))) entries.push(entry);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return;
      throw error;
    }
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory) await walk(path);
      else if (entry.isFile && entry.name.endsWith(".md")) found.push(path);
    }
  };
  await walk(folder);
  return found;
}

/** What a path is: a file, a directory, or nothing. */
async function kindOf(path: string): Promise<"file" | "directory" | null> {
  try {
    const info = await Deno.stat(path);
    return info.isDirectory ? "directory" : "file";
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) {
      return null;
    }
    throw error;
  }
}

/**
 * Checks the entry page and every page under the pages folder: dead relative links and anchors,
 * missing images, links that leave the repository or are absolute, and pages that cannot be
 * reached from the entry.
 *
 * @param root The repository's root directory.
 * @param options The entry page and the pages folder.
 * @returns One line per problem, `page:line: target: what is wrong`; empty when all is well.
 */
export async function checkDocs(root: string, options: CheckDocsOptions = {}): Promise<string[]> {
  const entry = options.entry ?? "README.md";
  const pages = [entry, ...await markdownFiles(root, options.pages ?? "docs")];
  const problems: string[] = [];
  const anchorsOf = new Map<string, Set<string>>();
  const anchors = async (page: string) => {
    if (!anchorsOf.has(page)) {
      anchorsOf.set(page, headingAnchors(await Deno.readTextFile(join(root, page))));
    }
    return anchorsOf.get(page)!;
  };
  const linksTo = new Map<string, Set<string>>();
  for (const page of pages) {
    const links = new Set<string>();
    linksTo.set(page, links);
    for (const link of markdownLinks(await Deno.readTextFile(join(root, page)))) {
      const say = (what: string) => problems.push(`${page}:${link.line}: ${link.target}: ${what}`);
      if (/^[a-z][a-z0-9+.-]*:/i.test(link.target) || link.target.startsWith("//")) continue;
      if (link.target === "") {
        say("an empty link");
        continue;
      }
      const hash = link.target.indexOf("#");
      const pathPart = hash < 0 ? link.target : link.target.slice(0, hash);
      const anchor = hash < 0 ? null : decodeURIComponent(link.target.slice(hash + 1));
      const path = decodeURIComponent(pathPart);
      if (path.startsWith("/")) {
        say("an absolute path (links must be relative to the page)");
        continue;
      }
      const target = path === ""
        ? page
        : relative(root, join(root, dirname(page), path)).replaceAll("\\", "/");
      if (target === ".." || target.startsWith("../")) {
        say("leads outside the repository");
        continue;
      }
      const kind = await kindOf(join(root, target));
      if (kind === null) {
        say(`no such file (${target})`);
        continue;
      }
      if (kind === "directory" && (link.image || anchor !== null)) {
        say(`${target} is a directory`);
        continue;
      }
      if (target.endsWith(".md")) {
        links.add(target);
        if (anchor !== null && anchor !== "" && !(await anchors(target)).has(anchor)) {
          say(`no heading or id "${anchor}" in ${target}`);
        }
      }
    }
  }
  const reached = new Set([entry]);
  const queue = [entry];
  while (queue.length > 0) {
    for (const next of linksTo.get(queue.shift()!) ?? []) {
      if (!reached.has(next)) {
        reached.add(next);
        queue.push(next);
      }
    }
  }
  for (const page of pages) {
    if (!reached.has(page)) problems.push(`${page}: not reachable from ${entry} by its links`);
  }
  return problems;
}
