// Trust from the user's config: trust.deny always wins (over `peh trust --root`, `--trust-root`,
// $PEH_TRUST_ROOTS, `peh trust --task` and the worker service), every message says whether a
// directory is denied or merely in no trusted root, and `peh trust --root` edits the config in place.
import { lstat, mkdir, readFile, realpath, stat, symlink, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { startService } from "../support/service.js";
import { workspace, type Workspace } from "../support/workspace.js";

let ws: Workspace;
let config: string;
let root: string;
beforeEach(async () => {
  ws = await workspace();
  config = join(ws.env.XDG_CONFIG_HOME!, "peh", "config.yaml");
  await mkdir(dirname(config), { recursive: true });
  root = await realpath(ws.path);
});
afterEach(async () => ws.remove());

const plan = "objective: Build t.js\ntasks:\n  - { id: t, objective: Build t.js, scope: workspace, run: 'echo t > t.js' }\n";
const show = () => JSON.parse(ws.peh("show", "--json").stdout) as { state: string; tasks: Record<string, string> };
const workerState = () => (JSON.parse(ws.peh("status", "--json").stdout) as { workers: { state: string }[] }).workers.map((w) => w.state);

describe("trust › trust.deny always wins", () => {
  beforeEach(async () => {
    await writeFile(config, `trust:\n  deny: [${root}]\n`);
    await ws.write("plan.yaml", plan);
  });

  it("refuses peh trust --root of a denied directory: exit 2, naming the entry and the config; nothing saved, nothing resolved, nothing run", async () => {
    expect(ws.peh("run", "--from", "plan.yaml", "--approve-as", "ana").code).toBe(3);
    const before = await readFile(config, "utf8");
    for (const dir of [".", join(ws.path, "sub")]) {
      await mkdir(join(ws.path, "sub"), { recursive: true });
      const refused = ws.peh("trust", "--root", dir, "--as", "ana");
      expect(refused.code, dir).toBe(2);
      expect(refused.stderr).toContain(`is denied by trust.deny entry ${root} (in ${config}); nothing was saved or trusted`);
    }
    expect(await readFile(config, "utf8")).toBe(before);
    expect(workerState()).toEqual(["trust_required"]);
    expect(ws.peh("run").code).toBe(3);
    expect(await ws.read("t.js")).toBe("");
  });

  it("wins over --trust-root and $PEH_TRUST_ROOTS, and says the worker is denied, not merely untrusted", async () => {
    const flag = ws.peh("run", "--from", "plan.yaml", "--approve-as", "ana", "--trust-root", ".");
    expect(flag.code).toBe(3);
    expect(flag.stderr).toContain(`which is denied by trust.deny entry ${root} (in ${config})`);
    expect(flag.stderr).not.toContain("in no trusted root");
    expect(flag.stderr).toContain(`remove ${root} from trust.deny in ${config}, then: peh trust`);
    const fromEnv = ws.start(["run"], { PEH_TRUST_ROOTS: root });
    expect(await fromEnv.exit).toBe(3);
    expect(await ws.read("t.js")).toBe("");
    const status = ws.peh("status");
    expect(status.stdout).toContain(`task t runs in ${root}, which is denied by trust.deny entry ${root} (in ${config})`);
  });

  it("wins over a human's trust of one worker (peh trust --task)", () => {
    ws.peh("run", "--from", "plan.yaml", "--approve-as", "ana");
    const refused = ws.peh("trust", "--task", "t", "--as", "ana");
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`task t runs in ${root}, which is denied by trust.deny entry ${root} (in ${config}); nothing was trusted`);
    expect(workerState()).toEqual(["trust_required"]);
  });

  it("keeps a denied directory inside a root trusted with peh trust --root denied", async () => {
    await mkdir(join(ws.path, "secret"));
    await writeFile(config, `trust:\n  deny: [${join(root, "secret")}]\n`);
    await ws.write("plan.yaml", plan.replace("scope: workspace", "scope: workspace, cwd: secret"));
    ws.peh("run", "--from", "plan.yaml", "--approve-as", "ana");
    const trusted = ws.peh("trust", "--root", ".", "--as", "ana");
    expect(trusted.code, trusted.stderr).toBe(0);
    expect(trusted.stdout).toContain("0 waiting workers resolved");
    expect(workerState()).toEqual(["trust_required"]);
    expect(show().state).toBe("executing");
  });

  it("wins in the worker service: check_trust inside a denied --trust-root needs approval, and mark_trusted is refused", async () => {
    const service = startService(["worker", "--trust-root", "."], { cwd: ws.path, env: ws.env });
    const packet = { objective: "Build the app", scope: "workspace", acceptance_tests: ["true"] };
    const { worker_id } = (await service.ask({ jsonrpc: "2.0", id: 1, method: "spawn_worker", params: { task_packet: packet } })).result;
    expect((await service.ask({ jsonrpc: "2.0", id: 2, method: "check_trust", params: { worker_id } })).result).toEqual({ requires_approval: true });
    const marked = await service.ask({ jsonrpc: "2.0", id: 3, method: "mark_trusted", params: { worker_id, approval_source: "ana" } });
    expect(marked.error).toMatchObject({ code: -32000, message: expect.stringContaining(`which is denied by trust.deny entry ${root} (in ${config}); nothing was trusted`) });
    await service.end();
  });

  it("still says 'in no trusted root' for a directory that is not denied", async () => {
    await writeFile(config, "trust:\n  deny: [/nowhere/else]\n");
    const waiting = ws.peh("run", "--from", "plan.yaml", "--approve-as", "ana");
    expect(waiting.code).toBe(3);
    expect(waiting.stderr).toContain(`task t runs in ${root}, which is in no trusted root`);
    expect(waiting.stderr).not.toContain("trust.deny");
  });
});

