// Pure. The rights one command of an attempt runs with, beyond its task's scope: what the task
// asked for AND a human confirmed (the plan context's `granted`, never the plan alone), plus, for
// the agent command only, what the user's config grants it. The sandbox profile is built from it.
import { isAbsolute, join, resolve } from "node:path";
import { z } from "zod";
import type { Grants, PlanTask, RiskyTask, TaskId } from "../../events/index.js";
import { intersect, requestedGrants } from "../../machines/grants.js";

/**
 * `agent.grants` in the user's config: what the agent command (a coding agent CLI) needs beyond
 * the task's scope, e.g. its API's network and its own config directory. Trusted because it is
 * the user's; given to the agent command only, never to a task's `run` or its acceptance tests.
 *
 * ```yaml
 * agent:
 *   command: claude -p
 *   grants:
 *     network: true
 *     writable: [~/.claude, ~/.claude.json]
 * ```
 */
export const AgentGrantsSchema = z.strictObject({
  network: z.boolean().default(false),
  /** Absolute paths, or `~/…` for the user's home. */
  writable: z
    .array(z.string().min(1).refine((path) => isAbsolute(path) || path === "~" || path.startsWith("~/"), "a writable path of agent.grants is absolute or starts with ~/"))
    .default([]),
});
export type AgentGrants = z.infer<typeof AgentGrantsSchema>;

/**
 * Which command of an attempt: the task's `run`, the agent command (the user's, run for an
 * `agent` task without a `run`), or one of its acceptance tests.
 */
export type CommandKind = "run" | "agent" | "acceptance_test";

/** What a sandbox profile is built from: every field says what the command may do beyond its scope. */
export interface EffectiveGrants {
  network: boolean;
  /** Absolute paths, sorted, each once. */
  writable: string[];
  /** `off`: no sandbox at all (the other fields then say what was granted besides). */
  sandbox: "on" | "off";
}

export interface GrantPlace {
  /** The workspace root (absolute): a task's relative writable paths are relative to it. */
  workspace: string;
  /** The user's home, for `~/` in agent.grants. */
  home: string;
}

/**
 * The rights one command of a task's attempt runs with. A task's own request counts only as far
 * as a human confirmed it (`approved.granted`, from the approval or a confirmed change mid-run):
 * a right the confirmed version did not show is never given, whatever the plan says now. The
 * task's grants apply to every command of the task; the user's `agent.grants` only to the agent
 * command.
 *
 * @example
 * grantsOf(task, state.plan.context, userConfig.agent.grants, "agent", { workspace, home: homedir() })
 * // → { network: true, writable: ["/home/ana/.claude", "/w/app/out"], sandbox: "on" }
 */
export function grantsOf(
  task: Pick<PlanTask, "id" | "network" | "writable" | "sandbox">,
  approved: { readonly granted: readonly RiskyTask[] },
  agentGrants: AgentGrants | undefined,
  kind: CommandKind,
  place: GrantPlace,
): EffectiveGrants {
  const own = intersect(confirmedFor(approved.granted, task.id), requestedGrants(task));
  const user = kind === "agent" ? agentGrants : undefined;
  const writable = new Set<string>();
  for (const path of own?.writable ?? []) writable.add(resolve(place.workspace, path));
  for (const path of user?.writable ?? []) writable.add(expandHome(path, place.home));
  return {
    network: own?.network === true || user?.network === true,
    writable: [...writable].sort(),
    sandbox: own?.sandbox === "off" ? "off" : "on",
  };
}

/** The grants a human confirmed for `task` (undefined: none). */
export function confirmedFor(granted: readonly RiskyTask[], task: TaskId): Grants | undefined {
  return granted.find((entry) => entry.task_id === task)?.grants;
}

function expandHome(path: string, home: string): string {
  if (path === "~") return resolve(home);
  return path.startsWith("~/") ? resolve(join(home, path.slice(2))) : resolve(path);
}
