import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { syntheticLog } from "../../bench/synthetic.js";
import { peh } from "../support/cli.js";
import { tempDir } from "../support/temp-dir.js";

describe("peh binary", () => {
  it("prints help and exits 0", () => {
    const result = peh(["--help"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Usage: peh");
  });

  it("prints the worker lifecycle as Mermaid with every state of the contract", () => {
    const result = peh(["graph", "worker", "--format", "mermaid"]);
    expect(result.code).toBe(0);
    for (const state of ["spawning", "trust_required", "trust_resolved", "ready_for_prompt", "running", "finished", "failed"]) {
      expect(result.stdout).toContain(state);
    }
    expect(result.stdout).toContain("trust_required --> trust_resolved: WORKER_TRUST_RESOLVED");
  });

  it("exits 2 with a hint for an unknown machine, and as JSON with --json", () => {
    const text = peh(["graph", "nope"]);
    expect(text.code).toBe(2);
    expect(text.stderr).toContain('unknown machine "nope"');
    expect(text.stderr).toContain("plan, task, worker, bootstrap");
    const json = peh(["graph", "nope", "--json"]);
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout)).toMatchObject({ error: { code: "USAGE", message: 'unknown machine "nope"' } });
  });

  it("lists every command of DESIGN §7 in --help", () => {
    const help = peh(["--help"]).stdout;
    for (const name of ["plan", "show", "approve", "modify", "refine", "clarify", "reject", "run", "decide", "trust", "status", "runs", "log", "replay", "report", "inspect", "graph", "serve"]) {
      expect(help).toMatch(new RegExp(`^  ${name}\\b`, "m"));
    }
    const serve = peh(["serve", "nope"]);
    expect(serve.code).toBe(2);
    expect(serve.stderr).toContain("planning, bootstrap, worker");
  });

  it("prints all of an output far larger than a pipe holds before it exits", async () => {
    const dir = await tempDir();
    try {
      const log = syntheticLog(1_500);
      await mkdir(join(dir.path, "runs", log[0]!.run_id), { recursive: true });
      await writeFile(join(dir.path, "runs", log[0]!.run_id, "events.jsonl"), log.map((event) => JSON.stringify(event)).join("\n") + "\n");
      // One write of the whole document: a pipe takes 64 KiB of it at once, Node queues the rest.
      const result = peh(["--store", dir.path, "status", "--json"]);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout.length).toBeGreaterThan(10 * 65_536);
      expect((JSON.parse(result.stdout) as { seq: number; tasks: unknown[] }).tasks).toHaveLength(1_500);
    } finally {
      await dir.remove();
    }
  });

  it("says so when the store is a file, through --store or $PEH_STORE (exit 2), and writes nothing", async () => {
    const dir = await tempDir();
    try {
      const file = join(dir.path, "not-a-store");
      await writeFile(file, "notes\n");
      await writeFile(join(dir.path, "plan.json"), JSON.stringify({ objective: "Write a.txt", tasks: [{ id: "a", objective: "Write a.txt", scope: "workspace", run: "touch a.txt" }] }));
      for (const result of [peh(["--store", file, "plan", "--from", "plan.json"], { cwd: dir.path }), peh(["status"], { cwd: dir.path, env: { PEH_STORE: join(file, "below") } })]) {
        expect(result.code).toBe(2);
        expect(result.stderr).toMatch(/the store \S+not-a-store\S* (is not a directory|is below a file)/);
        expect(result.stderr).not.toContain("unexpected error");
      }
      expect(await readFile(file, "utf8")).toBe("notes\n");
    } finally {
      await dir.remove();
    }
  });

  it("lists every run even when one's log is damaged, marking that one", async () => {
    const dir = await tempDir();
    try {
      const good = syntheticLog(3);
      const bad = syntheticLog(2).map((event) => ({ ...event, run_id: "r-damaged", id: `r-damaged.${event.seq}` }));
      for (const log of [good, bad]) {
        await mkdir(join(dir.path, "runs", log[0]!.run_id), { recursive: true });
        const lines = log.map((event) => JSON.stringify(event));
        if (log === bad) lines[1] = '{"garbage": true}';
        await writeFile(join(dir.path, "runs", log[0]!.run_id, "events.jsonl"), lines.join("\n") + "\n");
      }
      const text = peh(["--store", dir.path, "runs"]);
      expect(text.code, text.stderr).toBe(0);
      expect(text.stdout).toContain(good[0]!.run_id);
      expect(text.stdout).toMatch(/r-damaged\s+damaged .*seq 2/);
      const json = JSON.parse(peh(["--store", dir.path, "runs", "--json"]).stdout) as { run_id: string; state: string; error?: { code: string } }[];
      expect(json.map((row) => [row.run_id, row.state, row.error?.code])).toEqual(expect.arrayContaining([[good[0]!.run_id, expect.any(String), undefined], ["r-damaged", "damaged", "STORE_CORRUPT"]]));
    } finally {
      await dir.remove();
    }
  });

  it("exits 2 on an unknown option", () => {
    expect(peh(["graph", "--bogus"]).code).toBe(2);
  });
});