describe("trust › peh trust --root edits the config in place", () => {
  const commented = [
    "# my peh settings",
    "agent:",
    "  command: claude -p   # the agent I use",
    "editor: vim            # a key peh does not know",
    "trust:",
    "  # where I keep my repos",
    "  roots:",
    "    - /srv/repos  # work",
    "  deny: [/srv/repos/secret]",
    "",
  ].join("\n");

  // `peh trust` acts on a run: one whose worker waits for trust.
  beforeEach(async () => {
    await ws.write("plan.yaml", plan);
    expect(ws.peh("run", "--from", "plan.yaml", "--approve-as", "ana").code).toBe(3);
  });

  it("keeps comments, order and keys it does not know, and adds the root to trust.roots", async () => {
    await writeFile(config, commented, { mode: 0o600 });
    const result = ws.peh("trust", "--root", ".", "--as", "ana");
    expect(result.code, result.stderr).toBe(0);
    const text = await readFile(config, "utf8");
    expect(text).toBe(commented.replace("    - /srv/repos  # work\n", `    - /srv/repos  # work\n    - ${root}\n`));
    expect(parse(text)).toMatchObject({ editor: "vim", trust: { roots: ["/srv/repos", root], deny: ["/srv/repos/secret"] } });
    expect((await stat(config)).mode & 0o777).toBe(0o600);
    // Saved once: trusting it again changes nothing.
    expect(ws.peh("trust", "--root", ".", "--as", "ana").code).toBe(0);
    expect(await readFile(config, "utf8")).toBe(text);
  });

  it("makes the list where there is none, and replaces a config that is a symlink's target, not the symlink", async () => {
    const real = join(ws.env.XDG_CONFIG_HOME!, "dotfiles.yaml");
    await writeFile(real, "# dotfiles\nagent: { command: codex exec - }\n");
    await symlink(real, config);
    expect(ws.peh("trust", "--root", ".", "--as", "ana").code).toBe(0);
    expect((await lstat(config)).isSymbolicLink()).toBe(true);
    expect(await readFile(real, "utf8")).toBe(`# dotfiles\nagent: { command: codex exec - }\ntrust:\n  roots:\n    - ${root}\n`);
  });
});
