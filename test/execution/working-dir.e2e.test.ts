// Where a task's commands start and what they are told (DESIGN §10, issue 17 item 2), end to end
// through the binary: the workspace root (or the task's cwd) for its run, its agent command and
// each acceptance test, the PEH_* variables, and a missing scope directory made and logged.
import { mkdir, readFile, realpath, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { sandboxOff, skipWithoutSandbox } from "../support/sandbox.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { workspace, type Workspace } from "../support/workspace.js";

let ws: Workspace;
beforeEach(async () => {
  ws = await workspace();
});
afterEach(async () => ws.remove());

type Event = { type: string; data: Record<string, unknown> };
const runId = () => (JSON.parse(ws.peh("show", "--json").stdout) as { run_id: string }).run_id;
const events = async (): Promise<Event[]> => (await ws.read(`.peh/runs/${runId()}/events.jsonl`)).trim().split("\n").map((line) => JSON.parse(line) as Event);

/** A shell snippet that records where it runs and its PEH_* variables in $PEH_WORKSPACE/<name>.seen. */
const record = (name: string) => `{ pwd -P; env | grep -E '^PEH_(WORKSPACE|SCOPE_PATH|RUN_ID|TASK_ID|ATTEMPT)=' | sort; } > "$PEH_WORKSPACE/${name}.seen"`;

/** What a recorded snippet saw: its directory and its PEH_* variables. */
async function seen(name: string): Promise<{ pwd: string; env: Record<string, string> }> {
  const [pwd, ...vars] = (await readFile(join(ws.path, `${name}.seen`), "utf8")).trim().split("\n");
  return { pwd: pwd!, env: Object.fromEntries(vars.map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)])) };
}

