// `npm run build` (after tsc): bundles the `peh` command (dist/cli/main.js, tsc's output) with
// its dependencies with esbuild, in place, so a command loads a few files instead of ~250 modules
// (about a third of a `peh status` was Node resolving and loading them). What a command imports on
// demand is split into chunks beside it (dist/cli/chunk-*.js), so a command also parses only the
// code it uses: `peh status --json` on 100k events 291–293 ms against 299–304 ms as one 2.4 MB
// file, and 123 MB at its peak against 135. Everything stays in dist/cli/, so the paths the code
// finds from its own place (dist/ui/, dist/machines/, examples/, schemas/) are the same; the
// library's entry points (dist/index.js and the other exports) are tsc's modules, unbundled.
import { build } from "esbuild";
import { readdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const main = fileURLToPath(new URL("../dist/cli/main.js", import.meta.url));
// The chunks of an earlier build (their names change with their content).
for (const name of readdirSync(dirname(main))) if (/^chunk-.*\.js(\.map)?$/.test(name)) rmSync(join(dirname(main), name));
await build({
  entryPoints: [main],
  outdir: dirname(main),
  allowOverwrite: true,
  bundle: true,
  splitting: true,
  chunkNames: "chunk-[hash]",
  platform: "node",
  format: "esm",
  target: "node20",
  sourcemap: true,
  legalComments: "none",
  logLevel: "warning",
  // The CommonJS dependencies (pg, commander…) require Node's own modules.
  banner: { js: 'import { createRequire as __pehRequire } from "node:module"; const require = __pehRequire(import.meta.url);' },
});
