// The profile an attempt runs under, from its task's scope and approved grants, and the bwrap
// argv built from it: pure, tested without bwrap. The probe's verdict under each mode.
import { mkdir, mkdtemp, realpath, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decideSandbox, findOnPath, probeSandbox } from "../../runtime/workspace/sandbox-probe.js";
import { bwrapArgs, sandboxProfile, type ProfileInput } from "../../runtime/workspace/sandbox-profile.js";

let ws: string;
beforeAll(async () => {
  ws = await realpath(await mkdtemp(join(tmpdir(), "peh-profile-")));
  await mkdir(join(ws, "src"));
  await mkdir(join(ws, ".peh"));
  await mkdir(join(ws, ".git"));
  await mkdir(join(ws, "cache"));
  await writeFile(join(ws, "src", "app.js"), "");
});
afterAll(() => rm(ws, { recursive: true, force: true }));

const profileOf = (task: ProfileInput["task"], mode: ProfileInput["mode"] = "auto") => sandboxProfile({ mode, workspace: ws, storeDir: join(ws, ".peh"), task });

/** The pairs of a flag in an argv: `--bind a a` → [a, a]. */
const pairs = (args: string[], flag: string) => args.flatMap((arg, i) => (arg === flag ? [[args[i + 1], args[i + 2]]] : []));

describe("sandboxProfile", () => {
  it("lets a module task write only its scope_path; the store and .git stay read-only", () => {
    expect(profileOf({ scope: "module", scope_path: "src" })).toEqual({ mode: "auto", sandboxed: true, writable: [join(ws, "src")], read_only: [join(ws, ".peh"), join(ws, ".git")], network: false });
  });

  it("lets a workspace task write the workspace and .git, never the store", () => {
    const profile = profileOf({ scope: "workspace" });
    expect(profile.writable).toEqual([ws]);
    expect(profile.read_only).toEqual([join(ws, ".peh")]);
  });

  it("lets a single_file task write that file only", () => {
    expect(profileOf({ scope: "single_file", scope_path: "src/app.js" }).writable).toEqual([join(ws, "src", "app.js")]);
  });

  it("honours the approved grants: network, writable paths (a missing one named), sandbox: off", () => {
    const granted = profileOf({ scope: "module", scope_path: "src", network: true, writable: ["cache", "no-such-dir"] });
    expect(granted).toMatchObject({ sandboxed: true, network: true, writable: [join(ws, "src"), join(ws, "cache")], missing: [join(ws, "no-such-dir")] });
    expect(profileOf({ scope: "module", scope_path: "src", sandbox: "off" })).toMatchObject({ sandboxed: false, reason: "the approval granted this task sandbox: off" });
  });

  it("is not sandboxed with the mode off, or where no sandbox works, and says why", () => {
    expect(profileOf({ scope: "workspace" }, "off")).toMatchObject({ sandboxed: false, reason: expect.stringMatching(/sandbox is off/) });
    const unavailable = sandboxProfile({ mode: "auto", workspace: ws, storeDir: join(ws, ".peh"), task: { scope: "workspace" }, unavailable: "no bwrap" });
    expect(unavailable).toMatchObject({ sandboxed: false, reason: "no bwrap" });
  });
});

describe("bwrapArgs", () => {
  let args: string[];
  beforeAll(() => {
    args = bwrapArgs(profileOf({ scope: "module", scope_path: "src" }), { cwd: join(ws, "src"), workspace: ws, files: [join(tmpdir(), "x.script")] });
  });

  it("mounts the root read-only, a private /dev, /proc and /tmp first", () => {
    expect(args.slice(0, 9)).toEqual(["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"]);
  });

  it("binds the scope writable, then the store and .git read-only over it, and peh's script file readable", () => {
    expect(pairs(args, "--bind")).toEqual([[join(ws, "src"), join(ws, "src")]]);
    const readOnly = pairs(args, "--ro-bind").map(([from]) => from);
    expect(readOnly).toEqual(expect.arrayContaining([join(ws, ".peh"), join(ws, ".git"), join(tmpdir(), "x.script")]));
    expect(args.lastIndexOf(join(ws, ".peh"))).toBeGreaterThan(args.indexOf("--bind"));
    // A workspace under /tmp is seen again over the private /tmp.
    if (ws.startsWith("/tmp/")) expect(readOnly).toContain(ws);
  });

  it("unshares everything, the network too unless granted, drops every capability and dies with peh", () => {
    expect(args).toEqual(expect.arrayContaining(["--unshare-all", "--cap-drop", "ALL", "--die-with-parent", "--new-session"]));
    expect(args).not.toContain("--share-net");
    expect(args.slice(-2)).toEqual(["--chdir", join(ws, "src")]);
    const networked = bwrapArgs(profileOf({ scope: "workspace", network: true }), { cwd: ws, workspace: ws });
    expect(networked).toContain("--share-net");
  });
});

describe("decideSandbox", () => {
  const works = { works: true, bwrap: "/usr/bin/bwrap" };
  const missing = { works: false, problem: "bwrap (bubblewrap) was not found on the PATH (/x)" };

  it("sandboxes where bwrap works, in auto and required", () => {
    expect(decideSandbox("auto", works)).toEqual({ kind: "sandbox", mode: "auto", bwrap: "/usr/bin/bwrap" });
    expect(decideSandbox("required", works).kind).toBe("sandbox");
  });

  it("auto without bwrap runs unsandboxed with a warning naming the fix; required refuses; off never asks", () => {
    const auto = decideSandbox("auto", missing);
    expect(auto).toMatchObject({ kind: "unsandboxed", warning: expect.stringMatching(/WITHOUT a sandbox.*apt-get install bubblewrap/) });
    expect(decideSandbox("required", missing)).toMatchObject({ kind: "refuse", message: expect.stringContaining("not found on the PATH"), hint: expect.stringContaining("apt-get install bubblewrap") });
    expect(decideSandbox("off", undefined)).toMatchObject({ kind: "unsandboxed" });
    expect(decideSandbox("off", undefined)).not.toHaveProperty("warning");
  });
});

describe("probeSandbox", () => {
  it("finds no bwrap on a PATH without it, and says so", async () => {
    expect(findOnPath("bwrap", "/nonexistent")).toBeUndefined();
    expect(await probeSandbox({ PATH: "/nonexistent" })).toEqual({ works: false, problem: "bwrap (bubblewrap) was not found on the PATH (/nonexistent)" });
  });

  it("reports what bwrap said when it cannot make a sandbox", async () => {
    const dir = await mkdtemp(join(tmpdir(), "peh-fake-bwrap-"));
    try {
      await writeFile(join(dir, "bwrap"), "#!/bin/sh\necho 'bwrap: Creating new namespace failed: Operation not permitted' >&2\nexit 1\n", { mode: 0o755 });
      const probe = await probeSandbox({ PATH: `${dir}:/usr/bin:/bin` });
      expect(probe.works).toBe(false);
      expect(probe.problem).toMatch(/cannot make a sandbox here: bwrap: Creating new namespace failed: Operation not permitted \(user namespaces seem unavailable/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
