// Classifies a failed attempt from its exit, timeout and output: the class, the rule that
// matched and the line that matched it (DESIGN §6). Custom rules of the plan come first.
import type { ClassifyRule, FailureClass } from "../../events/index.js";

export interface FailureFacts {
  exit_code: number | null;
  signal: string | null;
  timed_out: boolean;
  stage: "run" | "verify";
  output: string;
  /** What a timed-out process exceeded (its timeout, or the attempt's task_timeout). */
  limit?: string;
}

export interface Classification {
  class: FailureClass;
  rule: string;
  evidence: string;
}

const BUILT_IN: { class: FailureClass; rule: string; match: RegExp }[] = [
  { class: "transient", rule: "network or rate limit", match: /ECONNRESET|ETIMEDOUT|ECONNREFUSED|EAI_AGAIN|\b429\b|\b50[234]\b|temporarily|try again later|rate.?limit/i },
  { class: "permission", rule: "permission denied", match: /EACCES|EPERM|\b401\b|\b403\b|permission denied|access denied|forbidden|unauthorized/i },
  { class: "unrecoverable", rule: "missing resource", match: /ENOENT|ENOTDIR|no such file|not a directory|not found|\b404\b|\b410\b/i },
  { class: "invalid_input", rule: "invalid input", match: /invalid|missing required|usage:|unknown option|schema/i },
  { class: "logic_error", rule: "assertion failed", match: /assert|expected .* (to|but)|test(s)? failed|failing/i },
];

export function classify(facts: FailureFacts, custom: readonly ClassifyRule[] = []): Classification {
  const lines = facts.output.split("\n").filter((line) => line.trim() !== "");
  const find = (pattern: RegExp) => [...lines].reverse().find((line) => pattern.test(line));
  for (const rule of custom) {
    const line = find(new RegExp(rule.match, "i"));
    if (line) return { class: rule.class, rule: `plan rule /${rule.match}/`, evidence: line.trim().slice(0, 300) };
  }
  if (facts.timed_out) return { class: "transient", rule: "timeout", evidence: facts.limit ?? "the command exceeded its timeout" };
  for (const rule of BUILT_IN) {
    const line = find(rule.match);
    if (line) return { class: rule.class, rule: rule.rule, evidence: line.trim().slice(0, 300) };
  }
  if (facts.exit_code === 126) return { class: "permission", rule: "exit 126 (cannot execute)", evidence: lines.at(-1)?.trim() ?? "exit 126" };
  if (facts.exit_code === 127) return { class: "unrecoverable", rule: "exit 127 (command not found)", evidence: lines.at(-1)?.trim() ?? "exit 127" };
  if (facts.exit_code === 2) return { class: "invalid_input", rule: "exit 2 (usage)", evidence: lines.at(-1)?.trim() ?? "exit 2" };
  if (facts.stage === "verify") return { class: "logic_error", rule: "acceptance test failed", evidence: lines.at(-1)?.trim() ?? "" };
  if (facts.exit_code !== null && facts.exit_code !== 0) return { class: "logic_error", rule: `exit ${facts.exit_code}`, evidence: lines.at(-1)?.trim() ?? "" };
  if (facts.signal !== null) return { class: "unknown", rule: "killed by a signal", evidence: `killed by ${facts.signal}` };
  return { class: "unknown", rule: "no rule matched", evidence: lines.at(-1)?.trim() ?? "" };
}

/**
 * A server's `Retry-After` in the output (seconds, or an HTTP date), as the wait in milliseconds;
 * the last one wins. Undefined when the output has none.
 */
export function retryAfterMs(output: string, now: number = Date.now()): number | undefined {
  const found = [...output.matchAll(/retry-after:?\s*([^\r\n]+)/gi)].at(-1)?.[1]?.trim();
  if (found === undefined) return undefined;
  if (/^\d+$/.test(found)) return Number(found) * 1_000;
  const at = Date.parse(found);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
