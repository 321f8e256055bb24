// The page's files: the app bundled by `npm run build` (ui/build.mjs) into dist/ui/, found from
// this module's place both when it runs from dist/ and from the sources (tests).
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { PehError } from "../../events/index.js";

export const ASSET_TYPES: Record<string, string> = {
  "index.html": "text/html; charset=utf-8",
  "app.js": "text/javascript; charset=utf-8",
  "prefetch.js": "text/javascript; charset=utf-8",
  "app.css": "text/css; charset=utf-8",
};

/** The directory holding the built app, or a PehError saying how to build it. */
export function assetsDir(): string {
  const candidates = ["../../ui/", "../../dist/ui/"].map((relative) => fileURLToPath(new URL(relative, import.meta.url)));
  const found = candidates.find((dir) => existsSync(join(dir, "app.js")));
  if (found === undefined) {
    throw new PehError("USAGE", `the page of peh ui is not built (no app.js in ${candidates.join(" or ")})`, "run `npm run build` in peh's checkout");
  }
  return found;
}

export interface Assets {
  html: string;
  js: string;
  css: string;
  /** What the page runs first, from <head> (ui/prefetch.ts): a run's events asked for while app.js loads. */
  prefetch?: string;
}

export async function readAssets(dir = assetsDir()): Promise<Assets> {
  const [html, js, css, prefetch] = await Promise.all(["index.html", "app.js", "app.css", "prefetch.js"].map((name) => readFile(join(dir, name), "utf8")));
  return { html: html!, js: js!, css: css!, prefetch: prefetch! };
}
