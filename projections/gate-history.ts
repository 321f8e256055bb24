// Pure. The history of the approval gate: who created, asked, approved, modified, clarified or
// rejected which version, when, and what they said.
import type { PehEvent, RiskyTask } from "../events/index.js";
import { grantedWords } from "../machines/grants.js";

export interface GateEntry {
  seq: number;
  at: string;
  actor: string;
  action: "created" | "approval requested" | "approved" | "modified" | "clarification requested" | "rejected" | "changed while executing";
  version: number;
  detail: string;
}

export function gateHistory(events: Iterable<PehEvent>): GateEntry[] {
  const entries: GateEntry[] = [];
  for (const event of events) {
    const base = { seq: event.seq, at: event.at, actor: event.actor };
    switch (event.type) {
      case "PLAN_CREATED":
        entries.push({ ...base, action: "created", version: event.data.plan.version, detail: `planner: ${event.data.planner}` });
        break;
      case "GATE_APPROVAL_REQUESTED": {
        const risky = event.data.risky_tasks.map((r) => r.task_id).join(", ");
        const note = event.data.note ? `answer: ${event.data.note}; ` : "";
        entries.push({ ...base, action: "approval requested", version: event.data.version, detail: `${note}${risky ? `risky: ${risky}` : "no risky tasks"}` });
        break;
      }
      case "GATE_APPROVED": {
        const phrases = confirmed(event.data.confirmations);
        entries.push({ ...base, action: "approved", version: event.data.version, detail: phrases ? `confirmed ${phrases}` : "no risky tasks to confirm" });
        break;
      }
      case "GATE_MODIFIED":
        entries.push({ ...base, action: "modified", version: event.data.plan.version, detail: event.data.change });
        break;
      case "GATE_CLARIFICATION_REQUESTED":
        entries.push({ ...base, action: "clarification requested", version: event.data.version, detail: event.data.question });
        break;
      case "GATE_REJECTED":
        entries.push({ ...base, action: "rejected", version: event.data.version, detail: event.data.reason });
        break;
      case "PLAN_CHANGED":
        entries.push({ ...base, action: "changed while executing", version: event.data.plan.version, detail: `${event.data.change}${event.data.confirmations.length > 0 ? `; confirmed ${confirmed(event.data.confirmations)}` : ""}` });
        break;
      default:
        break;
    }
  }
  return entries;
}

/** `deploy ("deploy to production"), fetch ("fetch"; grants the network)`: each phrase typed, and the rights it granted. */
function confirmed(confirmations: readonly RiskyTask[]): string {
  return confirmations
    .map((c) => {
      const grants = grantedWords(c.grants);
      return `${c.task_id} ("${c.phrase}"${grants ? `; grants ${grants}` : ""})`;
    })
    .join(", ");
}
