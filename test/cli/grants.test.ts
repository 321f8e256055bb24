// Grants from the command line: a task that asks for the network is shown asking, needs its
// phrase at the gate, and the approval records what that phrase granted.
import { copyFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { peh as run } from "../support/cli.js";
import { tempDir } from "../support/temp-dir.js";

const vendor = fileURLToPath(new URL("../../examples/vendor.yaml", import.meta.url));
const PHRASE = "download left-pad from the npm registry";
let workspace: { path: string; remove(): Promise<void> };
const peh = (...args: string[]) =>
  run(args, { cwd: workspace.path, env: { PEH_ACTOR: "", PEH_TRUST_ROOTS: "", XDG_CONFIG_HOME: join(workspace.path, ".config") } });

beforeEach(async () => {
  workspace = await tempDir();
  await copyFile(vendor, join(workspace.path, "vendor.yaml"));
});
afterEach(async () => workspace.remove());

describe("grants › at the gate", () => {
  it("shows what a task asks for next to it, and marks it risky for it", () => {
    const result = peh("plan", "--from", "vendor.yaml");
    expect(result.code).toBe(0);
    const fetch = result.stdout.slice(result.stdout.indexOf("Task 1/3: fetch"), result.stdout.indexOf("Task 2/3"));
    expect(fetch).toContain("      asks for the network\n");
    expect(fetch).toContain(`⚠ RISKY (asks for the network) — approving needs the phrase "${PHRASE}"`);
    expect(result.stdout.slice(result.stdout.indexOf("Task 2/3"))).not.toContain("asks for");
  });

  it("refuses the approval without the task's phrase and records nothing; with it, records the grant it gave", () => {
    peh("plan", "--from", "vendor.yaml");
    const refused = peh("approve", "--as", "ana");
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`fetch ("${PHRASE}": asks for the network)`);
    expect(JSON.parse(peh("show", "--json").stdout)).toMatchObject({ state: "awaiting_approval", approved_version: null, granted: [] });

    const approved = peh("approve", "--as", "ana", "--confirm", PHRASE);
    expect(approved.code).toBe(0);
    expect(approved.stdout).toContain("(confirmed fetch: the network)");
    const shown = JSON.parse(peh("show", "--json").stdout) as { granted: unknown; history: { action: string; detail: string }[] };
    expect(shown.granted).toEqual([{ task_id: "fetch", phrase: PHRASE, grants: { network: true } }]);
    expect(shown.history.find((entry) => entry.action === "approved")?.detail).toBe(`confirmed fetch ("${PHRASE}"; grants the network)`);
    expect(peh("log").stdout).toMatch(/GATE_APPROVED.*version 1 by ana \(confirmed fetch: the network\)/);
  });
});
