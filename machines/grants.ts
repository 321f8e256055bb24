// Pure. The rights a task may ask for beyond its scope (the network, more writable paths, no
// sandbox), in one normal form, and how two sets of them compare: a change that asks for what was
// not granted needs a human's phrase. Lexical only: no file system (this runs in the browser too).
import type { Grants, PlanTask, RiskyTask } from "../events/index.js";

/** The fields of a task that ask for rights. */
export type Asking = Pick<PlanTask, "network" | "writable" | "sandbox">;

/**
 * A writable path as it is compared and recorded: `/a//b/./c/` → `/a/b/c`, `./x/../y` → `y`,
 * `./` → `.` (the workspace). A relative path is relative to the workspace and may climb out of
 * it (`../cache` stays `../cache`); `..` above `/` is `/`.
 */
export function normalPath(path: string): string {
  const absolute = path.startsWith("/");
  const parts: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part !== "..") parts.push(part);
    else if (parts.length > 0 && parts[parts.length - 1] !== "..") parts.pop();
    else if (!absolute) parts.push("..");
  }
  const joined = parts.join("/");
  return absolute ? `/${joined}` : joined === "" ? "." : joined;
}

/**
 * Is `inner` the path `outer` or below it, component by component (`/w/app` does not hold
 * `/w/app-evil`)? Both in normal form. A relative and an absolute path never hold each other:
 * without the workspace nobody can say, so a change from one to the other is a new grant.
 */
export function pathWithin(outer: string, inner: string): boolean {
  if (outer.startsWith("/") !== inner.startsWith("/")) return false;
  if (outer === inner || outer === "/") return true;
  if (outer === ".") return inner !== ".." && !inner.startsWith("../");
  return inner.startsWith(`${outer}/`);
}

/** Does the task ask for any right at all? Cheap: it runs for every task of big plans. */
export function asksForGrants(task: Asking): boolean {
  return task.network === true || task.sandbox === "off" || (task.writable !== undefined && task.writable.length > 0);
}

/**
 * What a task asks for, in normal form, or undefined when it asks for nothing. `network: false`
 * and `writable: []` ask for nothing.
 *
 * @example
 * requestedGrants({ network: true, writable: ["./out/", "/tmp/cache"] })
 * // → { network: true, writable: ["/tmp/cache", "out"] }
 */
export function requestedGrants(task: Asking): Grants | undefined {
  if (!asksForGrants(task)) return undefined;
  const writable = task.writable !== undefined && task.writable.length > 0 ? [...new Set(task.writable.map(normalPath))].sort() : undefined;
  return {
    ...(task.network === true ? { network: true as const } : {}),
    ...(writable ? { writable } : {}),
    ...(task.sandbox === "off" ? { sandbox: "off" as const } : {}),
  };
}

/** The same rights, field by field (both in normal form). */
export function sameGrants(a: Grants | undefined, b: Grants | undefined): boolean {
  const wa = a?.writable ?? [];
  const wb = b?.writable ?? [];
  return a?.network === b?.network && a?.sandbox === b?.sandbox && wa.length === wb.length && wa.every((path, i) => path === wb[i]);
}

/**
 * What `requested` asks for beyond `granted`, or undefined when `granted` covers all of it: the
 * network where it was not granted, running without the sandbox where that was not granted, each
 * writable path that no granted path holds.
 */
export function widening(granted: Grants | undefined, requested: Grants | undefined): Grants | undefined {
  if (requested === undefined) return undefined;
  const network = requested.network === true && granted?.network !== true;
  const off = requested.sandbox === "off" && granted?.sandbox !== "off";
  const held = granted?.writable ?? [];
  const paths = (requested.writable ?? []).filter((path) => !held.some((outer) => pathWithin(outer, path)));
  if (!network && !off && paths.length === 0) return undefined;
  return { ...(network ? { network: true as const } : {}), ...(paths.length > 0 ? { writable: paths } : {}), ...(off ? { sandbox: "off" as const } : {}) };
}

/** The part of `requested` that `granted` covers: all an attempt may be given. */
export function intersect(granted: Grants | undefined, requested: Grants | undefined): Grants | undefined {
  if (granted === undefined || requested === undefined) return undefined;
  const held = granted.writable ?? [];
  const paths = (requested.writable ?? []).filter((path) => held.some((outer) => pathWithin(outer, path)));
  const network = requested.network === true && granted.network === true;
  const off = requested.sandbox === "off" && granted.sandbox === "off";
  if (!network && !off && paths.length === 0) return undefined;
  return { ...(network ? { network: true as const } : {}), ...(paths.length > 0 ? { writable: paths } : {}), ...(off ? { sandbox: "off" as const } : {}) };
}

/**
 * Each right in words, as risk reasons and refusals say it: "asks for the network", "asks to
 * write outside its scope: /x, y", "asks to run without the sandbox".
 */
export function grantWords(grants: Grants | undefined): string[] {
  if (grants === undefined) return [];
  const words: string[] = [];
  if (grants.network) words.push("asks for the network");
  if (grants.writable && grants.writable.length > 0) words.push(`asks to write outside its scope: ${grants.writable.join(", ")}`);
  if (grants.sandbox === "off") words.push("asks to run without the sandbox");
  return words;
}

/** The rights granted, short, for a history line: "the network, writing /x and y, no sandbox". */
export function grantedWords(grants: Grants | undefined): string {
  if (grants === undefined) return "";
  const words: string[] = [];
  if (grants.network) words.push("the network");
  if (grants.writable && grants.writable.length > 0) words.push(`writing ${grants.writable.join(" and ")}`);
  if (grants.sandbox === "off") words.push("no sandbox");
  return words.join(", ");
}

/**
 * The risky tasks of a new version that no human has confirmed as they now stand: new risky
 * tasks, a new phrase, or grants beyond those confirmed (a path added, the network turned on,
 * the sandbox turned off), even for a task that was risky and approved before. Each needs its
 * phrase. `granted`: what humans confirmed for the version before (PlanContext.granted).
 */
export function unconfirmedRisky(granted: readonly RiskyTask[], risky: readonly RiskyTask[]): RiskyTask[] {
  return risky.filter(
    (task) => !granted.some((known) => known.task_id === task.task_id && known.phrase === task.phrase && widening(known.grants, task.grants) === undefined),
  );
}

/** Is `given` the confirmation of `risky`: the same task, phrase and grants? */
export function confirms(given: RiskyTask, risky: RiskyTask): boolean {
  return given.task_id === risky.task_id && given.phrase === risky.phrase && sameGrants(given.grants, risky.grants);
}
