// The agent adapters by CLI name, and the command line a task's agent runs.
import type { AgentCli } from "../../events/index.js";
import { claude } from "./claude.js";
import { codex } from "./codex.js";
import { gemini } from "./gemini.js";
import { generic } from "./generic.js";
import { opencode } from "./opencode.js";
import type { AgentAdapter, InvocationOptions } from "./types.js";

export const ADAPTERS: Readonly<Record<AgentCli, AgentAdapter>> = { generic, claude, codex, gemini, opencode };

export function adapterFor(cli: AgentCli): AgentAdapter {
  return ADAPTERS[cli];
}

/** A word as the shell reads it back: quoted unless it is plain. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * The shell command line of an agent: the configured command (or the CLI's program), then the
 * adapter's arguments. The generic adapter adds nothing: the command runs as configured.
 */
export function agentCommandLine(adapter: AgentAdapter, command: string | undefined, options: InvocationOptions): string | undefined {
  const base = command ?? (adapter.program || undefined);
  if (base === undefined) return undefined;
  const args = adapter.args(options);
  return args.length === 0 ? base : `${base} ${args.map(shellQuote).join(" ")}`;
}

export type { AgentAdapter, AgentItem, InvocationOptions } from "./types.js";
