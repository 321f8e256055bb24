// `npm run build` (after tsc): bundles the `peh` command (dist/cli/main.js, tsc's output) with
// its dependencies into that same one file with esbuild, so a command loads one file instead of
// ~250 modules (about a third of a `peh status` was Node resolving and loading them). Modules that
// a command imports on demand stay lazy: esbuild evaluates them on their first import(). The file
// stays in dist/cli/, so the paths the code finds from its own place (dist/ui/, dist/machines/,
// examples/, schemas/) are the same; the library's entry points (dist/index.js and the other
// exports) are tsc's modules, unbundled.
import { build } from "esbuild";
import { fileURLToPath } from "node:url";

const main = fileURLToPath(new URL("../dist/cli/main.js", import.meta.url));
await build({
  entryPoints: [main],
  outfile: main,
  allowOverwrite: true,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  sourcemap: true,
  legalComments: "none",
  logLevel: "warning",
  // The CommonJS dependencies (pg, commander…) require Node's own modules.
  banner: { js: 'import { createRequire as __pehRequire } from "node:module"; const require = __pehRequire(import.meta.url);' },
});
