// `npm run build` (after tsc): bundles the page of `peh ui` into dist/ui/ with esbuild: ui/main.ts
// and the projections, machines and event vocabulary it folds with, minified into one app.js,
// next to prefetch.js, app.css and index.html. Nothing is fetched at run time.
import { build } from "esbuild";
import { copyFile, mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";

const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const out = here("../dist/ui/");
await mkdir(out, { recursive: true });
await build({
  entryPoints: [here("main.ts")],
  bundle: true,
  minify: true,
  format: "iife",
  target: "es2022",
  platform: "browser",
  outfile: `${out}app.js`,
  legalComments: "none",
  logLevel: "warning",
});
// A few lines the page runs first, from <head>: a run's events are asked for while app.js loads.
await build({
  entryPoints: [here("prefetch.ts")],
  bundle: true,
  minify: true,
  format: "iife",
  target: "es2022",
  platform: "browser",
  outfile: `${out}prefetch.js`,
  legalComments: "none",
  logLevel: "warning",
});
await copyFile(here("app.css"), `${out}app.css`);
await copyFile(here("index.html"), `${out}index.html`);
