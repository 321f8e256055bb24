// What one attempt may touch, as a profile (recorded in its WORKER_RUNNING event), and the bwrap
// argument vector that enforces it. The profile follows from the task's scope, the store, `.git`
// and the grants the approval showed (`network`, `writable`, `sandbox: off`); the argv is a pure
// function of the profile. Neither starts a process: runtime/execution wraps its argv with them.
import { existsSync, realpathSync } from "node:fs";
import { homedir } from "node:os";
import { basename, dirname, isAbsolute, join, resolve, sep } from "node:path";
import type { PlanTask, SandboxMode, SandboxProfile } from "../../events/index.js";

export interface ProfileInput {
  mode: SandboxMode;
  /** The workspace root, absolute. */
  workspace: string;
  task: Pick<PlanTask, "scope" | "scope_path" | "network" | "writable" | "sandbox">;
  /** The store directory (`.peh/`): never writable by a task. */
  storeDir: string;
  /** Why no sandbox can run here (the probe's finding), when it cannot. */
  unavailable?: string;
  /**
   * An isolated attempt (isolation: worktree): `workspace` is then its worktree, and the user's
   * repository (`.git`, which holds the worktree) stays read-only whatever the scope: peh makes
   * the attempt's commit, outside the sandbox.
   */
  repository?: string;
}

/** A granted path: relative to the workspace, absolute, or under the home directory (`~/…`). */
export function grantedPath(workspace: string, path: string): string {
  if (path === "~" || path.startsWith("~/")) return join(homedir(), path.slice(1));
  return isAbsolute(path) ? resolve(path) : resolve(workspace, path);
}

/** What the task's scope lets it write: the workspace, its scope_path directory, or its single file. */
export function scopeRoot(workspace: string, task: ProfileInput["task"]): string {
  return task.scope === "workspace" ? workspace : resolve(workspace, task.scope_path ?? ".");
}

/** The path with its symlinks resolved (a bind on a symlinked target fails), or undefined if it does not exist. */
function real(path: string): string | undefined {
  try {
    return realpathSync.native(path);
  } catch {
    return undefined;
  }
}

/**
 * Where a path that does not exist yet will be once made (`mkdir -p`): its nearest existing
 * ancestor with its symlinks resolved, and the rest as written. A module scope's directory made
 * at the attempt's start is then bound where it is made, and the profile recorded before it was
 * made is the one its processes run under.
 */
function planned(path: string): string {
  const found = real(path);
  if (found !== undefined) return found;
  const parent = dirname(path);
  return parent === path ? path : join(planned(parent), basename(path));
}

/** `inner` is `outer` or below it. */
export function within(inner: string, outer: string): boolean {
  return inner === outer || inner.startsWith(outer.endsWith(sep) ? outer : outer + sep);
}

/**
 * The profile an attempt of `task` runs under. Not sandboxed when the mode is off, when the
 * approval granted the task `sandbox: off`, or when no sandbox works here (`unavailable`).
 *
 * @example sandboxProfile({ mode: "auto", workspace: "/w", storeDir: "/w/.peh", task: { scope: "module", scope_path: "src" } })
 *   // → { mode: "auto", sandboxed: true, writable: ["/w/src"], read_only: ["/w/.peh", "/w/.git"], network: false }
 */
export function sandboxProfile(input: ProfileInput): SandboxProfile {
  const { mode, workspace, task } = input;
  const network = task.network === true;
  const granted = (task.writable ?? []).map((path) => grantedPath(workspace, path));
  // A module or custom scope's directory is made when its first attempt starts (runtime/workspace/scope-dir.ts).
  const root = scopeRoot(workspace, task);
  // So is an isolated attempt's worktree (after its profile is recorded).
  const madeLater = task.scope === "module" || task.scope === "custom" || input.repository !== undefined;
  const rooted = madeLater ? planned(root) : real(root);
  const writable: string[] = rooted === undefined ? [] : [rooted];
  const missing: string[] = rooted === undefined ? [root] : [];
  for (const path of granted) {
    const found = real(path);
    if (found === undefined) missing.push(path);
    else if (!writable.includes(found)) writable.push(found);
  }
  const git = input.repository ?? join(workspace, ".git");
  const protectedPaths = [input.storeDir, ...(task.scope === "workspace" && input.repository === undefined ? [] : [git])];
  const read_only = protectedPaths.map(real).filter((path): path is string => path !== undefined);
  const base = { mode, writable, read_only, network, ...(missing.length ? { missing } : {}) };
  const reason =
    mode === "off" ? "the sandbox is off (sandbox: off in the config, or --sandbox off)"
    : task.sandbox === "off" ? "the approval granted this task sandbox: off"
    : input.unavailable;
  return reason === undefined ? { ...base, sandboxed: true } : { ...base, sandboxed: false, reason };
}

/** Where one process of the attempt starts, and the files peh wrote for it (a template's script). */
export interface WrapOptions {
  cwd: string;
  /** Files the process must read, kept visible (read-only) even under the private /tmp. */
  files?: readonly string[];
  /** The workspace root: visible (read-only) even when it lies under /tmp. */
  workspace: string;
}

/**
 * bwrap's arguments (before the command) for a sandboxed profile: the root read-only, a private
 * /dev, /proc and /tmp, the workspace visible again when it lies under /tmp, each writable path
 * bound onto itself, then the store and (unless the scope is the workspace) `.git` read-only
 * over them; every namespace unshared (the network too, without a grant), no capabilities, and
 * the sandbox dies with peh. Later binds win, so the order of the list matters.
 */
export function bwrapArgs(profile: SandboxProfile, options: WrapOptions): string[] {
  const args = ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"];
  const workspace = real(options.workspace) ?? options.workspace;
  if (within(workspace, "/tmp")) args.push("--ro-bind", workspace, workspace);
  // Parents before what lies below them, so that the deeper bind wins: the store inside a writable
  // workspace stays read-only, and an isolated attempt's worktree inside a read-only .git is writable.
  const binds = [...profile.writable.map((path) => ["--bind", path] as const), ...profile.read_only.map((path) => ["--ro-bind", path] as const)];
  binds.sort(([, a], [, b]) => a.split(sep).length - b.split(sep).length);
  for (const [how, path] of binds) args.push(how, path, path);
  for (const file of options.files ?? []) {
    // Resolved through its directory: peh writes the file after the argv is made, before it starts.
    const found = join(real(dirname(file)) ?? dirname(file), basename(file));
    if (!profile.writable.some((path) => within(found, path))) args.push("--ro-bind", found, found);
  }
  args.push("--unshare-all");
  if (profile.network) args.push("--share-net");
  args.push("--cap-drop", "ALL", "--die-with-parent", "--new-session", "--setenv", "TMPDIR", "/tmp", "--chdir", options.cwd);
  return args;
}

/** The argv that runs `argv` under `bwrap` with the profile; `argv` itself when the profile is not sandboxed. */
export function sandboxedArgv(bwrap: string | undefined, profile: SandboxProfile, argv: readonly string[], options: WrapOptions): string[] {
  if (!profile.sandboxed || bwrap === undefined) return [...argv];
  return [bwrap, ...bwrapArgs(profile, options), "--", ...argv];
}

/** A single file in scope that does not exist yet cannot be bound: it is created empty first (with its directories). */
export function singleFileToCreate(workspace: string, task: ProfileInput["task"]): string | undefined {
  if (task.scope !== "single_file") return undefined;
  const file = scopeRoot(workspace, task);
  return existsSync(file) ? undefined : file;
}