describe("peh binary › RUN", () => {
  const golden = fileURLToPath(new URL("../fixtures/golden/release.events.jsonl", import.meta.url));
  const FIRST = "r-20261123-205816-4b1f";
  const SECOND = "r-20261123-205817-beef";
  const takingRun: string[][] = [
    ["show", "RUN"],
    ["approve", "RUN", "--as", "ana"],
    ["modify", "RUN", "--skip", "lint", "--as", "ana"],
    ["refine", "RUN", "--feedback", "skip lint", "--as", "ana"],
    ["clarify", "RUN", "--question", "which region?", "--as", "ana"],
    ["reject", "RUN", "--reason", "no", "--as", "ana"],
    ["run", "RUN"],
    ["decide", "RUN", "--task", "lint", "skip", "--as", "ana"],
    ["trust", "RUN", "--task", "lint", "--as", "ana"],
    ["status", "RUN"],
    ["log", "RUN"],
    ["replay", "RUN", "--at", "1"],
    ["report", "RUN"],
    ["inspect", "RUN", "--record", "run.inspect.jsonl"],
    ["graph", "task", "--run", "RUN"],
  ];

  /** A store with two recorded runs whose ids both start with `r-20261123-2058`. */
  async function twoRuns(): Promise<{ path: string; remove(): Promise<void> }> {
    const dir = await tempDir();
    const text = await readFile(golden, "utf8");
    for (const [id, log] of [[FIRST, text], [SECOND, text.replaceAll(FIRST, SECOND)]] as const) {
      await mkdir(join(dir.path, "runs", id), { recursive: true });
      await writeFile(join(dir.path, "runs", id, "events.jsonl"), log);
    }
    return dir;
  }

  it.each(takingRun)("peh %s refuses the start of two runs' ids, naming both (exit 2)", async (...argv) => {
    const dir = await twoRuns();
    try {
      const result = peh(["--store", dir.path, ...argv.map((word) => (word === "RUN" ? "r-20261123-2058" : word)), "--json"], { cwd: dir.path });
      expect(result.code).toBe(2);
      expect(JSON.parse(result.stdout)).toMatchObject({ error: { code: "USAGE", message: `"r-20261123-2058" is the start of 2 runs' ids: ${FIRST}, ${SECOND}` } });
    } finally {
      await dir.remove();
    }
  });

  it("takes a run by the start of its id, or latest, as by its id", async () => {
    const dir = await twoRuns();
    try {
      const status = (run: string) => JSON.parse(peh(["--store", dir.path, "status", run, "--json"]).stdout) as { run_id: string };
      expect(status("r-20261123-205816").run_id).toBe(FIRST);
      expect(status("latest").run_id).toBe(SECOND);
      const typo = peh(["--store", dir.path, "show", "r-20261123-205818"]);
      expect(typo.code).toBe(2);
      expect(typo.stderr).toContain(`there is no run "r-20261123-205818" in this store`);
      expect(typo.stderr).toMatch(/did you mean r-20261123-20581[67]/);
    } finally {
      await dir.remove();
    }
  });
});
