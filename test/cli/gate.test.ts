// The gate from the command line, in a temporary workspace with its own store.
import { copyFile, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { peh as run } from "../support/cli.js";
import { tempDir } from "../support/temp-dir.js";

const release = fileURLToPath(new URL("../../examples/release.yaml", import.meta.url));
const PHRASE = "deploy 2.4.1 to production";
let workspace: { path: string; remove(): Promise<void> };
// Its own user config (XDG_CONFIG_HOME): tests never read or write the real user's trust roots.
const peh = (...args: string[]) =>
  run(args, { cwd: workspace.path, env: { PEH_ACTOR: "", PEH_TRUST_ROOTS: "", XDG_CONFIG_HOME: join(workspace.path, ".config") } });
const runs = async () => readdir(join(workspace.path, ".peh", "runs")).catch(() => [] as string[]);

beforeEach(async () => {
  workspace = await tempDir();
  await copyFile(release, join(workspace.path, "release.yaml"));
});
afterEach(async () => workspace.remove());

describe("peh plan", () => {
  it("creates a run and shows the plan numbered, with dependencies and the risky phrase", async () => {
    const result = peh("plan", "--from", "release.yaml");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Task 2/4: unit-tests (depends on Task 1)");
    expect(result.stdout).toContain(`⚠ RISKY — approving needs the phrase "${PHRASE}"`);
    expect(result.stdout).toMatch(/Next: peh approve r-\S+ --as NAME --confirm "deploy 2.4.1 to production"/);
    expect(await runs()).toHaveLength(1);
  });

  it("prints {run_id, plan, problems} with --json", () => {
    const result = peh("plan", "--from", "release.yaml", "--json");
    const json = JSON.parse(result.stdout) as { run_id: string; plan: { version: number; tasks: unknown[] }; problems: unknown[] };
    expect(json.run_id).toMatch(/^r-/);
    expect(json.plan.version).toBe(1);
    expect(json.plan.tasks).toHaveLength(4);
    expect(json.problems).toEqual([]);
  });

  it("refuses an invalid plan with every problem, exits 2 and records nothing", async () => {
    await writeFile(
      join(workspace.path, "bad.yaml"),
      "objective: Ship app.js\ntasks:\n  - id: a\n    objective: Build a.js\n    scope: workspace\n    depends_on: [b]\n    run: make\n  - id: b\n    objective: Test a.js\n    scope: workspace\n    depends_on: [a]\n",
    );
    const result = peh("plan", "--from", "bad.yaml");
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("nothing was recorded");
    expect(result.stderr).toMatch(/CYCLE \(task a, line 6\): dependency cycle: a → b → a/);
    expect(result.stderr).toMatch(/NO_CHECK \(task b, line 8\)/);
    expect(await runs()).toEqual([]);
    const json = JSON.parse(peh("plan", "--from", "bad.yaml", "--json").stdout) as { run_id: null; problems: { code: string }[] };
    expect(json.run_id).toBeNull();
    expect(json.problems.map((p) => p.code).sort()).toEqual(["CYCLE", "NO_CHECK", "TASK_COUNT"]);
  });

  it("plans an objective with the built-in planner", () => {
    const result = peh("plan", "add dark mode to the dashboard");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Task 1/5: design");
  });

  it("takes --planner-timeout as seconds or as a duration, and refuses anything else", async () => {
    const slow = peh("plan", "--planner", "cmd:sleep 30", "--planner-timeout", "1s", "Write notes.md for 1.2");
    expect(slow.code).toBe(2);
    expect(slow.stderr).toContain("did not answer within 1000 ms");
    const bare = peh("plan", "--planner", "cmd:sleep 30", "--planner-timeout", "1", "Write notes.md for 1.2");
    expect(bare.stderr).toContain("did not answer within 1000 ms");
    const compound = peh("plan", "--planner", "cmd:sleep 30", "--planner-timeout", "0m1s", "Write notes.md for 1.2");
    expect(compound.stderr).toContain("did not answer within 1000 ms");
    const tooLong = peh("plan", "--planner", "cmd:sleep 30", "--planner-timeout", "366d", "Write notes.md for 1.2");
    expect(tooLong.code).toBe(2);
    expect(tooLong.stderr).toContain("--planner-timeout 366d is longer than peh allows (365d)");
    const nonsense = peh("plan", "--planner", "cmd:sleep 30", "--planner-timeout", "soon", "Write notes.md for 1.2");
    expect(nonsense.code).toBe(2);
    expect(nonsense.stderr).toContain('--planner-timeout wants seconds (60) or a duration (90s, 2m), not "soon"');
    expect(await runs()).toEqual([]);
  });

  it("approve --version N approves the version reviewed and refuses another; peh --version is peh's own", () => {
    peh("plan", "--from", "release.yaml");
    const stale = peh("approve", "--version", "2", "--as", "ana", "--confirm", PHRASE);
    expect(stale.code).toBe(2);
    expect(stale.stderr).toMatch(/plan is at version 1, not the version 2 you reviewed; nothing was approved/);
    expect(peh("approve", "--version", "two", "--as", "ana").stderr).toContain('--version wants the plan version you reviewed (1, 2, …), not "two"');
    const approved = peh("approve", "--version", "1", "--as", "ana", "--confirm", PHRASE);
    expect(approved.code, approved.stderr).toBe(0);
    expect(approved.stdout).toContain("approved version 1");
    for (const flag of ["--version", "-V"]) expect(peh(flag).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    // The store may still be named after the command, as before it.
    expect(peh("status", "--store", join(workspace.path, ".peh"), "--json").code).toBe(0);
  });

  it("refuses an objective and a plan file together, recording nothing", async () => {
    const both = peh("plan", "Write notes.md for 1.2", "--from", "release.yaml");
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('give an objective or a plan file, not both ("Write notes.md for 1.2" and --from release.yaml)');
    expect(await runs()).toEqual([]);
  });

  it("says what is missing for a plan file that does not exist", () => {
    const result = peh("plan", "--from", "nope.yaml");
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("does not exist");
  });
});

describe("peh approve, run, modify, show", () => {
  it("gates the run: exit 3 until approved with the phrase; a generic yes is refused", () => {
    peh("plan", "--from", "release.yaml");
    const waiting = peh("run");
    expect(waiting.code).toBe(3);
    expect(waiting.stderr).toContain("nothing was started");
    expect(waiting.stderr).toContain(`--confirm "${PHRASE}"`);
    const yes = peh("approve", "--as", "ana", "--confirm", "yes");
    expect(yes.code).toBe(2);
    expect(yes.stderr).toContain(`deploy-prod ("${PHRASE}")`);
    const anonymous = peh("approve", "--confirm", PHRASE); // no --as, no terminal: who?
    expect(anonymous.code).toBe(2);
    expect(anonymous.stderr).toContain("peh needs to know who approves (a human's name, recorded in the log)");
    expect(anonymous.stderr).toContain("pass --as NAME");
    const approved = peh("approve", "--as", "ana", "--confirm", PHRASE);
    expect(approved.code).toBe(0);
    expect(approved.stdout).toContain("approved version 1");
  });

  it("needs a new approval after a modification", () => {
    peh("plan", "--from", "release.yaml");
    peh("approve", "--as", "ana", "--confirm", PHRASE);
    const modified = peh("modify", "--skip", "lint", "--as", "bo");
    expect(modified.code).toBe(0);
    expect(modified.stdout).toContain("made version 2");
    expect(peh("run").code).toBe(3);
    const show = JSON.parse(peh("show", "--json").stdout) as { version: number; approved_version: number | null; state: string; history: { action: string; actor: string }[] };
    expect(show).toMatchObject({ version: 2, approved_version: null, state: "awaiting_approval" });
    expect(show.history.map((h) => [h.action, h.actor])).toEqual([
      ["created", "system"],
      ["approval requested", "system"],
      ["approved", "ana"],
      ["modified", "bo"],
      ["approval requested", "bo"],
    ]);
  });

  it("refuses a modification naming an unknown task, with the task list", () => {
    peh("plan", "--from", "release.yaml");
    const result = peh("modify", "--skip", "nope", "--as", "bo");
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('the plan has no task "nope"');
    expect(result.stderr).toContain("build, unit-tests, lint, deploy-prod");
  });

  it("refuses to approve a rejected plan", () => {
    peh("plan", "--from", "release.yaml");
    expect(peh("reject", "--reason", "not this week", "--as", "bo").code).toBe(0);
    const approve = peh("approve", "--as", "ana", "--confirm", PHRASE);
    expect(approve.code).toBe(2);
    expect(approve.stderr).toContain("rejected");
    expect(peh("run").code).toBe(2);
  });

  it("asks and answers a clarification, then shows the history", () => {
    peh("plan", "--from", "release.yaml");
    expect(peh("clarify", "--question", "which region?", "--as", "bo").code).toBe(0);
    expect(peh("approve", "--as", "ana", "--confirm", PHRASE).code).toBe(2);
    expect(peh("clarify", "--answer", "eu-west-1", "--as", "ana").code).toBe(0);
    const show = peh("show");
    expect(show.stdout).toContain("clarification requested");
    expect(show.stdout).toContain("which region?");
    expect(show.stdout).toContain("answer: eu-west-1");
  });

  it("plans, gates, approves and runs in one go with peh run --from and the flags", () => {
    const result = peh("run", "--from", "release.yaml", "--approve-as", "ana", "--confirm", PHRASE, "--trust-root", ".");
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("Task 4/4: deploy-prod");
    expect(result.stdout).toContain("[Task 4/4] ✓ deploy-prod");
    expect(JSON.parse(peh("show", "--json").stdout)).toMatchObject({ state: "completed", approved_version: 1 });
  });

  it("waits (exit 3) when run --from has no approval flags and no terminal", () => {
    const result = peh("run", "--from", "release.yaml");
    expect(result.code).toBe(3);
    expect(result.stderr).toContain("peh approve");
  });

  it("says there are no runs yet", () => {
    const result = peh("show");
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("no runs yet");
  });
});
