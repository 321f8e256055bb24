// Before a run starts attempts, every agent task must be able to start: an agent command, whose
// program exists on PATH or as a path.
import { chmod, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PlanTaskSchema, type PlanTask } from "../../events/index.js";
import { agentProblems, programOf, requireAgentCommands } from "../../runtime/execution/attempt/agent-check.js";
import { tempDir } from "../support/temp-dir.js";

let dir: { path: string; remove(): Promise<void> };
beforeEach(async () => {
  dir = await tempDir();
  await mkdir(join(dir.path, "bin"));
  await writeFile(join(dir.path, "bin", "fake-agent"), "#!/bin/sh\ncat >/dev/null\n");
  await chmod(join(dir.path, "bin", "fake-agent"), 0o755);
  await writeFile(join(dir.path, "bin", "not-executable"), "");
});
afterEach(async () => dir.remove());

const task = (id: string, fields: Partial<PlanTask> = {}): PlanTask =>
  PlanTaskSchema.parse({ id, objective: `Write ${id}.md`, scope: "workspace", agent: `Write ${id}.md`, acceptance_tests: [`test -s ${id}.md`], ...fields });
const check = (tasks: PlanTask[], agentCommand?: string) => agentProblems(tasks, agentCommand, { PATH: join(dir.path, "bin") }, () => dir.path);

describe("agent check › the program of a command line", () => {
  it.each([
    ["claude -p --output-format stream-json", "claude"],
    ["FOO=1 BAR='a b' fake-agent --x", "fake-agent"],
    ["'/opt/my agent/run' -x", "/opt/my agent/run"],
    ["./bin/agent.sh; echo done", "./bin/agent.sh"],
    ["cat > prompt.txt", "cat"],
  ])("%s starts %s", (command, program) => {
    expect(programOf(command)).toBe(program);
  });

  it.each(["exec claude", "cd sub && claude", "$AGENT -p", "(claude)", "if true; then claude; fi"])("cannot tell what %s starts", (command) => {
    expect(programOf(command)).toBeUndefined();
  });
});

describe("agent check › agent tasks", () => {
  it("names every agent task without an agent command, and no task that has its own run or is not an agent task", () => {
    const tasks = [task("notes"), task("review"), task("own", { run: "fake-agent" }), PlanTaskSchema.parse({ id: "build", objective: "Build", scope: "workspace", run: "true", acceptance_tests: ["true"] })];
    expect(check(tasks)).toEqual([
      { task_id: "notes", problem: "no agent command" },
      { task_id: "review", problem: "no agent command" },
    ]);
    expect(check(tasks, "fake-agent -p")).toEqual([]);
  });

  it("names an agent command whose program is not on PATH, or is a path to no executable file", () => {
    expect(check([task("notes")], "claudx -p")).toEqual([{ task_id: "notes", problem: 'its agent command "claudx -p" cannot start: "claudx" is not on PATH' }]);
    expect(check([task("notes")], "./bin/not-executable")[0]?.problem).toMatch(/bin\/not-executable is not an executable file/);
    expect(check([task("notes")], "./bin/fake-agent")).toEqual([]);
    expect(check([task("notes")], "$AGENT")).toEqual([]);
  });

  it("refuses the run with the tasks and the fix, exit 2 (USAGE)", () => {
    expect(() => requireAgentCommands("r-1", [{ task_id: "notes", problem: "no agent command" }])).toThrow(
      expect.objectContaining({ code: "USAGE", message: expect.stringContaining("notes (no agent command); nothing was started"), hint: expect.stringContaining('peh run r-1 --agent-command "claude -p"') }),
    );
    expect(() => requireAgentCommands("r-1", [])).not.toThrow();
  });
});
