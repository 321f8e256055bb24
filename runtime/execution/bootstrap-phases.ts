// The work of each bootstrap phase (DESIGN §4), in order. Each returns artifacts and
// diagnostics for BOOTSTRAP_PHASE_COMPLETED, or throws to fail the phase.
import { access, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { BootstrapPhase } from "../../events/index.js";
import { BOOTSTRAP_PHASES, PehError, isPehError, toErrorInfo } from "../../events/index.js";
import type { StateValue } from "xstate";
import { stateName } from "../../machines/fold/state-name.js";
import type { CommandInput } from "../../machines/decider/commands.js";
import { now } from "./clock.js";

export interface BootstrapContext {
  workspace: string;
  storeDir: string;
  configPath: string;
  concurrency: number;
  trustRoots: string[];
  /** What the sandbox probe found, and the warning to say once when tasks run unsandboxed. */
  sandbox?: { record: Record<string, unknown>; warning?: string };
}

export interface PhaseResult {
  artifacts: Record<string, unknown>;
  diagnostics: string[];
}

const exists = (path: string) => access(path).then(() => true, () => false);

async function onPath(command: string): Promise<boolean> {
  if (command.includes("/")) return exists(command);
  for (const dir of (process.env.PATH ?? "").split(":")) if (await exists(join(dir, command))) return true;
  return false;
}

export async function runPhase(phase: BootstrapPhase, context: BootstrapContext): Promise<PhaseResult> {
  switch (phase) {
    case "cli_entry": {
      if (!(await exists(context.workspace))) {
        throw new PehError("USAGE", `the workspace ${context.workspace} does not exist`, "run peh from the workspace the plan was made in");
      }
      return {
        artifacts: {
          workspace: context.workspace,
          store: context.storeDir,
          config: context.configPath,
          trust_roots: context.trustRoots,
          ...(context.sandbox ? { sandbox: context.sandbox.record } : {}),
        },
        diagnostics: [
          ...(context.trustRoots.length === 0 ? ["no trusted roots: every worker will wait for `peh trust`"] : []),
          ...(context.sandbox?.warning ? [`sandbox: ${context.sandbox.warning}`] : []),
        ],
      };
    }
    case "system_prompt_fastpath": {
      const found: string[] = [];
      for (const name of ["AGENTS.md", "CLAUDE.md", ".peh/instructions.md"]) {
        if (await exists(join(context.workspace, name))) found.push(name);
      }
      return { artifacts: { instruction_files: found }, diagnostics: [] };
    }
    case "mcp_fastpath": {
      const file = join(context.workspace, ".mcp.json");
      if (!(await exists(file))) return { artifacts: { servers: [] }, diagnostics: [] };
      let servers: Record<string, { command?: string }>;
      try {
        servers = (JSON.parse(await readFile(file, "utf8")) as { mcpServers?: Record<string, { command?: string }> }).mcpServers ?? {};
      } catch (error) {
        throw new PehError("USAGE", `.mcp.json is not valid JSON: ${(error as Error).message}`, "fix .mcp.json or remove it");
      }
      const diagnostics: string[] = [];
      for (const [name, server] of Object.entries(servers)) {
        if (!server.command) diagnostics.push(`MCP server ${name} declares no command`);
        else if (!(await onPath(server.command))) diagnostics.push(`MCP server ${name}: command "${server.command}" not found`);
      }
      return { artifacts: { servers: Object.keys(servers) }, diagnostics };
    }
    case "daemon_worker_fastpath":
      return { artifacts: { concurrency: context.concurrency }, diagnostics: [] };
    case "main_runtime":
      return { artifacts: { pid: process.pid }, diagnostics: [] };
  }
}

/**
 * Runs one phase and records it: started before the work, then completed with its result, or
 * failed with the error (which is rethrown). `record` decides and appends a command.
 */
export async function recordedPhase(
  phase: BootstrapPhase,
  context: BootstrapContext,
  record: (command: CommandInput) => Promise<unknown>,
): Promise<PhaseResult> {
  await record({ type: "StartBootstrapPhase", at: now(), phase });
  try {
    const result = await runPhase(phase, context);
    await record({ type: "CompleteBootstrapPhase", at: now(), phase, ...result });
    return result;
  } catch (error) {
    if (!isPehError(error)) throw error;
    await record({ type: "FailBootstrapPhase", at: now(), phase, error: toErrorInfo(error) });
    throw error;
  }
}

/**
 * Every phase of a run's bootstrap in order, each recorded; a phase already done in this run is
 * not redone (the bootstrap machine, whose state `at` reads, says where bootstrap is), and one a
 * crash caught running is recorded failed, then done again.
 */
export async function bootstrapRun(
  at: () => StateValue,
  context: BootstrapContext,
  record: (command: CommandInput) => Promise<unknown>,
  note: (text: string) => void,
): Promise<void> {
  for (const phase of BOOTSTRAP_PHASES) {
    const where = stateName(at());
    if (where === "ready" || BOOTSTRAP_PHASES.indexOf(phase) < BOOTSTRAP_PHASES.indexOf(where.split(".")[0] as never)) continue;
    if (where === `${phase}.running`) {
      await record({ type: "FailBootstrapPhase", at: now(), phase, error: { code: "INTERRUPTED", message: "the orchestrator stopped during the phase" } });
    }
    const result = await recordedPhase(phase, context, record);
    for (const diagnostic of result.diagnostics) note(`${phase}: ${diagnostic}`);
  }
}
