import { mkdir, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { PlanFileInput } from "../../events/index.js";
import { placeOf, scopeEscape, type ScopeFs } from "../../runtime/planning/scope/scope-escape.js";
import { nodeScopeFs } from "../../runtime/planning/scope/scope-fs.js";
import { validatePlan } from "../../runtime/planning/validate.js";
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
  return {
    readlink: (path) => (entries[path]?.startsWith("-> ") ? entries[path]!.slice(3) : undefined),
    kind,
  };
}

const task = (id: string, extra: Partial<PlanFileInput["tasks"][number]> = {}) => ({ id, objective: `Build ${id}.js`, scope: "module" as const, acceptance_tests: [`test -f ${id}.js`], ...extra });
const three = (...tasks: PlanFileInput["tasks"]) => planFile({ objective: "Ship app.js to the CDN", tasks: [...tasks, ...["p", "q", "r"].slice(tasks.length).map((id) => task(id, { scope: "workspace" }))] });
const problemsOf = (fs: ScopeFs, ...tasks: PlanFileInput["tasks"]) =>
  validatePlan(three(...tasks), { workspace: "/w/app", fs }).map((p) => [p.code, p.task_id, p.message]);

const W = { "/w": "dir", "/w/app": "dir", "/w/app/src": "dir", "/w/app/src/a.ts": "file", "/srv": "dir", "/srv/data": "dir" } as const;

describe("scope › a symlink that leads out of the workspace", () => {
  it.each([
    ["a link to a directory outside", { "/w/app/out": "-> /srv/data" }, "out", "through the symlink out → /srv/data to /srv/data"],
    ["a dangling link to outside, followed once its target exists", { "/w/app/later": "-> /srv/not-yet" }, "later", "to /srv/not-yet"],
    ["a dangling relative link that climbs out", { "/w/app/up": "-> ../../srv/new" }, "up/x", "to /srv/new/x"],
    ["a link in the middle of the path", { "/w/app/src/lib": "-> /srv" }, "src/lib/data", "through the symlink src/lib → /srv to /srv/data"],
    ["a link to a link that leads out", { "/w/app/a": "-> b", "/w/app/b": "-> /srv" }, "a", "to /srv"],
    ["a link to the workspace root, then .. (as the kernel reads it, not as the text does)", { "/w/app/src/up": "-> /w/app" }, "src/up/..", "to /w,"],
    ["the workspace's own parent through a link to its root", { "/w/app/root": "-> ." }, "root/x/../..", "to /w,"],
  ])("refuses %s", (_, links, scope_path, detail) => {
    const problems = problemsOf(fakeFs({ ...W, ...links }), task("t", { scope_path }));
    expect(problems).toEqual([["SCOPE_ESCAPE", "t", expect.stringContaining(detail)]]);
    expect(problems[0]![2]).toContain("outside the workspace");
  });

  it("refuses a symlink loop, saying where", () => {
    const problems = problemsOf(fakeFs({ ...W, "/w/app/a": "-> b", "/w/app/b": "-> a" }), task("t", { scope_path: "a/x" }));
    expect(problems).toEqual([["SCOPE_ESCAPE", "t", expect.stringContaining("goes round a symlink loop")]]);
  });

  it("accepts links that stay inside, a workspace that is itself reached through a link, and directories not made yet", () => {
    const fs = fakeFs({ ...W, "/w/app/docs": "-> src", "/home": "dir", "/home/ana": "-> /w" });
    expect(problemsOf(fs, task("a", { scope_path: "docs" }), task("b", { scope_path: "src/new/deeper" }), task("c", { scope_path: "not-yet" }))).toEqual([]);
    expect(validatePlan(three(task("a", { scope_path: "src" })), { workspace: "/home/ana/app", fs })).toEqual([]);
  });

  it("says whether a scope escapes now, for the check when an attempt starts", () => {
    const fs = fakeFs({ ...W, "/w/app/out": "-> /srv/data" });
    expect(scopeEscape("/w/app", { scope_path: "src" }, fs)).toBeUndefined();
    expect(scopeEscape("/w/app", { scope_path: null }, fs)).toBeUndefined();
    expect(scopeEscape("/w/app", { scope_path: "out/x" }, fs)).toMatchObject({ kind: "outside", real: "/srv/data/x", link: { path: "/w/app/out", target: "/srv/data" } });
  });

  it("says where a working directory really is: below the workspace as written when inside, else its real path", () => {
    const fs = fakeFs({ ...W, "/w/app/docs": "-> src", "/w/app/out": "-> /srv/data", "/home": "dir", "/home/ana": "-> /w" });
    expect(placeOf("/w/app", "/w/app/docs", fs)).toEqual({ path: "/w/app/src" });
    expect(placeOf("/home/ana/app", "/home/ana/app/docs/new", fs)).toEqual({ path: "/home/ana/app/src/new" });
    expect(placeOf("/w/app", "/w/app/out", fs)).toMatchObject({ path: "/srv/data", escape: { kind: "outside", real: "/srv/data" } });
  });

  it("follows real symlinks the same way, a dangling one included", async () => {
    const dir = await tempDir();
    try {
      const workspace = join(dir.path, "app");
      await mkdir(join(workspace, "src"), { recursive: true });
      await symlink(join(dir.path, "elsewhere"), join(workspace, "dangling"));
      await symlink("src", join(workspace, "inside"));
      const problems = validatePlan(three(task("a", { scope_path: "dangling" }), task("b", { scope_path: "inside" })), { workspace, fs: nodeScopeFs });
      expect(problems.map((p) => [p.code, p.task_id])).toEqual([["SCOPE_ESCAPE", "a"]]);
      expect(problems[0]?.message).toContain(`through the symlink dangling → ${join(dir.path, "elsewhere")}`);
    } finally {
      await dir.remove();
    }
  });
});