describe("peh run › where a task's commands start", () => {
  /** The example: a single_file task on inputs/auth.py that writes fixed/auth.py. */
  async function singleFileExample(grant: string[]): Promise<void> {
    await mkdir(join(ws.path, "inputs"), { recursive: true });
    await mkdir(join(ws.path, "fixed"), { recursive: true });
    await ws.write("inputs/auth.py", 'import os\nSECRET_KEY = "hunter2"\n');
    await ws.write(
      "plan.yaml",
      [
        "objective: Read SECRET_KEY of inputs/auth.py from the environment",
        "tasks:",
        "  - id: fix-auth",
        "    objective: Write fixed/auth.py with SECRET_KEY read from the environment",
        "    scope: single_file",
        "    scope_path: inputs/auth.py",
        "    run: |-",
        `      sed 's/SECRET_KEY = .*/SECRET_KEY = os.environ["SECRET_KEY"]/' inputs/auth.py > fixed/auth.py`,
        "    acceptance_tests:",
        `      - grep -qxF 'SECRET_KEY = os.environ["SECRET_KEY"]' fixed/auth.py`,
        ...grant,
      ].join("\n"),
    );
  }

  it("runs the issue's single_file example from the workspace root, and it passes its check", async () => {
    // Unsandboxed, as the user ran it: the paths name the files from the root.
    await sandboxOff(ws);
    await singleFileExample([]);
    const result = ws.peh("run", "--from", "plan.yaml", "--approve-as", "ana", "--trust-root", ".");
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(await ws.read("fixed/auth.py")).toBe('import os\nSECRET_KEY = os.environ["SECRET_KEY"]\n');
    expect((await events()).find((e) => e.type === "WORKER_SPAWNING")?.data.cwd).toBe(ws.path);
  });

  it.skipIf(skipWithoutSandbox())("sandboxed, the example's write outside its file is refused until a human grants writable: [fixed]", async () => {
    await singleFileExample([]);
    const refused = ws.peh("run", "--from", "plan.yaml", "--approve-as", "ana", "--trust-root", ".");
    expect(refused.code, refused.stdout + refused.stderr).toBe(3);
    expect(refused.stdout).toContain("Read-only file system");
    expect(refused.stdout).toContain('writable: ["');
    await singleFileExample(["    writable: [fixed]", "    confirm: write the fixed auth.py"]);
    const unconfirmed = ws.peh("run", "--from", "plan.yaml", "--approve-as", "ana", "--trust-root", ".");
    expect(unconfirmed.code, unconfirmed.stdout + unconfirmed.stderr).toBe(2);
    const granted = ws.peh("run", "--from", "plan.yaml", "--approve-as", "ana", "--trust-root", ".", "--confirm", "write the fixed auth.py");
    expect(granted.code, granted.stdout + granted.stderr).toBe(0);
    expect(await ws.read("fixed/auth.py")).toBe('import os\nSECRET_KEY = os.environ["SECRET_KEY"]\n');
  });

  it("starts the run, the agent command and every acceptance test in the workspace root or the task's cwd, each with its PEH_* variables", async () => {
    // It writes what it saw outside its scopes: the sandbox's own tests are under test/sandbox.
    await sandboxOff(ws);
    await mkdir(join(ws.path, "pkg"));
    await mkdir(join(ws.path, "web"));
    const plan = {
      objective: "Record where pkg and web run",
      recovery: { logic_error: { max_retries: 1, delays: ["10ms"] } },
      tasks: [
        { id: "build", objective: "Build pkg/", scope: "module", scope_path: "pkg", run: record("build-run"), acceptance_tests: [record("build-check")] },
        { id: "page", objective: "Write web/index.html", scope: "workspace", cwd: "web", agent: "Write the page", acceptance_tests: [record("page-check")] },
        // Fails once, so that its second attempt says PEH_ATTEMPT=2.
        { id: "again", objective: "Build again.txt", scope: "single_file", scope_path: "again.txt", run: `${record("again-run")}; test -f again.txt || { touch again.txt; exit 1; }`, acceptance_tests: ["true"] },
      ],
    };
    await ws.write("plan.json", JSON.stringify(plan));
    const result = ws.peh("run", "--from", "plan.json", "--approve-as", "ana", "--trust-root", ".", "--concurrency", "1", "--agent-command", `cat > /dev/null; ${record("page-agent")}`);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const root = await realpath(ws.path);
    const run_id = runId();
    const expected = (task: string, scope: string, pwd: string, attempt = "1") => ({
      pwd,
      env: { PEH_ATTEMPT: attempt, PEH_RUN_ID: run_id, PEH_SCOPE_PATH: scope, PEH_TASK_ID: task, PEH_WORKSPACE: ws.path },
    });
    expect(await seen("build-run")).toEqual(expected("build", "pkg", root));
    expect(await seen("build-check")).toEqual(expected("build", "pkg", root));
    expect(await seen("page-agent")).toEqual(expected("page", ".", join(root, "web")));
    expect(await seen("page-check")).toEqual(expected("page", ".", join(root, "web")));
    expect(await seen("again-run")).toEqual(expected("again", "again.txt", root, "2"));
  });

  it("fails an attempt whose cwd does not exist before anything runs, saying so", async () => {
    await ws.write("plan.yaml", "objective: List src/new\ntasks:\n  - { id: gone, objective: List src/new, scope: workspace, cwd: src/new, run: 'touch ran.txt' }\n");
    const result = ws.peh("run", "--from", "plan.yaml", "--approve-as", "ana", "--trust-root", ".");
    expect(result.code, result.stderr).toBe(3);
    expect(result.stdout).toMatch(/✗ gone: did not start: the working directory \S+\/src\/new does not exist \(ENOENT\): nothing ran \(unrecoverable\)/);
    await expect(stat(join(ws.path, "ran.txt"))).rejects.toThrow();
  });
});

