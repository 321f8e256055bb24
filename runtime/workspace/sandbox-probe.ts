// Whether a sandbox works here: bwrap on the PATH, and a real `bwrap … true` under the profile
// peh uses (a kernel without user namespaces, or a container's seccomp, fails only there). Run
// once per `peh run`; what it found is recorded, and the mode decides what follows.
import { execFile } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import type { SandboxMode } from "../../events/index.js";
import { bwrapArgs } from "./sandbox-profile.js";

export interface SandboxProbe {
  /** bwrap ran a command under peh's profile. */
  works: boolean;
  /** Where bwrap is, if it was found. */
  bwrap?: string;
  /** `bubblewrap 0.8.0`, when it answered. */
  version?: string;
  /** Why it does not work: what is missing or what bwrap said. */
  problem?: string;
}

export const INSTALL_HINT = "install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap; Fedora: dnf install bubblewrap), or run with --sandbox auto or --sandbox off";

/** The executable `name` in the directories of `path` (a PATH value), or undefined. */
export function findOnPath(name: string, path: string | undefined = process.env.PATH): string | undefined {
  for (const dir of (path ?? "").split(delimiter)) {
    if (dir === "") continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

function run(program: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string; error?: string }> {
  return new Promise((resolve) => {
    execFile(program, args, { env, timeout: 10_000 }, (error, stdout, stderr) => {
      const output = `${stdout}${stderr}`.trim();
      if (!error) return resolve({ code: 0, output });
      const code = typeof error.code === "number" ? error.code : null;
      resolve({ code, output, ...(code === null ? { error: String(error.code ?? error.message) } : {}) });
    });
  });
}

/** Looks for bwrap on the PATH of `env` and runs `true` under a sandbox like an attempt's. */
export async function probeSandbox(env: NodeJS.ProcessEnv = process.env): Promise<SandboxProbe> {
  const bwrap = findOnPath("bwrap", env.PATH);
  if (bwrap === undefined) return { works: false, problem: `bwrap (bubblewrap) was not found on the PATH (${env.PATH ?? "unset"})` };
  const version = (await run(bwrap, ["--version"], env)).output.split("\n")[0] || undefined;
  const scope = await mkdtemp(join(tmpdir(), "peh-probe-"));
  try {
    const profile = { mode: "auto" as const, sandboxed: true, writable: [scope], read_only: [], network: false };
    const ran = await run(bwrap, [...bwrapArgs(profile, { cwd: scope, workspace: scope }), "--", "true"], env);
    if (ran.code === 0) return { works: true, bwrap, ...(version ? { version } : {}) };
    const said = ran.output.split("\n").find((line) => line.trim() !== "") ?? ran.error ?? `exit ${ran.code}`;
    const userns = /namespace|Operation not permitted|setting up uid map|No permissions/i.test(said)
      ? " (user namespaces seem unavailable: on Debian/Ubuntu `sysctl kernel.unprivileged_userns_clone=1`, on Ubuntu 24.04 an AppArmor userns profile for bwrap; in Docker, run the container with --security-opt seccomp=unconfined or use --sandbox off)"
      : "";
    return { works: false, bwrap, ...(version ? { version } : {}), problem: `${bwrap} cannot make a sandbox here: ${said}${userns}` };
  } finally {
    await rm(scope, { recursive: true, force: true });
  }
}

export type SandboxDecision =
  | { kind: "sandbox"; mode: SandboxMode; bwrap: string }
  /** `warning`: said once per run (auto where the sandbox does not work). */
  | { kind: "unsandboxed"; mode: SandboxMode; reason: string; warning?: string }
  | { kind: "refuse"; mode: SandboxMode; message: string; hint: string };

/** What the mode makes of the probe (undefined: not probed, as with `off`). */
export function decideSandbox(mode: SandboxMode, probe: SandboxProbe | undefined): SandboxDecision {
  if (mode === "off") return { kind: "unsandboxed", mode, reason: "the sandbox is off (sandbox: off in the config, or --sandbox off)" };
  if (probe?.works && probe.bwrap) return { kind: "sandbox", mode, bwrap: probe.bwrap };
  const problem = probe?.problem ?? "the sandbox was not probed";
  if (mode === "required") {
    return { kind: "refuse", mode, message: `the sandbox is required but does not work here: ${problem}; no attempt was started`, hint: INSTALL_HINT };
  }
  return {
    kind: "unsandboxed",
    mode,
    reason: `no sandbox here: ${problem}`,
    warning: `tasks run WITHOUT a sandbox (they can write anywhere you can, and reach the network): ${problem}. To sandbox them, ${INSTALL_HINT.replace(", or run with --sandbox auto or --sandbox off", "")}; --sandbox required refuses to run without it`,
  };
}