describe("scope › a scope_path that does not say what it seems to", () => {
  it("refuses a single_file scope that names a directory, and a module or custom scope that names a file", () => {
    const problems = problemsOf(
      fakeFs(W),
      task("dir", { scope: "single_file", scope_path: "src" }),
      task("file", { scope: "module", scope_path: "src/a.ts" }),
      task("ok", { scope: "single_file", scope_path: "src/a.ts" }),
    );
    expect(problems).toEqual([
      ["SCOPE_PATH_INVALID", "dir", 'task "dir" has scope "single_file" but scope_path "src" is a directory'],
      ["SCOPE_PATH_INVALID", "file", 'task "file" has scope "module" but scope_path "src/a.ts" is a file'],
    ]);
  });

  it("refuses a scope_path beside scope: workspace, which would be ignored", () => {
    const problems = validatePlan(three(task("a", { scope: "workspace", scope_path: "src" }), task("b", { scope: "workspace", scope_path: null })), { workspace: "/w/app" });
    expect(problems.map((p) => [p.code, p.task_id, p.fix])).toEqual([["SCOPE_PATH_INVALID", "a", expect.stringMatching(/drop scope_path.*scope: module/)]]);
  });

  it.each(["~/notes", "~", "$HOME/notes", "build/${TARGET}"])("refuses %j: nothing expands it", (scope_path) => {
    const problems = validatePlan(three(task("a", { scope_path })), { workspace: "/w/app" });
    expect(problems.map((p) => [p.code, p.task_id])).toEqual([["SCOPE_PATH_INVALID", "a"]]);
    expect(problems[0]?.fix).toContain("relative to the workspace");
  });

  it("leaves a module directory that does not exist yet alone: the task may make it", async () => {
    const dir = await tempDir();
    try {
      await writeFile(join(dir.path, "a.ts"), "");
      const problems = validatePlan(three(task("a", { scope_path: "new/module" }), task("b", { scope: "single_file", scope_path: "new/file.ts" })), { workspace: dir.path, fs: nodeScopeFs });
      expect(problems).toEqual([]);
    } finally {
      await dir.remove();
    }
  });
});