describe("peh run › a scope directory that does not exist yet", () => {
  it("is made, empty, when the first attempt runs, and the log says so (and not again once it exists)", async () => {
    // It writes what it saw outside its scopes: the sandbox's own tests are under test/sandbox.
    await sandboxOff(ws);
    await ws.write(
      "plan.yaml",
      [
        "objective: Write phase_1/notes.txt",
        "tasks:",
        // The packet of the public contract: a module whose directory nothing made yet.
        "  - { id: phase-1, objective: Write phase_1/notes.txt, scope: module, scope_path: phase_1, run: 'ls -A phase_1 > listed.txt; echo done > phase_1/notes.txt', acceptance_tests: ['test -s phase_1/notes.txt'] }",
        "  - { id: deeper, objective: Write a/b/c/notes.txt, scope: custom, scope_path: a/b/c, run: 'echo done > a/b/c/notes.txt', acceptance_tests: ['test -s a/b/c/notes.txt'] }",
      ].join("\n"),
    );
    const result = ws.peh("run", "--from", "plan.yaml", "--approve-as", "ana", "--trust-root", ".");
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(await ws.read("listed.txt")).toBe(""); // made empty
    expect(result.stdout).toContain("phase-1: made its scope directory phase_1 (it did not exist)");
    const running = (await events()).filter((e) => e.type === "WORKER_RUNNING").map((e) => e.data.made);
    expect(running).toEqual(["phase_1", "a/b/c"]);
    expect(ws.peh("log").stdout).toMatch(/WORKER_RUNNING .*phase-1#1: made the scope directory phase_1 \(it did not exist\)/);
    const logged = ws.peh("log", "--json").stdout.trim().split("\n").map((line) => JSON.parse(line) as { event: string; details: unknown });
    expect(logged.find((e) => e.event === "WORKER_RUNNING")?.details).toMatchObject({ made: "phase_1" });

    // A second run of the same plan finds the directories there: nothing is made, nothing said.
    const again = ws.peh("run", "--from", "plan.yaml", "--approve-as", "ana", "--trust-root", ".");
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).not.toContain("made its scope directory");
    expect((await events()).filter((e) => e.type === "WORKER_RUNNING").map((e) => e.data.made)).toEqual([undefined, undefined]);
  });
});

describe("examples/scopes.yaml", () => {
  it("runs in an empty directory: scope directories made, the fix written, the report in its cwd", async () => {
    const example = fileURLToPath(new URL("../../examples/scopes.yaml", import.meta.url));
    const result = ws.peh("run", "--from", example, "--approve-as", "you", "--trust-root", ".");
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(await ws.read("fixed/auth.py")).toBe('import os\nSECRET_KEY = os.environ["SECRET_KEY"]\n');
    expect((await ws.read("report/summary.txt")).split("\n")[0]).toBe(`report (attempt 1 of run ${runId()}) in report`);
    expect(ws.peh("show").stdout).toContain("      cwd: report");
  });
});

describe("the built-in planner's plan", () => {
  it("runs from the workspace root: notes-only steps scoped to docs/peh/<slug>, made on their first run", async () => {
    expect(ws.peh("plan", "audit the IAM roles").code).toBe(0);
    expect(ws.peh("approve", "--as", "ana").code).toBe(0);
    // An agent that writes every file its prompt's checks test for, named from where it starts.
    const agent = "grep -o 'test -s [^ ]*' | cut -c9- | while read -r f; do echo done > \"$f\"; done";
    const result = ws.peh("run", "--trust-root", ".", "--agent-command", agent);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain("inventory: made its scope directory docs/peh/audit-iam-roles (it did not exist)");
    expect(await ws.read("docs/peh/audit-iam-roles/report.md")).toBe("done\n");
  });
});

describe("peh plan › a task's cwd", () => {
  it("is refused when it leads out of the workspace or is no directory, every problem at once, each with its fix", async () => {
    await ws.write("notes.txt", "x\n");
    await writeFile(join(ws.path, "plan.yaml"), [
      "objective: Build web/app.js",
      "tasks:",
      "  - { id: up, objective: Build ../app.js, scope: workspace, cwd: ../elsewhere, run: 'true' }",
      "  - { id: abs, objective: Build /tmp/app.js, scope: workspace, cwd: /tmp, run: 'true' }",
      "  - { id: file, objective: Build notes.txt, scope: workspace, cwd: notes.txt, run: 'true' }",
      "  - { id: home, objective: Build app.js at home, scope: workspace, cwd: ~/web, run: 'true' }",
    ].join("\n"));
    const refused = ws.peh("plan", "--from", "plan.yaml");
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('task "up": cwd "../elsewhere" leaves the workspace');
    expect(refused.stderr).toContain('task "abs": cwd "/tmp" is absolute');
    expect(refused.stderr).toContain('task "file": cwd "notes.txt" is a file, not a directory');
    expect(refused.stderr).toContain('task "home": cwd "~/web" starts with ~');
    expect(refused.stderr).toContain("drop cwd to start in the workspace root");
    expect(JSON.parse(ws.peh("runs", "--json").stdout)).toEqual([]);
  });
});
