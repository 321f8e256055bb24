import { describe, expect, it } from "vitest";
import { peh } from "../support/cli.js";

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

  it("exits 2 on an unknown option", () => {
    expect(peh(["graph", "--bogus"]).code).toBe(2);
  });
});
