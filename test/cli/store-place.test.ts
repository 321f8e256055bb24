// Where peh finds its store, and what a store it cannot use or trust exits with: the nearest .peh
// here or above (as git finds .git); an explicit --store or $PEH_STORE that does not exist is an
// error for every command that reads; a damaged store exits 5, not 1 ("the run failed").
import { appendFile, mkdir, readdir, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { peh } from "../support/cli.js";
import { tempDir } from "../support/temp-dir.js";

const plan = JSON.stringify({ objective: "Write a.txt", tasks: [{ id: "a", objective: "Write a.txt", scope: "workspace", run: "touch a.txt" }] });

let dir: { path: string; remove(): Promise<void> };
beforeEach(async () => {
  dir = await tempDir();
  await writeFile(join(dir.path, "plan.json"), plan);
});
afterEach(async () => dir.remove());

const runIdIn = async (store: string) => (await readdir(join(store, "runs")))[0]!;

describe("peh › the store's place", () => {
  it("is the nearest .peh in the working directory or above it, and no second store is made below", async () => {
    expect(peh(["plan", "--from", "plan.json"], { cwd: dir.path }).code).toBe(0);
    const runId = await runIdIn(join(dir.path, ".peh"));
    const deep = join(dir.path, "src", "app");
    await mkdir(deep, { recursive: true });
    const status = peh(["status", "--json"], { cwd: deep });
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout).run_id).toBe(runId);
    expect(peh(["plan", "--from", "../../plan.json"], { cwd: deep }).code).toBe(0);
    expect(await readdir(join(dir.path, ".peh", "runs"))).toHaveLength(2);
    expect(existsSync(join(deep, ".peh")) || existsSync(join(dir.path, "src", ".peh"))).toBe(false);
  });

  it("named by --store or $PEH_STORE but missing, is an error for a command that reads (exit 2, naming it)", async () => {
    const missing = join(dir.path, "nonexistent");
    for (const result of [
      peh(["--store", missing, "runs"], { cwd: dir.path }),
      peh(["status"], { cwd: dir.path, env: { PEH_STORE: missing } }),
      peh(["log", "--store", missing], { cwd: dir.path }),
    ]) {
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`the store ${missing} (from `);
      expect(result.stderr).toContain("does not exist");
    }
    expect(existsSync(missing)).toBe(false);
  });

  it("named but missing, is made by peh plan and peh run --from, if the directory above it exists", async () => {
    const made = join(dir.path, "stores", "team");
    const refused = peh(["--store", made, "plan", "--from", "plan.json"], { cwd: dir.path });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`cannot make the store ${made} (from --store): ${join(dir.path, "stores")} does not exist`);
    await mkdir(join(dir.path, "stores"));
    expect(peh(["--store", made, "plan", "--from", "plan.json"], { cwd: dir.path }).code).toBe(0);
    expect(await readdir(join(made, "runs"))).toHaveLength(1);
    const other = join(dir.path, "stores", "other");
    // Recorded, then waiting for its approval.
    const run = peh(["run", "--from", "plan.json"], { cwd: dir.path, env: { PEH_STORE: other } });
    expect(run.code, run.stderr).toBe(3);
    expect(await readdir(join(other, "runs"))).toHaveLength(1);
  });
});

describe("peh › a damaged store", () => {
  it("exits 5, which no other failure uses, naming the file and seq", async () => {
    expect(peh(["plan", "--from", "plan.json"], { cwd: dir.path }).code).toBe(0);
    const runId = await runIdIn(join(dir.path, ".peh"));
    const log = join(dir.path, ".peh", "runs", runId, "events.jsonl");
    await appendFile(log, "{not json\n" + "{}\n");
    for (const args of [["status"], ["approve", "--as", "ana"], ["log"], ["report"]]) {
      const result = peh(args, { cwd: dir.path });
      expect(result.code, `${args.join(" ")}: ${result.stderr}`).toBe(5);
      expect(result.stderr).toContain(`${log}: the line for seq 3 is not JSON`);
    }
    expect(peh(["--help"]).stdout).toContain("5 the store is damaged");
  });
});
