// `npm run screenshots`: the README's pictures of `peh ui`, made by driving Debian's Chromium
// (playwright-core, /usr/bin/chromium) over the demo run (examples/release.yaml) in a temporary
// workspace: the approval gate refusing a wrong phrase, the finished run, and time travel.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { copyFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const CHROMIUM = "/usr/bin/chromium";
if (!existsSync(CHROMIUM)) {
  console.error(`npm run screenshots needs ${CHROMIUM}: apt-get install -y chromium`);
  process.exit(2);
}
const root = fileURLToPath(new URL("..", import.meta.url));
const { chromium } = await import("playwright-core");
const { LowdbEventStore } = await import(join(root, "dist/events/adapters.js"));
const { createRun } = await import(join(root, "dist/runtime/gate/gate.js"));
const { startUiServer } = await import(join(root, "dist/runtime/ui/server.js"));

const workspace = await mkdtemp(join(tmpdir(), "peh-shots-"));
await copyFile(join(root, "examples/release.yaml"), join(workspace, "release.yaml"));
const store = new LowdbEventStore(join(workspace, ".peh"));
const { run_id } = await createRun(store, { workspace, from: "release.yaml" });
const server = await startUiServer({ store });
const browser = await chromium.launch({ executablePath: CHROMIUM });
const page = await browser.newPage({ viewport: { width: 1280, height: 860 }, deviceScaleFactor: 1 });
const shot = (name) => page.screenshot({ path: join(root, "docs", name) }).then(() => console.log(`docs/${name}`));
try {
  await page.goto(server.url);
  await page.click("#runs a");
  await page.waitForSelector("svg.dag .node");
  await page.fill("#actor", "ana");
  await page.dispatchEvent("#actor", "change");
  await page.fill("#phrase-deploy-prod", "yes");
  await page.click("#approve");
  await page.waitForSelector("#action-result.refused");
  await page.click('svg.dag .node[data-task="deploy-prod"]');
  await page.waitForSelector("#task-title >> text=deploy-prod");
  await shot("ui-approve.png");

  await page.fill("#phrase-deploy-prod", "deploy 2.4.1 to production");
  await page.click("#approve");
  await page.waitForSelector("#action-result.ok");
  execFileSync(process.execPath, [join(root, "dist/cli/main.js"), "run", run_id, "--trust-root", workspace], { cwd: workspace, env: { ...process.env, NO_COLOR: "1" } });
  await page.waitForSelector("#plan-state >> text=completed");
  await page.click('svg.dag .node[data-task="unit-tests"]');
  await page.waitForSelector("#task-title >> text=unit-tests");
  await shot("ui-run.png");

  const last = Number(await page.getAttribute("#slider", "max"));
  const seq = Math.round(last * 0.55);
  await page.fill("#slider", String(seq));
  await page.waitForSelector(`#slider-label >> text=the state right after #${seq} `);
  await page.evaluate(() => document.querySelector(".travel")?.scrollIntoView());
  await shot("ui-time-travel.png");
} finally {
  await browser.close();
  await server.close();
  await store.close();
  await rm(workspace, { recursive: true, force: true });
}
