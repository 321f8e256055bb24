// opencode: `opencode run --format json`, the prompt on stdin (it reads piped stdin as the
// message). NDJSON events, from:
// - docs and code corpora: the "OpenCode `run --format json` Event Cheatsheet" and
//   webboty/agent-shepherd `.agent-shepherd/docs/opencodel-cli-json-format.md`: `step_start`,
//   `text{part{text}}`, `tool_use{part{tool, callID, state{status, input}}}`,
//   `step_finish{part{reason: "stop" | "tool-calls", cost, tokens{input, output, reasoning,
//   cache{read, write}}}}`, `error{error{name, data{message}}}`; the SDK's StepFinishPart type.
// The stream has no result event: a `step_finish` whose reason is `stop` is the final result.
// No turn or budget flag (`opencode run` also auto-approves every permission): peh enforces them.
import { z } from "zod";
import { AUTH_WORDS, fit, jsonLine, RATE_WORDS, toolDetail, type AgentAdapter, type AgentItem } from "./types.js";

const Tokens = z.looseObject({ input: z.number().optional(), output: z.number().optional(), reasoning: z.number().optional(), cache: z.looseObject({ read: z.number().optional(), write: z.number().optional() }).optional() });
const Part = z.looseObject({
  text: z.string().optional(),
  tool: z.string().optional(),
  state: z.looseObject({ status: z.string().optional(), input: z.unknown().optional() }).optional(),
  reason: z.string().optional(),
  cost: z.number().optional(),
  tokens: Tokens.optional(),
});
const ErrorLine = z.looseObject({ error: z.looseObject({ name: z.string().optional(), message: z.string().optional(), data: z.looseObject({ message: z.string().optional(), isRetryable: z.boolean().optional() }).optional() }).optional() });

const EDIT_TOOLS = new Set(["edit", "write", "patch"]);

export const opencode: AgentAdapter = {
  cli: "opencode",
  program: "opencode",
  enforces: { turns: false, usd: false },
  reportsCost: true,
  args: (o) => ["run", "--format", "json", ...(o.model ? ["--model", o.model] : [])],
  parse(raw) {
    const line = jsonLine(raw);
    if (!line) return [];
    const part = fit(Part, line.part);
    switch (line.type) {
      case "step_start":
        return [{ kind: "turn" }];
      case "text":
        return part?.text ? [{ kind: "text", text: part.text }] : [];
      case "tool_use": {
        if (!part?.tool || (part.state?.status !== undefined && part.state.status !== "completed" && part.state.status !== "error")) return [];
        const items: AgentItem[] = [{ kind: "tool", name: part.tool, detail: toolDetail(part.state?.input) }];
        const path = (part.state?.input as { filePath?: unknown } | undefined)?.filePath;
        if (EDIT_TOOLS.has(part.tool) && typeof path === "string") items.push({ kind: "file", path, change: part.tool });
        return items;
      }
      case "step_finish": {
        const tokens = part?.tokens;
        const items: AgentItem[] = [{
          kind: "usage",
          usage: {
            input_tokens: (tokens?.input ?? 0) + (tokens?.cache?.write ?? 0),
            output_tokens: (tokens?.output ?? 0) + (tokens?.reasoning ?? 0),
            cached_tokens: tokens?.cache?.read ?? 0,
            ...(part?.cost === undefined ? {} : { cost_usd: part.cost }),
          },
        }];
        if (part?.reason === "stop") items.push({ kind: "result", is_error: false, text: "" });
        return items;
      }
      case "error": {
        const error = fit(ErrorLine, line)?.error;
        const message = [error?.name, error?.data?.message ?? error?.message].filter(Boolean).join(": ") || "opencode reported an error";
        const why: AgentItem[] =
          /ProviderAuthError/.test(message) || AUTH_WORDS.test(message) ? [{ kind: "auth", detail: message }]
          : RATE_WORDS.test(message) ? [{ kind: "rate_limit", detail: message }]
          // opencode 1.18.33 offline: `APIError: Cannot connect to API: Unable to connect…`, isRetryable.
          : error?.data?.isRetryable === true || /cannot connect to api|unable to connect/i.test(message) ? [{ kind: "retry", detail: message }]
          : [];
        return [...why, { kind: "result", is_error: true, text: message }];
      }
      default:
        return [];
    }
  },
};
