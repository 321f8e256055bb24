// What every command needs from the command line: the store, the run, who is acting, and
// whether a human is at a terminal to be asked (never otherwise: prompts hang without a TTY).
import type { Command } from "commander";
import { DurationSchema, PehError, type EventStore, type Plan } from "../events/index.js";
import { grantWords } from "../machines/grants.js";
import { riskyTasksOf } from "../machines/plan.js";
import { durationToMs, MAX_DURATION, MAX_DURATION_MS } from "../machines/recovery.js";
import { openStore, storeDir } from "../runtime/store/open.js";

export interface GlobalOptions {
  store?: string;
}

const opened: EventStore[] = [];

/** The store the command reads (`create`: or makes, for the commands that record a new run). */
export function storeOf(command: Command, { create = false } = {}): EventStore {
  const options = command.optsWithGlobals() as GlobalOptions;
  const store = openStore({ store: options.store, create });
  opened.push(store);
  return store;
}

/** Closes every store the commands opened (a PostgreSQL store's connections), once the command is done. */
export async function closeStores(): Promise<void> {
  await Promise.allSettled(opened.splice(0).map((store) => store.close()));
}

export function storePath(command: Command): string {
  return storeDir({ store: (command.optsWithGlobals() as GlobalOptions).store });
}

/** `--planner-timeout`, as `peh plan`, `peh refine` and `peh serve planning` take it. */
export const PLANNER_TIMEOUT = {
  flags: "--planner-timeout <duration>",
  description: "how long an external planner may take: seconds (60) or a duration (90s, 2m, 1h30m; at most 365d)",
  default: "60",
} as const;

/** A `--planner-timeout` in milliseconds: whole seconds, or a duration as a plan's timeout is written. */
export function plannerTimeoutMs(value: string): number {
  const ms = /^\d+$/.test(value) ? Number(value) * 1000 : DurationSchema.safeParse(value).success ? durationToMs(value) : 0;
  if (ms <= 0) throw new PehError("USAGE", `--planner-timeout wants seconds (60) or a duration (90s, 2m), not "${value}"`, "e.g. --planner-timeout 2m");
  if (ms > MAX_DURATION_MS) throw new PehError("USAGE", `--planner-timeout ${value} is longer than peh allows (${MAX_DURATION})`, `e.g. --planner-timeout 1h`);
  return ms;
}

export function interactive(): boolean {
  return Boolean(process.stdin.isTTY && process.stdout.isTTY);
}

/** Asks on a terminal; returns undefined when there is none (the caller then needs a flag). */
export async function ask(message: string, placeholder?: string): Promise<string | undefined> {
  if (!interactive()) return undefined;
  // Loaded only to ask: most commands never prompt, and none off a terminal.
  const { isCancel, text } = await import("@clack/prompts");
  const answer = await text({ message, ...(placeholder ? { placeholder } : {}) });
  if (isCancel(answer)) throw new PehError("USAGE", "cancelled; nothing was recorded");
  return answer;
}

export { humanName, SYSTEM_ACTOR } from "../runtime/gate/actor.js";
import { humanName } from "../runtime/gate/actor.js";

/** The human acting: --as, else $PEH_ACTOR, else asked on a terminal, else a usage error. */
export async function actorOf(as: string | undefined, action: string): Promise<string> {
  const from = as !== undefined ? "--as" : process.env.PEH_ACTOR !== undefined ? "$PEH_ACTOR" : "the name typed";
  return humanName(as ?? process.env.PEH_ACTOR ?? (await ask(`Who ${action}? (your name, recorded in the log)`)), from, action);
}

/**
 * Asks on a terminal for the phrase of each risky task of `plan`, and returns what was typed (the
 * machine judges it; nothing here compares). Off a terminal, nothing is asked: only flags approve.
 */
export async function askPhrases(plan: Pick<Plan, "tasks">): Promise<string[]> {
  const typed: string[] = [];
  for (const risky of riskyTasksOf(plan)) {
    const grants = grantWords(risky.grants);
    const asks = grants.length > 0 ? ` and ${grants.join("; ")}: approving grants exactly that` : "";
    const answer = await ask(`Task ${risky.task_id} is risky${asks}. Type "${risky.phrase}" to approve it`);
    if (answer !== undefined) typed.push(answer);
  }
  return typed;
}

export const collect = (value: string, previous: string[]): string[] => [...previous, value];
