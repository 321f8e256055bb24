// A task's cwd is validated like its scope_path: relative, inside the workspace (as written and
// through its symlinks), a directory where something is there; every problem of a plan at once.
import { mkdir, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { PlanFileInput } from "../../events/index.js";
import type { ScopeFs } from "../../runtime/planning/scope/scope-escape.js";
import { nodeScopeFs } from "../../runtime/planning/scope/scope-fs.js";
import { validatePlan } from "../../runtime/planning/validate.js";
import { makeScopeDir, missingScopeDir } from "../../runtime/workspace/scope-dir.js";
import { placeEnv, scopePathOf, workingDirOf } from "../../runtime/workspace/place.js";
import { planFile } from "../support/fixtures.js";
import { tempDir } from "../support/temp-dir.js";

/** A file system as a table: "dir", "file", or "-> target" for a symlink (nothing else exists). */
function fakeFs(entries: Record<string, string>): ScopeFs {
  const kind = (path: string, hops = 0): "directory" | "file" | undefined => {
    const entry = entries[path];
    if (entry === undefined || hops > 40) return undefined;
    if (entry === "dir") return "directory";
    if (entry === "file") return "file";
    const target = entry.slice(3);
    return kind(target.startsWith("/") ? target : join(path, "..", target), hops + 1);
  };
  return { readlink: (path) => (entries[path]?.startsWith("-> ") ? entries[path]!.slice(3) : undefined), kind };
}

const W = { "/w": "dir", "/w/app": "dir", "/w/app/web": "dir", "/w/app/notes.txt": "file", "/srv": "dir", "/w/app/out": "-> /srv" };
const task = (id: string, cwd: string | undefined, extra: Partial<PlanFileInput["tasks"][number]> = {}) => ({
  id, objective: `Build ${id}.js`, scope: "workspace" as const, acceptance_tests: [`test -f ${id}.js`], ...(cwd === undefined ? {} : { cwd }), ...extra,
});
const problemsOf = (...tasks: PlanFileInput["tasks"]) =>
  validatePlan(planFile({ objective: "Ship app.js to the CDN", tasks }), { workspace: "/w/app", fs: fakeFs(W) }).filter((p) => p.code !== "TASK_COUNT").map((p) => [p.code, p.path, p.message]);

describe("validation › a task's cwd", () => {
  it("accepts none (the workspace root), a directory below the root, and one that does not exist yet", () => {
    expect(problemsOf(task("a", undefined), task("b", "web"), task("c", "later/deeper"))).toEqual([]);
  });

  it.each([
    ["../elsewhere", "SCOPE_ESCAPE", 'cwd "../elsewhere" leaves the workspace'],
    ["web/../../x", "SCOPE_ESCAPE", 'cwd "web/../../x" leaves the workspace'],
    ["/tmp", "SCOPE_ESCAPE", 'cwd "/tmp" is absolute'],
    ["out/data", "SCOPE_ESCAPE", 'cwd "out/data" resolves through the symlink out → /srv to /srv/data, outside the workspace'],
    ["~/web", "CWD_INVALID", 'cwd "~/web" starts with ~'],
    ["$HOME/web", "CWD_INVALID", 'cwd "$HOME/web" holds a variable'],
    ["notes.txt", "CWD_INVALID", 'cwd "notes.txt" is a file, not a directory'],
    ["  ", "CWD_INVALID", 'cwd "  " is blank'],
  ])("refuses %s (%s), naming the field and the fix", (cwd, code, message) => {
    const problems = validatePlan(planFile({ objective: "Ship app.js to the CDN", tasks: [task("t", cwd)] }), { workspace: "/w/app", fs: fakeFs(W) }).filter((p) => p.code !== "TASK_COUNT");
    expect(problems).toEqual([expect.objectContaining({ severity: "error", code, task_id: "t", path: "tasks[0].cwd", message: expect.stringContaining(`task "t": ${message}`) })]);
    expect(problems[0]!.fix).toMatch(/cwd|symlink/);
  });

  it("reports every problem of the plan at once: each bad cwd, a bad scope_path and a NUL", () => {
    expect(problemsOf(task("up", "../x"), task("file", "notes.txt", { scope: "module", scope_path: "../y" }), task("nul", "web\0x"))).toEqual([
      ["SCOPE_ESCAPE", "tasks[0].cwd", 'task "up": cwd "../x" leaves the workspace'],
      ["SCOPE_ESCAPE", "tasks[1].scope_path", 'task "file": scope_path "../y" leaves the workspace'],
      ["CWD_INVALID", "tasks[1].cwd", 'task "file": cwd "notes.txt" is a file, not a directory'],
      ["SCHEMA", "tasks[2].cwd", 'task "nul": cwd holds a NUL byte (\\0), which no shell or path can carry'],
    ]);
  });
});

describe("workspace › where a task runs and what it is told", () => {
  it("starts in the workspace root unless the task names a cwd, whatever its scope", () => {
    expect(workingDirOf("/w/app", {})).toBe("/w/app");
    expect(workingDirOf("/w/app/", { cwd: "web/" })).toBe("/w/app/web");
  });

  it("names the scope as written, . for the whole workspace", () => {
    expect(scopePathOf({ scope: "workspace" })).toBe(".");
    expect(scopePathOf({ scope: "module", scope_path: "pkg/a" })).toBe("pkg/a");
    expect(scopePathOf({ scope: "single_file", scope_path: "inputs/auth.py" })).toBe("inputs/auth.py");
    expect(placeEnv({ workspace: "/w/app", run_id: "r-1", task: { id: "t" as never, scope: "module", scope_path: "pkg" }, attempt: 2 })).toEqual({
      PEH_WORKSPACE: "/w/app", PEH_SCOPE_PATH: "pkg", PEH_RUN_ID: "r-1", PEH_TASK_ID: "t", PEH_ATTEMPT: "2",
    });
  });
});

describe("workspace › a scope directory that does not exist yet", () => {
  it("is to be made only for a module or custom scope whose path is not there", () => {
    const fs = fakeFs(W);
    expect(missingScopeDir("/w/app", { scope: "module", scope_path: "phase_1" }, fs)).toBe("phase_1");
    expect(missingScopeDir("/w/app", { scope: "custom", scope_path: "a/b" }, fs)).toBe("a/b");
    expect(missingScopeDir("/w/app", { scope: "module", scope_path: "web" }, fs)).toBeUndefined();
    expect(missingScopeDir("/w/app", { scope: "single_file", scope_path: "new.py" }, fs)).toBeUndefined();
    expect(missingScopeDir("/w/app", { scope: "workspace" }, fs)).toBeUndefined();
  });

  it("is made where a link inside the workspace leads, and never through a link that leads out", async () => {
    const dir = await tempDir();
    try {
      const ws = join(dir.path, "app");
      await mkdir(join(ws, "real"), { recursive: true });
      await mkdir(join(dir.path, "outside"));
      await symlink("real/target", join(ws, "inside"));
      await symlink(join(dir.path, "outside"), join(ws, "out"));
      await writeFile(join(ws, "file"), "x");
      expect(await makeScopeDir(ws, "inside/deeper")).toBeUndefined();
      expect(nodeScopeFs.kind(join(ws, "real", "target", "deeper"))).toBe("directory");
      expect(await makeScopeDir(ws, "out/made")).toMatchObject({ code: "SCOPE_ESCAPE", message: expect.stringContaining("peh did not make the scope directory out/made: it resolves through the symlink out") });
      expect(nodeScopeFs.kind(join(dir.path, "outside", "made"))).toBeUndefined();
      expect(await makeScopeDir(ws, "file/sub")).toMatchObject({ code: "ENOTDIR", message: expect.stringContaining("peh could not make the scope directory file/sub") });
    } finally {
      await dir.remove();
    }
  });
});
