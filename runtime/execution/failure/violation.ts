// Pure. What a sandbox's refusal looks like in a process's output: a write refused outside the
// scope (EROFS, or EACCES on a write), and a network error in an attempt that had no network.
// Such a failure is `permission`, never `transient`: a retry meets the same walls. It reads only
// what the process printed; whether the attempt was confined is the caller's to say.
import { isAbsolute, relative, resolve, sep } from "node:path";

/**
 * How an attempt was confined, as its classification needs it: the sandbox's profile of the
 * attempt says it. Unconfined (the default) leaves every classification as it was before.
 */
export interface Confinement {
  /** The attempt ran inside the sandbox. */
  sandboxed: boolean;
  /** It was granted the network; without it, a network error is the sandbox's refusal. */
  network: boolean;
  /** Where it could write (absolute); a refused write inside one of them is no violation. */
  writable?: readonly string[];
  /** Its working directory, where the relative paths it prints start. */
  cwd?: string;
}

export const UNCONFINED: Confinement = { sandboxed: false, network: true };

export interface Violation {
  kind: "write" | "network";
  /** The line that shows it. */
  line: string;
  /** The path it tried to write (absolute when the cwd is known), or the host it tried to reach. */
  target?: string;
  pattern: RegExp;
}

const READ_ONLY = /read-only file system|\bEROFS\b/i;
const DENIED = /permission denied|\bEACCES\b/i;
/** The words of a write (not a read, nor running a file that is not executable). */
const WRITING =
  /cannot (?:create|touch|remove|move|overwrite|open .* for writing)|(?:unable|failed|could not|couldn't) (?:to )?(?:create|write|lock|open temporary|rename|remove|make)|\b(?:mkdir|rename|unlink|rmdir|symlink|copyfile|link)\b|cannot make directory/i;

/** The path a refused write names: quoted (`'…'`, `‘…’`, "…"), else the word before `: <reason>`. */
function writtenPath(line: string): string | undefined {
  const quoted = /['‘"`]([^'’"`\n]+)['’"`]/.exec(line)?.[1];
  if (quoted !== undefined && quoted.trim() !== "") return quoted;
  const bare = /\s(\S+): (?:Read-only file system|Permission denied)/i.exec(line)?.[1];
  return bare === undefined || /^\d+$/.test(bare) ? undefined : bare;
}

function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === "" || (!rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel));
}

function writeViolation(line: string, confinement: Confinement): Violation | undefined {
  const readOnly = READ_ONLY.test(line);
  if (!readOnly && !(DENIED.test(line) && WRITING.test(line))) return undefined;
  const printed = writtenPath(line);
  if (readOnly && printed === undefined) return { kind: "write", line, pattern: READ_ONLY };
  if (printed === undefined) return undefined; // a refusal with no path: nothing says it was the sandbox's
  const target = confinement.cwd === undefined ? printed : resolve(confinement.cwd, printed);
  if (isAbsolute(target) && (confinement.writable ?? []).some((root) => isInside(root, target))) return undefined;
  return { kind: "write", line, target, pattern: readOnly ? READ_ONLY : DENIED };
}

const RESOLVE = /could not resolve|unable to resolve host|temporary failure in name resolution|name or service not known|\bEAI_AGAIN\b|\bENOTFOUND\b|\bEAI_NONAME\b|NameResolutionError|failed to resolve '/i;
const UNREACHABLE = /network is unreachable|\bENETUNREACH\b|\bEHOSTUNREACH\b|no route to host|\bENETDOWN\b/i;
/** A refused connection is the sandbox's only toward another host: on loopback, the task's own server may not be up yet. */
const REFUSED = /\bcurl: \(7\)|couldn't connect to server|failed to connect to|\bECONNREFUSED\b|connection refused/i;

/** Where curl, wget, git, ssh, node, npm, pip and Python's requests say which host they tried. */
const HOSTS: RegExp[] = [
  /could not resolve host(?:name)?:? ['"]?([^\s'":]+)/i,
  /unable to resolve host(?: address)? ['‘"]?([^\s'’"]+)/i,
  /getaddrinfo \w+ ([^\s:'"]+)/,
  /failed to resolve '([^']+)'/i,
  /\bhost='([^']+)'/,
  /failed to connect to (\S+) port/i,
  /\bconnect E[A-Z]+ (\[[0-9a-f:]+\]|[0-9a-f.:]+?):\d+/i,
  /\bConnecting to (\S+?)(?::\d+)?\.\.\./,
  /\bResolving (\S+) /,
  /\b[a-z][a-z+.-]*:\/\/(?:[^@/\s]*@)?([^/\s:'"]+)/i,
];

const LOOPBACK = /^(?:localhost|127(?:\.\d+){3}|\[?::1\]?|0\.0\.0\.0)$/i;

function hostOf(line: string): string | undefined {
  for (const pattern of HOSTS) {
    const host = pattern.exec(line)?.[1];
    if (host) return host.replace(/[.,;)>]+$/, "");
  }
  return undefined;
}

function networkViolation(line: string): Violation | undefined {
  const pattern = [RESOLVE, UNREACHABLE, REFUSED].find((p) => p.test(line));
  if (!pattern) return undefined;
  const host = hostOf(line);
  if (pattern === REFUSED && (host === undefined || LOOPBACK.test(host))) return undefined;
  return { kind: "network", line, pattern, ...(host ? { target: host } : {}) };
}

/**
 * The last line of `lines` (as matched, escape sequences gone) that shows the sandbox refusing
 * the attempt, preferring one that names the path or host, or undefined (always, for an attempt that was not sandboxed). `shown` are the
 * same lines as printed, for the evidence.
 *
 * @example violationIn(["touch: cannot touch '/etc/x': Read-only file system"], …, { sandboxed: true, network: false })
 *   // { kind: "write", target: "/etc/x", … }
 */
export function violationIn(lines: readonly string[], shown: readonly string[], confinement: Confinement): Violation | undefined {
  if (!confinement.sandboxed) return undefined;
  // A line that names the path or host wins over a later one that does not (node's `code: 'EAI_AGAIN'`).
  let unnamed: Violation | undefined;
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!;
    const found = writeViolation(line, confinement) ?? (confinement.network ? undefined : networkViolation(line));
    if (found?.target !== undefined) return { ...found, line: shown[i]! };
    if (found) unnamed ??= { ...found, line: shown[i]! };
  }
  return unnamed;
}

/** The rule's name and the hint that names the grant to ask for. */
export function violationRule(violation: Violation): { rule: string; hint: string } {
  if (violation.kind === "write" && violation.target !== undefined && /(^|\/)\.git(\/|$)/.test(violation.target)) {
    // A grant would not help: git's own directory is kept read-only (an agent's `git commit` lands here).
    return {
      rule: "write refused by the sandbox",
      hint: `${violation.target} is in the repository's .git, which the sandbox keeps read-only: with isolation: worktree peh makes the task's commit itself, so tell the agent not to commit (nor run other git commands that write)`,
    };
  }
  if (violation.kind === "write") {
    const what = violation.target ?? "there";
    return {
      rule: "write refused by the sandbox",
      hint: `the attempt may write only inside its scope; if the task must write ${what}, ask for it in the task: writable: [${JSON.stringify(violation.target ?? "<path>")}] (a grant its approval must show)`,
    };
  }
  return {
    rule: "network refused by the sandbox",
    hint: `the attempt had no network${violation.target ? `, so ${violation.target} could not be reached` : ""}; if the task needs it, ask for it in the task: network: true (a grant its approval must show)`,
  };
}
