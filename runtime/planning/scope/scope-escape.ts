// Pure (the file system enters as a ScopeFs). Where a scope_path really leads: resolved symlink by
// symlink as the kernel would, a link whose target does not exist yet included, and whether it
// stays in the workspace. Validation asks when the plan is made; each attempt asks again when it
// starts, for a link can be made or re-pointed after the approval.
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import type { PlanTask } from "../../../events/index.js";

/** The file system, as far as resolving a scope needs it (runtime/planning/scope/scope-fs.ts has Node's). */
export interface ScopeFs {
  /** The target written in the symlink at `path`; undefined if `path` is no symlink, or nothing is there. */
  readlink(path: string): string | undefined;
  /** What is at `path`, following symlinks; undefined if nothing is. */
  kind(path: string): "directory" | "file" | undefined;
}

/** Symlinks one resolution follows at most before it calls them a loop (Linux's own limit). */
const MAX_LINKS = 40;

export interface Resolution {
  /** The real path; undefined when the symlinks go round in a loop. */
  real: string | undefined;
  /** The last symlink followed from inside `root`, and the target written in it. */
  link?: { path: string; target: string };
}

/**
 * `path` (relative to `start`, a real directory, or absolute) with every symlink resolved, each
 * component in turn. A component that does not exist ends the symlinks: the rest is taken as
 * written (a directory that a task makes later). Unlike `realpath`, a dangling link is followed:
 * it says where the path will lead once its target exists.
 */
export function resolveReal(start: string, path: string, fs: ScopeFs, root?: string): Resolution {
  let current = isAbsolute(path) ? sep : start;
  const pending = path.split(sep).reverse();
  let link: Resolution["link"];
  let followed = 0;
  while (pending.length > 0) {
    const part = pending.pop()!;
    if (part === "" || part === ".") continue;
    // From a real directory, `..` is its real parent: `link/..` is not the directory of `link`.
    if (part === "..") {
      current = dirname(current);
      continue;
    }
    const next = join(current, part);
    const target = fs.readlink(next);
    if (target === undefined) {
      current = next;
      continue;
    }
    if (++followed > MAX_LINKS) return { real: undefined, ...(link ? { link } : {}) };
    if (root === undefined || isInside(root, current)) link = { path: next, target };
    const parts = target.split(sep);
    for (let i = parts.length - 1; i >= 0; i--) pending.push(parts[i]!);
    if (isAbsolute(target)) current = sep;
  }
  return { real: current, ...(link ? { link } : {}) };
}

/** The workspace with its own symlinks resolved: what a scope must stay inside. */
export function realWorkspace(workspace: string, fs: ScopeFs): string {
  return resolveReal(sep, resolve(workspace), fs).real ?? workspace;
}

export interface ScopeEscape {
  /** `outside`: it resolves outside the workspace; `loop`: its symlinks go round in a loop. */
  kind: "outside" | "loop";
  /** What the scope_path does, for a message that starts with `scope_path "…" `. */
  detail: string;
  /** Where it resolves to (outside). */
  real?: string;
  link?: { path: string; target: string };
}

/**
 * Whether the task's scope_path leaves the workspace through a symlink, now. Undefined if it
 * stays inside (or the task has none). Lexical escapes (`..`, absolute) are validation's.
 *
 * @example scopeEscape("/w/app", { scope_path: "out/x" }, nodeScopeFs)
 *   // { kind: "outside", detail: "resolves through the symlink out → /srv to /srv/x, outside the workspace", … }
 */
export function scopeEscape(workspace: string, task: Pick<PlanTask, "scope_path">, fs: ScopeFs, real = realWorkspace(workspace, fs)): ScopeEscape | undefined {
  const path = task.scope_path;
  if (path === undefined || path === null || path === "" || path.includes("\0")) return undefined;
  return escapeOf(real, path, fs).escape;
}

export interface Place {
  /** Where the directory really is: below the workspace as it is written when inside, else its real path. */
  path: string;
  escape?: ScopeEscape;
}

/**
 * Where a directory of the workspace (a task's working directory) really is, for the record
 * and for the trust gate: a link inside the workspace that leads out shows where it leads.
 */
export function placeOf(workspace: string, dir: string, fs: ScopeFs, real = realWorkspace(workspace, fs)): Place {
  const written = resolve(workspace);
  const { resolved, escape } = escapeOf(real, relative(written, resolve(dir)), fs);
  if (resolved.real === undefined) return { path: dir, ...(escape ? { escape } : {}) };
  return escape ? { path: resolved.real, escape } : { path: join(written, relative(real, resolved.real)) };
}

function escapeOf(real: string, path: string, fs: ScopeFs): { resolved: Resolution; escape?: ScopeEscape } {
  const resolved = resolveReal(real, path, fs, real);
  const through = resolved.link && `the symlink ${relative(real, resolved.link.path) || resolved.link.path} → ${resolved.link.target}`;
  const link = resolved.link ? { link: resolved.link } : {};
  if (resolved.real === undefined) return { resolved, escape: { kind: "loop", detail: `goes round a symlink loop${through ? ` at ${through}` : ""}`, ...link } };
  if (isInside(real, resolved.real)) return { resolved };
  return { resolved, escape: { kind: "outside", detail: `resolves ${through ? `through ${through} ` : ""}to ${resolved.real}, outside the workspace`, real: resolved.real, ...link } };
}

/**
 * The same answers, each asked of the file system once: a plan of 10k tasks below `packages/`
 * reads that directory's link once, not 10k times.
 */
export function memoScopeFs(fs: ScopeFs): ScopeFs {
  const links = new Map<string, string | undefined>();
  const kinds = new Map<string, "directory" | "file" | undefined>();
  return {
    readlink(path) {
      if (!links.has(path)) links.set(path, fs.readlink(path));
      return links.get(path);
    },
    kind(path) {
      if (!kinds.has(path)) kinds.set(path, fs.kind(path));
      return kinds.get(path);
    },
  };
}

/** The start of a path that climbs out of its root. */
const PARENT = `..${sep}`;

/** Component by component: `/w/app` contains `/w/app/src` but not `/w/app-evil`. */
export function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === "" || (!rel.startsWith(PARENT) && rel !== ".." && !isAbsolute(rel));
}
