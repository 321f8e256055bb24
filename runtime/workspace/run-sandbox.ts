// The sandbox of one `peh run`: probed once when it starts, then a profile per attempt (recorded
// in its WORKER_RUNNING event) and the wrapping of each of the attempt's processes in bwrap.
// `required` where no sandbox works refuses before anything is recorded.
import { mkdir, writeFile } from "node:fs/promises";
import { constants } from "node:os";
import { dirname, join } from "node:path";
import { homedir } from "node:os";
import { PehError, type PlanTask, type RiskyTask, type SandboxMode, type SandboxProfile } from "../../events/index.js";
import { grantsOf, type AgentGrants, type CommandKind } from "./grants.js";
import { decideSandbox, probeSandbox, type SandboxDecision, type SandboxProbe } from "./sandbox-probe.js";
import { sandboxedArgv, sandboxProfile, singleFileToCreate } from "./sandbox-profile.js";

/** What a process runner calls to turn a process's argv into the one that starts. */
export type ArgvWrapper = (argv: readonly string[], place: { cwd: string; files: readonly string[] }) => string[];

export class RunSandbox {
  private constructor(
    readonly decision: SandboxDecision,
    /** What the probe found (undefined with `off`: not probed). */
    readonly probe: SandboxProbe | undefined,
    private readonly workspace: string,
    private readonly storeDir: string,
    /** What the user's config grants the agent command (agent.grants): the agent command's only. */
    private readonly agentGrants: AgentGrants | undefined,
  ) {}

  /**
   * Probes (unless the mode is off) and decides. Throws SANDBOX_UNAVAILABLE (exit 2) when the
   * sandbox is required and does not work: call it before anything is recorded.
   */
  static async open(
    mode: SandboxMode,
    place: { workspace: string; storeDir: string; env: NodeJS.ProcessEnv; agentGrants?: AgentGrants | undefined },
  ): Promise<RunSandbox> {
    const probe = mode === "off" ? undefined : await probeSandbox(place.env);
    const decision = decideSandbox(mode, probe);
    if (decision.kind === "refuse") throw new PehError("SANDBOX_UNAVAILABLE", decision.message, decision.hint);
    return new RunSandbox(decision, probe, place.workspace, place.storeDir, place.agentGrants);
  }

  /** Said once per run, on the terminal and in the bootstrap's record: auto where no sandbox works. */
  get warning(): string | undefined {
    return this.decision.kind === "unsandboxed" ? this.decision.warning : undefined;
  }

  /** The probe's finding as the bootstrap records it. */
  get record(): Record<string, unknown> {
    const { decision, probe } = this;
    return {
      mode: decision.mode,
      sandboxed: decision.kind === "sandbox",
      ...(probe === undefined ? {} : { probe }),
      ...(decision.kind === "unsandboxed" ? { reason: decision.reason } : {}),
    };
  }

  /** Before the attempt's first process: a single file in scope that does not exist yet is created empty (a bind needs it). */
  async prepare(task: PlanTask, granted: readonly RiskyTask[]): Promise<string | undefined> {
    if (this.decision.kind !== "sandbox" || this.granted(task, granted, "run").sandbox === "off") return undefined;
    const file = singleFileToCreate(this.workspace, task);
    if (file === undefined) return undefined;
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, "", { flag: "a" });
    return file;
  }

  /**
   * The profile one command of an attempt of `task` runs under: its scope, and the rights its
   * task asks for as far as a human confirmed them (`granted`, the plan's), never the plan's
   * word alone; the agent command also gets the user's agent.grants. The attempt's WORKER_RUNNING
   * records the profile of its command (`run`, or the agent command for an agent task without one).
   */
  profile(
    task: PlanTask,
    granted: readonly RiskyTask[],
    kind: CommandKind = commandKindOf(task),
    /** An isolated attempt's worktree: its root instead of the workspace's (runtime/workspace/isolated-work.ts). */
    worktree?: string,
  ): SandboxProfile {
    const unavailable = this.decision.kind === "unsandboxed" && this.decision.mode !== "off" ? this.decision.reason : undefined;
    const rights = this.granted(task, granted, kind);
    const asked = {
      scope: task.scope,
      scope_path: task.scope_path,
      network: rights.network,
      writable: rights.writable,
      ...(rights.sandbox === "off" ? { sandbox: "off" as const } : {}),
    };
    return sandboxProfile({
      mode: this.decision.mode,
      workspace: worktree ?? this.workspace,
      task: asked,
      storeDir: this.storeDir,
      ...(worktree === undefined ? {} : { repository: join(this.workspace, ".git") }),
      ...(unavailable ? { unavailable } : {}),
    });
  }

  private granted(task: PlanTask, granted: readonly RiskyTask[], kind: CommandKind) {
    return grantsOf(task, { granted }, this.agentGrants, kind, { workspace: this.workspace, home: homedir() });
  }

  /** How each process of an attempt under `profile` starts; undefined when it runs as it is. */
  wrapper(profile: SandboxProfile): ArgvWrapper | undefined {
    if (!profile.sandboxed || this.decision.kind !== "sandbox") return undefined;
    const { bwrap } = this.decision;
    return (argv, place) => sandboxedArgv(bwrap, profile, argv, { ...place, workspace: this.workspace });
  }
}

/** The kind of an attempt's own command: its `run`, else the agent command. */
export function commandKindOf(task: Pick<PlanTask, "run">): CommandKind {
  return task.run === undefined ? "agent" : "run";
}

const SIGNAL_NAMES = new Map(Object.entries(constants.signals).map(([name, number]) => [number, name]));

/**
 * How a sandboxed process ended, as if it had run bare: bwrap exits 128+N when its command was
 * killed by signal N (as a shell reports it), so that exit is read back as the signal.
 */
export function exitThroughSandbox<T extends { exit_code: number | null; signal: string | null }>(exit: T): T {
  const code = exit.exit_code;
  const name = code !== null && code > 128 ? SIGNAL_NAMES.get(code - 128) : undefined;
  return name === undefined ? exit : { ...exit, exit_code: null, signal: name };
}
