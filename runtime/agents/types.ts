// What every agent adapter gives: the CLI's non-interactive invocation (its arguments after the
// program) and a parser from one line of its stream to typed items. Pure functions: the time a
// relative reset ("resets in 60 s") is counted from comes in as `now`.
import { z } from "zod";
import type { AgentCli, AgentUsage } from "../../events/index.js";

export type AgentItem =
  | { kind: "init"; model?: string }
  | { kind: "text"; text: string }
  | { kind: "turn" }
  /** Usage to add to the attempt's (`total`: the CLI's own total so far, which replaces it). */
  | { kind: "usage"; usage: Partial<AgentUsage>; total?: boolean }
  | { kind: "tool"; name: string; detail: string }
  | { kind: "file"; path: string; change: string }
  /**
   * The CLI retries its API on its own (network down, overloaded). `stalled`: it has given up
   * retrying and waits for the network without end (Codex): peh stops it, a transient failure.
   */
  | { kind: "retry"; detail: string; stalled?: boolean }
  | { kind: "rate_limit"; detail: string; reset_at?: string }
  | { kind: "auth"; detail: string }
  /** A turn or budget limit of the CLI's own. */
  | { kind: "limit"; detail: string }
  | { kind: "result"; is_error: boolean; text: string; turns?: number };

/** What an invocation is given: the task's model, turn limit and dollar budget. */
export interface InvocationOptions {
  model?: string;
  max_turns?: number;
  budget_usd?: number;
}

export interface AgentAdapter {
  cli: AgentCli;
  /** The program run when the user config gives no agent.command. */
  program: string;
  /** Which limits the CLI enforces itself (peh enforces the others from the stream). */
  enforces: { turns: boolean; usd: boolean };
  /** Whether its stream reports what a run cost (Codex and Gemini CLI report tokens only). */
  reportsCost: boolean;
  /** The arguments after the program: non-interactive, machine-readable, the prompt on stdin. */
  args(options: InvocationOptions): string[];
  /** The items one line of output gives (none for a line that is not the CLI's JSON). */
  parse(line: string, now: number): AgentItem[];
  /** What an exit code means beyond failure, where the CLI documents one. */
  exitMeaning?(code: number): AgentItem | undefined;
}

const JsonObject = z.record(z.string(), z.unknown());

/** A line as a JSON object with a string `type`, or undefined (any other line is ignored). */
export function jsonLine(line: string): ({ type: string } & Record<string, unknown>) | undefined {
  const trimmed = line.trim();
  if (!trimmed.startsWith("{")) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch {
    return undefined;
  }
  const parsed = JsonObject.safeParse(value);
  if (!parsed.success || typeof parsed.data.type !== "string") return undefined;
  return parsed.data as { type: string } & Record<string, unknown>;
}

/** Parses with a lenient schema: undefined, never a throw, when the line does not fit. */
export function fit<T>(schema: z.ZodType<T>, value: unknown): T | undefined {
  const parsed = schema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

/** A tool call's input in a line: its command, path or pattern when it has one, else its JSON. */
export function toolDetail(input: unknown): string {
  if (input && typeof input === "object") {
    const fields = input as Record<string, unknown>;
    for (const key of ["command", "file_path", "filePath", "path", "pattern", "url", "query"]) {
      const value = fields[key];
      if (typeof value === "string") return value;
      if (Array.isArray(value)) return value.join(" ");
    }
  }
  const text = input === undefined ? "" : JSON.stringify(input);
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

/** An epoch in seconds or milliseconds, or an ISO date, as an ISO date (undefined if none). */
export function isoOf(when: unknown): string | undefined {
  if (typeof when === "number" && Number.isFinite(when) && when > 0) return new Date(when < 1e12 ? when * 1000 : when).toISOString();
  if (typeof when === "string" && /^\d+$/.test(when)) return isoOf(Number(when));
  if (typeof when === "string" && !Number.isNaN(Date.parse(when))) return new Date(when).toISOString();
  return undefined;
}

/** Words that say the API refused the credentials. */
export const AUTH_WORDS = /not logged in|please run \/login|invalid api key|authentication[_ ]failed|unauthori[sz]ed|\b401\b|invalid x-api-key|api key not valid|login required/i;
/** Words that say a rate or usage limit was hit. */
export const RATE_WORDS = /rate[_ ]limit|usage[_ ]limit|too many requests|\b429\b|quota exceeded|resource[_ ]exhausted/i;
