// The page of `peh ui` in headless Chromium: its bundle's size, the time from navigation until a
// 1,000-task run's DAG and states are drawn, and the slider's fold of a 100k-event log in the
// page. Without /usr/bin/chromium the browser figures are null, and `ui_skipped` says why.
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { LowdbEventStore } from "../events/adapters.js";
import { RunIdSchema } from "../events/index.js";
import { startUiServer } from "../runtime/ui/server.js";
import { syntheticLog } from "./synthetic.js";

const CHROMIUM = "/usr/bin/chromium";

export interface UiFigures {
  ui_bundle_kb_gzip: number;
  ui_ready_ms_1000_tasks: number | null;
  ui_slider_fold_ms_100k: number | null;
  ui_skipped?: string;
}

export async function uiFigures(quick: boolean): Promise<UiFigures> {
  // What the page loads: the app, and the few lines it runs first from <head>.
  const bundle = Buffer.concat(await Promise.all(["../ui/app.js", "../ui/prefetch.js"].map((file) => readFile(fileURLToPath(new URL(file, import.meta.url))))));
  const ui_bundle_kb_gzip = Number((gzipSync(bundle, { level: 9 }).length / 1024).toFixed(1));
  if (!existsSync(CHROMIUM)) return { ui_bundle_kb_gzip, ui_ready_ms_1000_tasks: null, ui_slider_fold_ms_100k: null, ui_skipped: `${CHROMIUM} is missing (apt-get install -y chromium)` };
  const { chromium } = await import("playwright-core");
  const dir = await mkdtemp(join(tmpdir(), "peh-bench-ui-"));
  const store = new LowdbEventStore(join(dir, ".peh"));
  const browser = await chromium.launch({ executablePath: CHROMIUM });
  try {
    const small = RunIdSchema.parse("r-20260115-140000-0001");
    const large = RunIdSchema.parse("r-20260115-140000-0002");
    await store.append(small, syntheticLog(1_000, small), 0);
    await store.append(large, syntheticLog(quick ? 1_000 : 10_000, large), 0);
    const server = await startUiServer({ store });
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    let ready = Infinity;
    for (let round = 0; round < (quick ? 1 : 3); round++) {
      await page.goto("about:blank");
      const started = performance.now();
      await page.goto(`${server.url}#/runs/${small}`);
      // Run in the page, where document exists (bench/ is compiled without the DOM types).
      const drawn = (n: number) => (globalThis as unknown as { document: { querySelectorAll(q: string): { length: number } } }).document.querySelectorAll('svg.dag .node[data-state="succeeded"]').length === n;
      await page.waitForFunction(drawn, 1_000, { timeout: 60_000, polling: "raf" });
      ready = Math.min(ready, performance.now() - started);
    }
    await page.goto(`${server.url}#/runs/${large}`);
    await page.waitForSelector("#plan-state >> text=completed", { timeout: 120_000 });
    let fold = Infinity;
    const last = Number(await page.getAttribute("#slider", "max"));
    for (let round = 0; round < (quick ? 1 : 3); round++) {
      const seq = Math.floor(last / 2) + round;
      await page.fill("#slider", String(seq));
      await page.waitForSelector(`#slider-label >> text=the state right after #${seq} `, { timeout: 60_000 });
      fold = Math.min(fold, Number(await page.getAttribute("#slider", "data-fold-ms")));
    }
    await server.close();
    return { ui_bundle_kb_gzip, ui_ready_ms_1000_tasks: Math.round(ready), [`ui_slider_fold_ms_${quick ? "10k" : "100k"}`]: Math.round(fold) } as unknown as UiFigures;
  } finally {
    await browser.close();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

// `node dist/bench/ui.js [--quick]`: these figures alone.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.stdout.write(JSON.stringify(await uiFigures(process.argv.includes("--quick"))) + "\n");
}
