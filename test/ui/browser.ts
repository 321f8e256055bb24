// Real Chromium for the page's tests: Debian's /usr/bin/chromium driven by playwright-core (never
// a downloaded browser). Without it the tests skip, saying why, unless PEH_REQUIRE_BROWSER=1.
import { existsSync } from "node:fs";
import type { Browser } from "playwright-core";
import type { Workspace } from "../support/workspace.js";

export const CHROMIUM = "/usr/bin/chromium";
export const hasBrowser = existsSync(CHROMIUM);
export const NO_BROWSER = `${CHROMIUM} is missing (apt-get install -y chromium)`;

if (!hasBrowser) {
  if (process.env.PEH_REQUIRE_BROWSER === "1") throw new Error(`PEH_REQUIRE_BROWSER=1 but ${NO_BROWSER}`);
  console.warn(`skipping the browser tests: ${NO_BROWSER}; set PEH_REQUIRE_BROWSER=1 to fail instead`);
}

export async function launch(): Promise<Browser> {
  const { chromium } = await import("playwright-core");
  return chromium.launch({ executablePath: CHROMIUM });
}

/** `peh ui --no-open` in the workspace, and the URL it printed; stop() ends it (SIGTERM). */
export async function startUi(ws: Workspace): Promise<{ url: string; stop(): Promise<void> }> {
  const ui = ws.start(["ui", "--no-open"]);
  const url = (await ui.line(/http:\/\/127\.0\.0\.1:\d+\/\?token=/)).trim();
  return {
    url,
    stop: async () => {
      ui.kill("SIGTERM");
      await ui.exit;
    },
  };
}
