// Classifies a failed agent attempt by what its stream said, before its exit code is looked at
// (runtime/execution/failure/classify.ts): the agent CLIs exit 0 on a failed turn (Codex) and 1 on a
// "success" that is an error (Claude). Undefined: the stream said nothing that decides.
import type { AgentReport, FailureClass } from "../../events/index.js";

export interface StreamClassification {
  class: FailureClass;
  rule: string;
  evidence: string;
  /** A rate limit's reset: the retry waits until then. */
  retry_after_ms?: number;
  /** A rate or usage limit (recorded on FAILURE_CLASSIFIED: its retries count once against the budget). */
  rate_limit?: { reset_at?: string };
}

export function classifyStream(report: AgentReport | undefined, now: number = Date.now()): StreamClassification | undefined {
  const stop = report?.stop;
  if (!report || !stop) return undefined;
  const evidence = stop.detail.slice(0, 300);
  switch (stop.kind) {
    case "auth":
      return { class: "permission", rule: `${report.cli}: authentication failed`, evidence };
    case "rate_limit": {
      const at = stop.reset_at === undefined ? Number.NaN : Date.parse(stop.reset_at);
      return {
        class: "transient",
        rule: `${report.cli}: rate limit${stop.reset_at ? ` (resets ${stop.reset_at})` : ""}`,
        evidence,
        ...(Number.isNaN(at) ? {} : { retry_after_ms: Math.max(0, at - now) }),
        rate_limit: Number.isNaN(at) ? {} : { reset_at: new Date(at).toISOString() },
      };
    }
    case "network":
      return { class: "transient", rule: `${report.cli}: network retries`, evidence };
    case "idle":
      return { class: "transient", rule: "idle timeout", evidence };
    case "limit":
      return { class: "budget_exceeded", rule: `${report.cli}: turn or budget limit`, evidence };
    case "no_result":
      return { class: "unknown", rule: `${report.cli}: no final result`, evidence };
    case "error":
      return undefined;
  }
}
