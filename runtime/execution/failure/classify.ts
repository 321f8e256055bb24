// Classifies a failed attempt from its exit, timeout and output: the class, the rule that
// matched and the line that matched it (DESIGN §6). Custom rules of the plan come first. It reads
// only what the process printed, never peh's own lines (the `$ command` echo, the `[exit …]`
// footer): a command named check-schema.sh must not make its failure invalid_input. A sandboxed
// attempt's refused write or network (violation.ts) is `permission`, with the grant to ask for.
import type { ClassifyRule, FailureClass } from "../../../events/index.js";
import { printable } from "../../../projections/text/printable.js";
import { UNCONFINED, violationIn, violationRule, type Confinement } from "./violation.js";

export type { Confinement } from "./violation.js";

export interface FailureFacts {
  exit_code: number | null;
  signal: string | null;
  timed_out: boolean;
  stage: "run" | "verify" | "merge";
  /** The files that conflict, when the task's commit did not rebase onto the run's branch. */
  conflicts?: readonly string[];
  /** What the process printed (stdout and stderr, redacted): nothing of peh's own. */
  output: string;
  /** What a timed-out process exceeded (its timeout, or the attempt's task_timeout). */
  limit?: string;
  /** Set when the process did not start: then it printed nothing, and this says why. */
  spawn_error?: { code: string; message: string };
}

export interface Classification {
  class: FailureClass;
  rule: string;
  /** A line the process printed (control characters escaped), or a plain statement of what happened. */
  evidence: string;
  /** How to fix it, when peh knows: the grant a sandboxed attempt lacked. */
  hint?: string;
}

/**
 * An HTTP status among `codes`, but only where the text says it is one: `HTTP 503`, `HTTP/1.1 502`,
 * `HTTP error 504`, `status 503`, `status code: 429`, `"statusCode":503`, `returned 504`,
 * `returned error: 503`, `error 502`. A bare number in prose (`imported 502 rows`,
 * `returned 502 rows`) is not a status.
 */
function httpStatus(codes: string): string {
  const code = `(?:${codes})\\b`;
  return [
    `\\bHTTP(?:/\\d(?:\\.\\d)?)?(?:\\s+(?:error|status))?[\\s:]+${code}`,
    `\\bstatus(?:[ _-]?code)?["']?\\s*[:=]?\\s*${code}`,
    // After a verb, the number must not go on as a count of something ("returned 502 rows").
    `\\b(?:returned|responded with|response(?: code| status)?|error(?: code)?)(?:\\s+error)?[\\s:]+${code}(?![ \\t]+[a-z])`,
  ].join("|");
}

const NETWORK = [
  "\\b(?:ECONNRESET|ETIMEDOUT|ECONNREFUSED|ECONNABORTED|EAI_AGAIN|ENOTFOUND|ENETUNREACH|EHOSTUNREACH|ENETDOWN)\\b",
  // curl's own error numbers: 6 resolve, 7 connect, 28 timeout, 35 TLS connect, 52 empty reply, 56 receive.
  "\\bcurl: \\((?:6|7|28|35|52|56)\\)",
  // curl, wget, git, ssh, npm, psql and Go say these in words.
  "could not resolve host|could not resolve hostname|unable to resolve host|failed to connect|couldn't connect to server",
  "connection refused|connection reset|connection timed out|operation timed out|connection closed by (?:remote|foreign) host",
  "network is unreachable|no route to host|temporary failure in name resolution|name or service not known",
  "socket hang up|tls handshake timeout|i/o timeout|empty reply from server|kex_exchange_identification",
  "temporarily|try again later|\\brate[ -]?limit|too many requests|bad gateway|service unavailable|gateway time-?out",
  httpStatus("429|502|503|504"),
].join("|");

/**
 * The built-in rules, in order: the first rule that matches any line wins, with the last line it
 * matches. Assertions come before validation words: "assertion failed - schema mismatch" is a
 * failed check, not bad input.
 */
const BUILT_IN: { class: FailureClass; rule: string; match: RegExp }[] = [
  { class: "transient", rule: "network or rate limit", match: new RegExp(NETWORK, "i") },
  {
    class: "permission",
    rule: "permission denied",
    match: new RegExp(`\\bEACCES\\b|\\bEPERM\\b|permission denied|access denied|operation not permitted|\\bforbidden\\b|\\bunauthori[sz]ed\\b|${httpStatus("401|403")}`, "i"),
  },
  {
    class: "unrecoverable",
    rule: "missing resource",
    match: new RegExp(`\\bENOENT\\b|\\bENOTDIR\\b|no such file|not a directory|not found|\\b410 gone\\b|${httpStatus("404|410")}`, "i"),
  },
  { class: "logic_error", rule: "assertion failed", match: /assert|\bexpected\b.*\b(?:to|but)\b|\btests? failed\b|\bfailing\b/i },
  { class: "invalid_input", rule: "invalid input", match: /invalid|missing required|usage:|unknown option|unrecognized option|illegal option|schema/i },
];

