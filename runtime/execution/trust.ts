// Trust comes from the user, never from the plan: roots from the user's config file
// ($XDG_CONFIG_HOME/peh/config.yaml: trust.roots, trust.deny), --trust-root flags and
// PEH_TRUST_ROOTS. Paths are compared canonically, component by component; denied first.
import { realpathSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { parse, stringify } from "yaml";
import { z } from "zod";
import { PehError } from "../../events/index.js";
import { isInside } from "../planning/validate.js";

export const UserConfigSchema = z.object({
  trust: z.object({ roots: z.array(z.string()).default([]), deny: z.array(z.string()).default([]) }).default({ roots: [], deny: [] }),
  agent: z.object({ command: z.string().min(1).optional() }).default({}),
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

const CONFIG_FIX = "fix the config file (trust.roots and trust.deny are lists of directories)";

function parseYaml(path: string, text: string): unknown {
  try {
    return parse(text);
  } catch (error) {
    const line = (error as { linePos?: { line: number }[] }).linePos?.[0]?.line;
    const what = String((error as Error).message).split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
    throw new PehError("USAGE", `${path} is not valid YAML${line === undefined ? "" : ` (line ${line})`}: ${what}`, CONFIG_FIX);
  }
}

/** Records a trusted root in the user's config, for next time. */
export async function addTrustedRoot(root: string, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const config = await readUserConfig(env);
  const canonical = canonicalize(root);
  if (config.trust.roots.some((existing) => canonicalize(existing) === canonical)) return;
  config.trust.roots.push(canonical);
  await mkdir(dirname(configPath(env)), { recursive: true });
  await writeFile(configPath(env), stringify(config));
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
}

export async function trustPolicy(flags: string[] = [], env: NodeJS.ProcessEnv = process.env): Promise<TrustPolicy> {
  const config = await readUserConfig(env);
  const fromEnv = (env.PEH_TRUST_ROOTS ?? "").split(":").filter(Boolean);
  return {
    roots: [...config.trust.roots, ...flags, ...fromEnv].map(canonicalize),
    deny: config.trust.deny.map(canonicalize),
  };
}

/** The trusted root that contains `dir`, or undefined (also when a denied root contains it). */
export function trustedRootFor(policy: TrustPolicy, dir: string): string | undefined {
  const path = canonicalize(dir);
  if (policy.deny.some((denied) => isInside(denied, path))) return undefined;
  return policy.roots.find((root) => isInside(root, path));
}
