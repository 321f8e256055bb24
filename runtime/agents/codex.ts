// Codex: `codex exec --json -`, `-` reading the prompt from stdin. JSONL `ThreadEvent`s, from:
// - openai/codex `codex-rs/exec/src/exec_events.rs` and @openai/codex-sdk `index.d.ts`
//   (`thread.started`, `turn.started`, `item.started|updated|completed{item{type: agent_message |
//   command_execution | file_change{changes[{path, kind}]} | mcp_tool_call | error…}}`,
//   `turn.completed{usage{input_tokens, cached_input_tokens, output_tokens}}`,
//   `turn.failed{error{message}}`, `error{message}`); the same shapes in the docs.rs crates
//   codex-codes `io/events.rs` and unified-agent-api-codex `events.rs` (search: docs corpus);
// - failure behaviour: openai/codex #37717 (the exit code reflects protocol health, not the
//   task: 0 after a failed turn), earendil-works/pi #4172 (`usage_limit_reached` with
//   `resets_in_seconds`); checked on this machine with the network down: `error` lines
//   "Reconnecting... n/5", then waiting for the network forever.
// No cost in the stream, no turn or budget flag: peh enforces those from the stream.
import { z } from "zod";
import { AUTH_WORDS, fit, jsonLine, RATE_WORDS, type AgentAdapter, type AgentItem } from "./types.js";

const Usage = z.looseObject({ input_tokens: z.number().optional(), cached_input_tokens: z.number().optional(), output_tokens: z.number().optional() });
const Item = z.looseObject({
  type: z.string(),
  text: z.string().optional(),
  command: z.string().optional(),
  exit_code: z.number().nullable().optional(),
  changes: z.array(z.looseObject({ path: z.string(), kind: z.string().optional() })).optional(),
  server: z.string().optional(),
  tool: z.string().optional(),
  message: z.string().optional(),
});
const Message = z.looseObject({ message: z.string().optional(), error: z.looseObject({ message: z.string().optional() }).optional() });

/** Codex's own words on an error: a usage limit (and when it resets), a login, a reconnect. */
function errorItems(message: string, now: number): AgentItem[] {
  // After its 5 reconnects Codex prints "Reconnecting... waiting for network" for ever: stalled.
  if (/waiting for network/i.test(message)) return [{ kind: "retry", detail: message, stalled: true }];
  if (/reconnecting|stream disconnected/i.test(message)) return [{ kind: "retry", detail: message }];
  if (RATE_WORDS.test(message)) {
    const seconds = /resets_in_seconds"?\s*[:=]\s*(\d+)/i.exec(message)?.[1];
    return [{ kind: "rate_limit", detail: message, ...(seconds ? { reset_at: new Date(now + Number(seconds) * 1000).toISOString() } : {}) }];
  }
  if (AUTH_WORDS.test(message)) return [{ kind: "auth", detail: message }];
  return [];
}

function item(value: unknown): AgentItem[] {
  const found = fit(Item, value);
  if (!found) return [];
  switch (found.type) {
    case "agent_message":
      return found.text ? [{ kind: "text", text: found.text }] : [];
    case "command_execution":
      return [{ kind: "tool", name: "shell", detail: `${found.command ?? ""}${found.exit_code === undefined || found.exit_code === null ? "" : ` (exit ${found.exit_code})`}` }];
    case "file_change":
      return (found.changes ?? []).map((change) => ({ kind: "file", path: change.path, change: change.kind ?? "change" }));
    case "mcp_tool_call":
      return [{ kind: "tool", name: `${found.server ?? "mcp"}.${found.tool ?? "?"}`, detail: "" }];
    case "web_search":
      return [{ kind: "tool", name: "web_search", detail: String((value as { query?: unknown }).query ?? "") }];
    case "error":
      return found.message ? [{ kind: "text", text: `error: ${found.message}` }] : [];
    default:
      return [];
  }
}

export const codex: AgentAdapter = {
  cli: "codex",
  program: "codex",
  enforces: { turns: false, usd: false },
  reportsCost: false,
  args: (o) => ["exec", "--json", "--skip-git-repo-check", ...(o.model ? ["--model", o.model] : []), "-"],
  parse(raw, now) {
    const line = jsonLine(raw);
    if (!line) return [];
    switch (line.type) {
      case "thread.started":
        return [{ kind: "init" }];
      case "turn.started":
        return [{ kind: "turn" }];
      case "item.completed":
        return item(line.item);
      case "turn.completed": {
        const usage = fit(Usage, line.usage);
        // Codex counts cached input inside input_tokens.
        const cached = usage?.cached_input_tokens ?? 0;
        return [
          { kind: "usage", usage: { input_tokens: Math.max(0, (usage?.input_tokens ?? 0) - cached), cached_tokens: cached, output_tokens: usage?.output_tokens ?? 0 } },
          { kind: "result", is_error: false, text: "" },
        ];
      }
      case "turn.failed": {
        const message = fit(Message, line)?.error?.message ?? "the turn failed";
        return [...errorItems(message, now), { kind: "result", is_error: true, text: message }];
      }
      case "error":
        return errorItems(fit(Message, line)?.message ?? "", now);
      default:
        return [];
    }
  },
};
