// The gate from the command line, in a temporary workspace with its own store.
import { copyFile, readdir, readFile, writeFile } from "node:fs/promises";
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
    expect(result.stdout).toContain(`⚠ RISKY (the plan marks it risky) — approving needs the phrase "${PHRASE}"`);
    expect(result.stdout).toMatch(/Next: peh approve r-\S+ --version 1 --as NAME --confirm "deploy 2.4.1 to production"/);
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

  it("shows every line of a multi-line run indented under its task, and counts one task as one", async () => {
    await writeFile(
      join(workspace.path, "multi.yaml"),
      ["objective: Write notes.txt", "tasks:", "  - id: notes", "    objective: Write notes.txt", "    scope: workspace", "    run: |", "      echo one > notes.txt", "      echo two >> notes.txt", '    acceptance_tests: ["test -s notes.txt"]', ""].join("\n"),
    );
    const result = peh("plan", "--from", "multi.yaml");
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(["      run: echo one > notes.txt", "           echo two >> notes.txt", "      check: test -s notes.txt"].join("\n"));
    expect(peh("log").stdout).toContain("PLAN_CREATED · version 1, 1 task (planner: file)");
  });

  it("reports schema and semantic problems in one run: a file with 2 of one and 8 of the other gets 10 errors", async () => {
    await writeFile(
      join(workspace.path, "bad.yaml"),
      [
        "objective: Ship app.js to the CDN",
        "tasks:",
        "  - { id: a, objective: Build a.js, scope: galaxy, run: make }",
        "  - { id: b, objective: Build b.js, scope: workspace, run: make, idempotent: maybe }",
        "  - { id: c, objective: Build c.js, scope: workspace, depends_on: [a, zz], run: make }",
        "  - { id: c, objective: Build c2.js, scope: workspace, run: make }",
        "  - { id: d, objective: Build d.js, scope: workspace }",
        "  - { id: e, objective: Build e.js, scope: module, run: make }",
        "  - { id: f, objective: Build f.js, scope: module, scope_path: ../up, run: make }",
        "  - { id: g, objective: Build g.js, scope: workspace, run: make, confirm: ok }",
        "  - { id: h, objective: Build h.js, scope: workspace, depends_on: [i], run: make }",
        "  - { id: i, objective: Build i.js, scope: workspace, depends_on: [h], run: make }",
        "  - { id: j, objective: Build j.js, scope: workspace, run: make, timeout: 0s }",
      ].join("\n"),
    );
    const result = peh("plan", "--from", "bad.yaml", "--json");
    expect(result.code).toBe(2);
    const errors = (JSON.parse(result.stdout) as { problems: { code: string; severity: string }[] }).problems.filter((p) => p.severity === "error");
    expect(errors.map((p) => p.code).sort()).toEqual(["CYCLE", "DUPLICATE_ID", "GENERIC_CONFIRM", "NO_CHECK", "SCHEMA", "SCHEMA", "SCHEMA", "SCOPE_ESCAPE", "SCOPE_PATH_MISSING", "UNKNOWN_DEPENDENCY"]);
    expect(peh("plan", "--from", "bad.yaml").stderr).toContain("the plan has 10 errors; nothing was recorded");
    expect(await runs()).toEqual([]);
  });

  it("plans an objective with the built-in planner", () => {
    const result = peh("plan", "add dark mode to the dashboard");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Task 1/5: design");
  });

  it("shows the one risky step of a release with its reason and a phrase that names what it approves", () => {
    const result = peh("plan", "release saas-backend 2.4.1 to production");
    expect(result.code).toBe(0);
    expect(result.stdout.match(/⚠ RISKY/g)).toHaveLength(1);
    expect(result.stdout).toContain('⚠ RISKY (deploys to production) — approving needs the phrase "deploy saas-backend 2.4.1 to production"');
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

  it("asks for the phrase of a task that has one though nothing else makes it risky, and refuses a generic phrase", async () => {
    const tasks = ["tasks:", "  - { id: a, objective: Build a.js, scope: workspace, run: make }", "  - { id: b, objective: Build b.js, scope: workspace, run: make }"];
    await writeFile(join(workspace.path, "tag.yaml"), ["objective: Tag v1 of app.js", ...tasks, "  - { id: tag, objective: Tag v1, scope: workspace, run: git tag v1, confirm: tag v1 now }"].join("\n"));
    const planned = peh("plan", "--from", "tag.yaml");
    expect(planned.stdout).toContain('⚠ RISKY (the plan gives it a confirmation phrase) — approving needs the phrase "tag v1 now"');
    expect(peh("approve", "--as", "ana").code).toBe(2);
    expect(peh("approve", "--as", "ana", "--confirm", "tag v1 now").code).toBe(0);
    await writeFile(join(workspace.path, "yes.yaml"), ["objective: Tag v1 of app.js", ...tasks, '  - { id: tag, objective: Tag v1, scope: workspace, run: git tag v1, risky: true, confirm: " Yes " }'].join("\n"));
    const generic = peh("plan", "--from", "yes.yaml");
    expect(generic.code).toBe(2);
    expect(generic.stderr).toMatch(/GENERIC_CONFIRM \(task tag, line 5\): task "tag": confirm " Yes " is a generic yes, and a generic yes never approves a risky task/);
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

  it("approves without --version only the plan as created: a modified plan needs the version named", () => {
    peh("plan", "--from", "release.yaml");
    expect(peh("modify", "--skip", "lint", "--as", "mallory").code).toBe(0);
    const unnamed = peh("approve", "--as", "ana", "--confirm", PHRASE);
    expect(unnamed.code).toBe(2);
    expect(unnamed.stderr).toMatch(/version 2 of r-\S+'s plan was made by a modification \(by mallory\): say which version you reviewed with --version; nothing was approved/);
    expect(unnamed.stderr).toMatch(/hint {2}review it \(peh show r-\S+\), then: peh approve r-\S+ --version 2 --as ana --confirm "deploy 2.4.1 to production"/);
    const stale = peh("approve", "--version", "1", "--as", "ana", "--confirm", PHRASE);
    expect(stale.code).toBe(4);
    expect(stale.stderr).toMatch(/plan changed to version 2 \(by mallory\) after you reviewed version 1; nothing was approved/);
    expect(JSON.parse(peh("show", "--json").stdout)).toMatchObject({ state: "awaiting_approval", version: 2, approved_version: null });
    const named = peh("approve", "--version", "2", "--as", "ana", "--confirm", PHRASE);
    expect(named.code, named.stderr).toBe(0);
    expect(named.stdout).toContain("approved version 2");
  });

  it("prints after plan, modify, refine and an answer the exact approve command, which approves as pasted", () => {
    const next = (stdout: string) => /Next: (peh approve .*)$/m.exec(stdout)?.[1]?.replace("NAME", "ana");
    const planned = next(peh("plan", "--from", "release.yaml").stdout);
    expect(planned).toMatch(/^peh approve r-\S+ --version 1 --as ana --confirm "deploy 2.4.1 to production"$/);
    const modified = next(peh("modify", "--skip", "lint", "--as", "bo").stdout);
    expect(modified).toMatch(/ --version 2 --as ana /);
    const refined = next(peh("refine", "--feedback", "skip unit-tests", "--as", "bo").stdout);
    expect(refined).toMatch(/ --version 3 --as ana /);
    peh("clarify", "--question", "which region?", "--as", "bo");
    const answered = next(peh("clarify", "--answer", "eu-west-1", "--as", "ana").stdout);
    expect(answered).toBe(refined);
    // Pasted as a shell would split it: the phrase is one argument.
    const words = answered!.split(" --confirm ")[0]!.split(" ").slice(1);
    const pasted = peh(...words, "--confirm", PHRASE);
    expect(pasted.code, pasted.stderr).toBe(0);
    expect(pasted.stdout).toContain("approved version 3");
  });

  it("refuses a modification naming an unknown task, with the task list", () => {
    peh("plan", "--from", "release.yaml");
    const result = peh("modify", "--skip", "nope", "--as", "bo");
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('the plan has no task "nope"');
    expect(result.stderr).toContain("build, unit-tests, lint, deploy-prod");
  });

  it("says clause by clause what a partial refine applied and what it did not, also with --json", () => {
    expect(peh("plan", "add dark mode to the dashboard").code).toBe(0);
    const result = peh("refine", "--feedback", "skip document; make it pop; skip nonexistent", "--as", "bo");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("applied: skip document");
    // Free-form feedback is reviewer guidance for the agent tasks' prompts (issue 22).
    expect(result.stdout).toContain('reviewer guidance "make it pop" added to the prompts of');
    expect(JSON.stringify(JSON.parse(peh("show", "--json").stdout))).toContain("Reviewer guidance: make it pop");
    expect(result.stdout).toContain('not applied: "skip nonexistent": the plan has no task "nonexistent"');
    expect(result.stdout).toContain('feedback the built-in planner understands: "skip ID"');
    const json = JSON.parse(peh("refine", "--feedback", "skip verify; skip nope", "--as", "bo", "--json").stdout) as { version: number; applied: string[]; not_applied: string[] };
    expect(json).toMatchObject({ version: 3, applied: ["skip verify"], not_applied: ['"skip nope": the plan has no task "nope"'] });
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

  it("refuses a gate action in plain words by the plan's state, with the detail in --json", async () => {
    peh("plan", "--from", "release.yaml");
    const log = async () => readFile(join(workspace.path, ".peh", "runs", (await runs())[0]!, "events.jsonl"), "utf8");
    const created = await log();
    const answer = peh("clarify", "--answer", "eu-west-1", "--as", "ana");
    expect(answer.code).toBe(2);
    expect(answer.stderr).toContain("`peh clarify --answer` refused: the plan has no open question (version 1 awaits approval); nothing was recorded");
    expect(answer.stderr).not.toMatch(/AnswerClarification|GATE_APPROVAL_REQUESTED|is not allowed/);
    expect(answer.stderr).toMatch(/hint {2}peh approve r-\S+ /);
    const json = JSON.parse(peh("clarify", "--answer", "eu-west-1", "--as", "ana", "--json").stdout) as { error: { code: string; details: Record<string, unknown> } };
    expect(json.error).toMatchObject({ code: "ILLEGAL_TRANSITION", details: { action: "answer", plan_state: "awaiting_approval", event: "GATE_APPROVAL_REQUESTED" } });
    expect(await log()).toBe(created);
    expect(peh("reject", "--reason", "not this week", "--as", "bo").code).toBe(0);
    const rejected = await log();
    expect(peh("reject", "--reason", "again", "--as", "bo").stderr).toContain("`peh reject` refused: the plan is already rejected");
    expect(peh("refine", "--feedback", "skip lint", "--as", "bo").stderr).toContain("`peh refine` refused: the plan was rejected");
    expect(await log()).toBe(rejected);
  });

  it('says "system" is peh\'s own name, not a human\'s, wherever a name is given', () => {
    peh("plan", "--from", "release.yaml");
    for (const args of [["approve", "--as", "system", "--confirm", PHRASE], ["reject", "--reason", "no", "--as", " system "]]) {
      const result = peh(...args);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`"system" (--as) is peh's own actor name, not a human's; nothing was recorded`);
      expect(result.stderr).not.toContain("peh needs to know who");
    }
    const fromEnv = run(["approve", "--confirm", PHRASE], { cwd: workspace.path, env: { PEH_ACTOR: "system", XDG_CONFIG_HOME: join(workspace.path, ".config") } });
    expect(fromEnv.stderr).toContain(`"system" ($PEH_ACTOR) is peh's own actor name`);
    const oneGo = peh("run", "--from", "release.yaml", "--approve-as", "system", "--confirm", PHRASE);
    expect(oneGo.code).toBe(2);
    expect(oneGo.stderr).toContain(`"system" (--approve-as) is peh's own actor name`);
    expect(JSON.parse(peh("show", "--json").stdout)).toMatchObject({ state: "awaiting_approval", approved_version: null });
  });

  it("says there are no runs yet", () => {
    const result = peh("show");
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("no runs yet");
  });
});
