// Claude Code: `claude -p --output-format stream-json --verbose`, the prompt on stdin.
// Stream format (NDJSON), from:
// - docs: code.claude.com headless / "Run Claude Code programmatically" (stream-json: one JSON
//   object per line, the last the `result` with `total_cost_usd`, `usage`, `num_turns`, `is_error`;
//   summarised at dev.to/aobaworks/claude-code-output-format-json-fields-jq-python-parsing-3edj);
// - the SDKMessage types of @anthropic-ai/claude-agent-sdk `sdk.d.ts` (result subtypes
//   `success | error_max_turns | error_max_budget_usd | error_during_execution`, `assistant.error`,
//   `rate_limit_event.rate_limit_info{status, resetsAt}`, `system/api_retry`), as read in
//   /work/shared/research/agent-workers.md §4;
// - checked on this machine (Claude Code 2.1.197, no login): exit 1, `assistant.error:
//   "authentication_failed"`, a result with subtype "success" and `is_error: true`; with the
//   network down, `system/api_retry` lines (anthropics/claude-code #4048: "Claude AI usage limit
//   reached|<epoch>").
import { z } from "zod";
import { AUTH_WORDS, fit, isoOf, jsonLine, RATE_WORDS, toolDetail, type AgentAdapter, type AgentItem } from "./types.js";

const Usage = z.looseObject({
  input_tokens: z.number().optional(),
  output_tokens: z.number().optional(),
  cache_read_input_tokens: z.number().optional(),
  cache_creation_input_tokens: z.number().optional(),
});
const Result = z.looseObject({
  subtype: z.string().optional(),
  is_error: z.boolean().optional(),
  result: z.unknown().optional(),
  num_turns: z.number().optional(),
  total_cost_usd: z.number().optional(),
  usage: Usage.optional(),
  errors: z.array(z.unknown()).optional(),
});
const Block = z.looseObject({ type: z.string(), name: z.string().optional(), input: z.unknown().optional(), text: z.string().optional() });
const Assistant = z.looseObject({
  error: z.string().optional(),
  message: z.looseObject({ content: z.array(Block).optional() }).optional(),
});
const Retry = z.looseObject({ attempt: z.number().optional(), max_retries: z.number().optional(), error: z.unknown().optional(), error_status: z.unknown().optional() });
const RateLimit = z.looseObject({ rate_limit_info: z.looseObject({ status: z.string().optional(), resetsAt: z.unknown().optional() }).optional() });

const EDIT_TOOLS = new Set(["Write", "Edit", "MultiEdit", "NotebookEdit"]);

function assistant(line: Record<string, unknown>): AgentItem[] {
  const message = fit(Assistant, line);
  if (!message) return [];
  const items: AgentItem[] = [{ kind: "turn" }];
  if (message.error === "authentication_failed" || message.error === "billing_error") items.push({ kind: "auth", detail: `claude: ${message.error}` });
  if (message.error === "rate_limit") items.push({ kind: "rate_limit", detail: "claude: rate_limit" });
  for (const block of message.message?.content ?? []) {
    if (block.type === "text" && block.text) items.push({ kind: "text", text: block.text });
    if (block.type === "tool_use" && block.name) {
      items.push({ kind: "tool", name: block.name, detail: toolDetail(block.input) });
      const path = (block.input as { file_path?: unknown } | undefined)?.file_path;
      if (EDIT_TOOLS.has(block.name) && typeof path === "string") items.push({ kind: "file", path, change: block.name.toLowerCase() });
    }
  }
  return items;
}

function result(line: Record<string, unknown>): AgentItem[] {
  const found = fit(Result, line);
  if (!found) return [];
  const text = typeof found.result === "string" ? found.result : (found.errors ?? []).map(String).join("; ");
  const is_error = found.is_error === true || (found.subtype !== undefined && found.subtype !== "success");
  const items: AgentItem[] = [];
  const usage = found.usage;
  items.push({
    kind: "usage",
    total: true,
    usage: {
      input_tokens: (usage?.input_tokens ?? 0) + (usage?.cache_creation_input_tokens ?? 0),
      output_tokens: usage?.output_tokens ?? 0,
      cached_tokens: usage?.cache_read_input_tokens ?? 0,
      ...(found.total_cost_usd === undefined ? {} : { cost_usd: found.total_cost_usd }),
    },
  });
  if (found.subtype === "error_max_turns" || found.subtype === "error_max_budget_usd") items.push({ kind: "limit", detail: `claude: ${found.subtype}` });
  if (is_error) {
    const limit = /usage limit reached\|(\d+)/i.exec(text);
    if (limit) items.push({ kind: "rate_limit", detail: text, ...(isoOf(Number(limit[1])) ? { reset_at: isoOf(Number(limit[1]))! } : {}) });
    else if (RATE_WORDS.test(text)) items.push({ kind: "rate_limit", detail: text });
    if (AUTH_WORDS.test(text)) items.push({ kind: "auth", detail: text });
  }
  items.push({ kind: "result", is_error, text, ...(found.num_turns === undefined ? {} : { turns: found.num_turns }) });
  return items;
}

export const claude: AgentAdapter = {
  cli: "claude",
  program: "claude",
  enforces: { turns: true, usd: true },
  reportsCost: true,
  args: (o) => [
    "-p", "--output-format", "stream-json", "--verbose",
    ...(o.model ? ["--model", o.model] : []),
    ...(o.max_turns ? ["--max-turns", String(o.max_turns)] : []),
    ...(o.budget_usd ? ["--max-budget-usd", String(o.budget_usd)] : []),
  ],
  parse(raw) {
    const line = jsonLine(raw);
    if (!line) return [];
    switch (line.type) {
      case "system":
        if (line.subtype === "init") return [{ kind: "init", ...(typeof line.model === "string" ? { model: line.model } : {}) }];
        if (line.subtype === "api_retry") {
          const retry = fit(Retry, line);
          return [{ kind: "retry", detail: `API retry ${retry?.attempt ?? "?"}/${retry?.max_retries ?? "?"}${retry?.error_status ? ` (status ${String(retry.error_status)})` : ""}: ${String(retry?.error ?? "unknown")}` }];
        }
        return [];
      case "assistant":
        return assistant(line);
      case "rate_limit_event": {
        const info = fit(RateLimit, line)?.rate_limit_info;
        if (info?.status !== "rejected") return [];
        const reset_at = isoOf(info.resetsAt);
        return [{ kind: "rate_limit", detail: "claude: rate limit rejected", ...(reset_at ? { reset_at } : {}) }];
      }
      case "result":
        return result(line);
      default:
        return [];
    }
  },
};