const LONGEST_EVIDENCE = 300;

/**
 * What a rule is matched against: the line without its escape sequences (a colour code inside
 * `HTTP 503` must not hide it) and with its carriage returns as spaces.
 */
function matchable(line: string): string {
  return line
    .replace(/\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]/g, "")
    .replace(/[\x00-\x08\x0b-\x1f\x7f]/g, " ");
}

/** The evidence a line gives: escaped, and around the match when the line is long. */
function evidenceOf(line: string, pattern?: RegExp): string {
  const shown = printable(line.trim(), { oneLine: true });
  if (shown.length <= LONGEST_EVIDENCE) return shown;
  const at = pattern ? Math.max(0, shown.search(pattern)) : 0;
  const start = Math.max(0, Math.min(at - 100, shown.length - LONGEST_EVIDENCE));
  return `${start > 0 ? "…" : ""}${shown.slice(start, start + LONGEST_EVIDENCE)}${start + LONGEST_EVIDENCE < shown.length ? "…" : ""}`;
}

/**
 * The class of a failed attempt. `confinement` says whether it ran sandboxed and with network
 * (the sandbox's profile of the attempt); unconfined by default, which classifies as before.
 */
export function classify(facts: FailureFacts, custom: readonly ClassifyRule[] = [], confinement: Confinement = UNCONFINED): Classification {
  // A conflict is a fact git reported, not a reading of output: no rule of the plan overrides it.
  if (facts.stage === "merge") return { class: "merge_conflict", rule: "merge conflict", evidence: evidenceOf(`conflicting files: ${(facts.conflicts ?? []).join(", ") || "(git named none)"}`) };
  const lines = facts.output.split("\n").filter((line) => line.trim() !== "");
  const cleaned = lines.map(matchable);
  const find = (pattern: RegExp): string | undefined => {
    for (let i = lines.length - 1; i >= 0; i--) if (pattern.test(cleaned[i]!)) return lines[i];
    return undefined;
  };
  const last = lines.at(-1);
  const printed = (nothing: string) => (last === undefined ? nothing : evidenceOf(last));
  for (const rule of custom) {
    const pattern = new RegExp(rule.match, "i");
    const line = find(pattern);
    if (line) return { class: rule.class, rule: `plan rule /${rule.match}/`, evidence: evidenceOf(line, pattern) };
  }
  if (facts.timed_out) return { class: "transient", rule: "timeout", evidence: facts.limit ?? "the command exceeded its timeout" };
  if (facts.spawn_error) return didNotStart(facts.spawn_error);
  // Before the built-in rules: without network, "could not resolve host" is no transient failure.
  const violation = violationIn(cleaned, lines, confinement);
  if (violation) {
    const { rule, hint } = violationRule(violation);
    const shown = evidenceOf(violation.line, violation.pattern);
    // The path or host is in the evidence, resolved (a relative path printed) when it is not as printed.
    const evidence = violation.target === undefined || shown.includes(violation.target) ? shown : `${violation.target}: ${shown}`;
    return { class: "permission", rule, evidence, hint };
  }
  for (const rule of BUILT_IN) {
    const line = find(rule.match);
    if (line) return { class: rule.class, rule: rule.rule, evidence: evidenceOf(line, rule.match) };
  }
  const silent = facts.stage === "verify" ? "the acceptance test printed nothing" : "the command printed nothing";
  if (facts.exit_code === 126) return { class: "permission", rule: "exit 126 (cannot execute)", evidence: printed(silent) };
  if (facts.exit_code === 127) return { class: "unrecoverable", rule: "exit 127 (command not found)", evidence: printed(silent) };
  if (facts.exit_code === 2) return { class: "invalid_input", rule: "exit 2 (usage)", evidence: printed(silent) };
  if (facts.stage === "verify") return { class: "logic_error", rule: "acceptance test failed", evidence: printed(silent) };
  if (facts.exit_code !== null && facts.exit_code !== 0) return { class: "logic_error", rule: `exit ${facts.exit_code}`, evidence: printed(silent) };
  if (facts.signal !== null) return { class: "unknown", rule: "killed by a signal", evidence: `killed by ${facts.signal}` };
  return { class: "unknown", rule: "no rule matched", evidence: printed(silent) };
}

/** A process that never started printed nothing: peh's own account of why is the evidence. */
function didNotStart(error: { code: string; message: string }): Classification {
  const evidence = evidenceOf(error.message);
  if (error.code === "ENOENT" || error.code === "ENOTDIR") return { class: "unrecoverable", rule: `did not start (${error.code})`, evidence };
  if (error.code === "EACCES" || error.code === "EPERM") return { class: "permission", rule: `did not start (${error.code})`, evidence };
  return { class: "unknown", rule: `did not start (${error.code})`, evidence };
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
