// Gemini CLI: `gemini --output-format stream-json`, the prompt on stdin (headless when stdin is
// not a terminal). JSONL events, from:
// - docs: geminicli.com/docs/cli/headless ("Streaming JSON output": `init`, `message`,
//   `tool_use`, `tool_result`, `error`, `result`; exit codes 0, 1 = API failure, 42 = input
//   error, 53 = turn limit exceeded);
// - google-gemini/gemini-cli `packages/core/src/output/types.ts` (`init{session_id, model}`,
//   `message{role, content, delta}`, `tool_use{tool_name, tool_id, parameters}`,
//   `error{severity, message}`, `result{status: success|error, error{type, message},
//   stats{input_tokens, output_tokens, cached, tool_calls, duration_ms}}`).
// No cost in the stream, no budget flag: peh enforces a dollar budget only where cost is known.
import { z } from "zod";
import { AUTH_WORDS, fit, jsonLine, RATE_WORDS, toolDetail, type AgentAdapter, type AgentItem } from "./types.js";

const Stats = z.looseObject({ input_tokens: z.number().optional(), output_tokens: z.number().optional(), cached: z.number().optional() });
const Result = z.looseObject({ status: z.string().optional(), error: z.looseObject({ type: z.string().optional(), message: z.string().optional() }).optional(), stats: Stats.optional() });
const Message = z.looseObject({ role: z.string().optional(), content: z.string().optional() });
const ToolUse = z.looseObject({ tool_name: z.string(), parameters: z.unknown().optional() });
const ErrorLine = z.looseObject({ severity: z.string().optional(), message: z.string().optional() });

const EDIT_TOOLS = new Set(["write_file", "replace", "edit"]);

function byWords(message: string): AgentItem[] {
  if (AUTH_WORDS.test(message)) return [{ kind: "auth", detail: message }];
  if (RATE_WORDS.test(message)) return [{ kind: "rate_limit", detail: message }];
  if (/turn limit|max(?:imum)? (?:session )?turns/i.test(message)) return [{ kind: "limit", detail: message }];
  if (/retrying|ECONNRESET|ETIMEDOUT|fetch failed/i.test(message)) return [{ kind: "retry", detail: message }];
  return [];
}

/**
 * Gemini CLI 0.61.0 says some things on stderr only, not in its stream (checked on this machine):
 * no credentials ("Please set an Auth method …", exit 41), and its own retries with the network
 * down ("Attempt 1 failed. Retrying with backoff... Error: exception TypeError: fetch failed").
 */
function stderrItems(raw: string): AgentItem[] {
  if (/^Please set an Auth method/i.test(raw)) return [{ kind: "auth", detail: raw.trim() }];
  if (/^Attempt \d+ failed.*retrying/i.test(raw)) return [{ kind: "retry", detail: raw.trim() }];
  return [];
}

export const gemini: AgentAdapter = {
  cli: "gemini",
  program: "gemini",
  enforces: { turns: false, usd: false },
  reportsCost: false,
  // --skip-trust: peh's own trust gate has decided on the directory; in a folder Gemini does not
  // trust, it overrides --yolo to "default" and a headless run can approve no tool.
  args: (o) => ["--output-format", "stream-json", "--skip-trust", "--yolo", ...(o.model ? ["--model", o.model] : [])],
  parse(raw) {
    const line = jsonLine(raw);
    if (!line) return stderrItems(raw);
    switch (line.type) {
      case "init":
        return [{ kind: "init", ...(typeof line.model === "string" ? { model: line.model } : {}) }];
      case "message": {
        const message = fit(Message, line);
        return message?.role === "assistant" && message.content ? [{ kind: "text", text: message.content }] : [];
      }
      case "tool_use": {
        const tool = fit(ToolUse, line);
        if (!tool) return [];
        const items: AgentItem[] = [{ kind: "turn" }, { kind: "tool", name: tool.tool_name, detail: toolDetail(tool.parameters) }];
        const path = (tool.parameters as { file_path?: unknown } | undefined)?.file_path;
        if (EDIT_TOOLS.has(tool.tool_name) && typeof path === "string") items.push({ kind: "file", path, change: tool.tool_name });
        return items;
      }
      case "error": {
        const error = fit(ErrorLine, line);
        return error?.message ? [{ kind: "text", text: `${error.severity ?? "error"}: ${error.message}` }, ...byWords(error.message)] : [];
      }
      case "result": {
        const result = fit(Result, line);
        if (!result) return [];
        const stats = result.stats;
        const cached = stats?.cached ?? 0;
        const usage: AgentItem = { kind: "usage", total: true, usage: { input_tokens: Math.max(0, (stats?.input_tokens ?? 0) - cached), output_tokens: stats?.output_tokens ?? 0, cached_tokens: cached } };
        if (result.status === "success") return [usage, { kind: "result", is_error: false, text: "" }];
        const message = [result.error?.type, result.error?.message].filter(Boolean).join(": ") || "gemini reported an error";
        return [usage, ...byWords(message), { kind: "result", is_error: true, text: message }];
      }
      default:
        return [];
    }
  },
  // Documented exit codes: 41 FatalAuthenticationError, 53 turn limit exceeded.
  exitMeaning: (code) =>
    code === 53 ? { kind: "limit", detail: "gemini: turn limit exceeded (exit 53)" }
    : code === 41 ? { kind: "auth", detail: "gemini: authentication failed (exit 41)" }
    : undefined,
};
