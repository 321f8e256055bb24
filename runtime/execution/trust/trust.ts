// Trust comes from the user, never from the plan: roots from the user's config file
// ($XDG_CONFIG_HOME/peh/config.yaml: trust.roots, trust.deny), --trust-root flags and
// PEH_TRUST_ROOTS. Paths are compared canonically, component by component; denied first.
import { realpathSync } from "node:fs";
import { mkdir, readFile, realpath, rename, rm, stat, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { parse } from "yaml";
import { z } from "zod";
import { AgentCliSchema, PehError, SandboxModeSchema } from "../../../events/index.js";
import { isInside } from "../../planning/validate.js";
import { AgentGrantsSchema } from "../../workspace/grants.js";
import { withTrustedRoot } from "./config-edit.js";

export const UserConfigSchema = z.object({
  trust: z.object({ roots: z.array(z.string()).default([]), deny: z.array(z.string()).default([]) }).default({ roots: [], deny: [] }),
  /**
   * The agent CLI's command line (`claude`, `/opt/bin/codex`, `FOO=1 my-agent -x`), with `cli` whose
   * stream it prints, and what it may do beyond a task's scope (runtime/workspace/grants.ts).
   */
  agent: z.object({ command: z.string().min(1).optional(), cli: AgentCliSchema.optional(), grants: AgentGrantsSchema.optional() }).default({}),
  /** auto (default): sandbox where bwrap works; required: refuse to run without it; off: never. `--sandbox` wins. */
  sandbox: SandboxModeSchema.optional(),
});
export type UserConfig = z.infer<typeof UserConfigSchema>;

export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CONFIG_HOME ?? join(homedir(), ".config"), "peh", "config.yaml");
}

export async function readUserConfig(env: NodeJS.ProcessEnv = process.env): Promise<UserConfig> {
  const path = configPath(env);
  const text = await readFile(path, "utf8").catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return ""; // no config yet: the defaults
    throw new PehError("USAGE", `cannot read ${path} (${error.code ?? error.message})`, CONFIG_FIX);
  });
  const parsed = UserConfigSchema.safeParse(text.trim() === "" ? {} : parseYaml(path, text));
  if (!parsed.success) {
    throw new PehError("USAGE", `${path}: ${parsed.error.issues[0]?.path.join(".")}: ${parsed.error.issues[0]?.message}`, CONFIG_FIX);
  }
  return parsed.data;
}

const CONFIG_FIX = "fix the config file (trust.roots and trust.deny are lists of directories; agent.grants takes network: true|false and writable: a list of absolute or ~/ paths; sandbox is auto, required or off)";

function parseYaml(path: string, text: string): unknown {
  try {
    return parse(text);
  } catch (error) {
    const line = (error as { linePos?: { line: number }[] }).linePos?.[0]?.line;
    const what = String((error as Error).message).split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
    throw new PehError("USAGE", `${path} is not valid YAML${line === undefined ? "" : ` (line ${line})`}: ${what}`, CONFIG_FIX);
  }
}

/**
 * Records a trusted root in the user's config, for next time. The file is edited in place (its
 * comments, order and keys peh does not know stay as they are) and replaced atomically. A root
 * that trust.deny covers is refused: the deny list always wins.
 */
export async function addTrustedRoot(root: string, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const config = await readUserConfig(env);
  const path = configPath(env);
  const canonical = canonicalize(root);
  const denied = deniedBy({ roots: [], deny: config.trust.deny.map(canonicalize) }, canonical);
  if (denied !== undefined) {
    throw new PehError("USAGE", `${canonical} is denied by trust.deny entry ${denied} (in ${path}); nothing was saved or trusted`, `if you mean to trust it, remove ${denied} from trust.deny in ${path} first`);
  }
  if (config.trust.roots.some((existing) => canonicalize(existing) === canonical)) return;
  const text = await readFile(path, "utf8").catch((error: NodeJS.ErrnoException) => (error.code === "ENOENT" ? "" : Promise.reject(error)));
  await writeAtomically(path, withTrustedRoot(text, canonical));
}

/**
 * Replaces `path` (the file a symlink points to, if it is one) with `text` in one rename, keeping
 * its mode: a crash leaves the old config or the new one, never half of it.
 */
async function writeAtomically(path: string, text: string): Promise<void> {
  const target = await realpath(path).catch(() => path);
  await mkdir(dirname(target), { recursive: true });
  const mode = await stat(target).then((info) => info.mode & 0o777, () => undefined);
  const temp = join(dirname(target), `.${basename(target)}.${process.pid}.tmp`);
  try {
    await writeFile(temp, text, mode === undefined ? {} : { mode });
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

export function canonicalize(path: string): string {
  const absolute = resolve(path);
  try {
    return realpathSync(absolute);
  } catch {
    return absolute;
  }
}

export interface TrustPolicy {
  roots: string[];
  deny: string[];
  /** The config file trust.deny comes from, for messages. */
  config?: string;
}

export async function trustPolicy(flags: string[] = [], env: NodeJS.ProcessEnv = process.env): Promise<TrustPolicy> {
  const config = await readUserConfig(env);
  const fromEnv = (env.PEH_TRUST_ROOTS ?? "").split(":").filter(Boolean);
  return {
    roots: [...config.trust.roots, ...flags, ...fromEnv].map(canonicalize),
    deny: config.trust.deny.map(canonicalize),
    config: configPath(env),
  };
}

/** The trusted root that contains `dir`, or undefined (also when a denied root contains it). */
export function trustedRootFor(policy: TrustPolicy, dir: string): string | undefined {
  if (deniedBy(policy, dir) !== undefined) return undefined;
  const path = canonicalize(dir);
  return policy.roots.find((root) => isInside(root, path));
}

/** The trust.deny entry that covers `dir`, if any: checked before any root, and it always wins. */
export function deniedBy(policy: TrustPolicy, dir: string): string | undefined {
  const path = canonicalize(dir);
  return policy.deny.find((denied) => isInside(denied, path));
}

/** The deny entry covering a directory, as the views' trust reasons take it (projections/status.ts). */
export function denialOf(policy: TrustPolicy): (dir: string) => { entry: string; config: string } | undefined {
  return (dir) => {
    const entry = deniedBy(policy, dir);
    return entry === undefined ? undefined : { entry, config: policy.config ?? configPath() };
  };
}

/**
 * The user's deny list for a view, or undefined when the config cannot be read: a view of the log
 * still shows, only without saying which waiting worker is denied (the command that acts says).
 */
export async function viewDenial(env: NodeJS.ProcessEnv = process.env): Promise<((dir: string) => { entry: string; config: string } | undefined) | undefined> {
  return trustPolicy([], env).then(denialOf, () => undefined);
}

/**
 * Why `dir` is not trusted, in words: "denied by trust.deny entry /w/secret (in CONFIG)" or
 * "in no trusted root". The two need different fixes, so a message must not say one for the other.
 */
export function untrustedReason(policy: TrustPolicy, dir: string): string {
  const denied = deniedBy(policy, dir);
  return denied === undefined ? "in no trusted root" : `denied by trust.deny entry ${denied} (in ${policy.config ?? configPath()})`;
}
