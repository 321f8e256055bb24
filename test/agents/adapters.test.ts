// The adapters as pure functions: their argv, and their parsers' leniency (any line, never a throw).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { classifyStream } from "../../runtime/agents/classify-stream.js";
import { ADAPTERS, agentCommandLine } from "../../runtime/agents/index.js";
import { AgentStream } from "../../runtime/agents/stream.js";

const clis = ["claude", "codex", "gemini", "opencode"] as const;

describe("agent adapters", () => {
  it("build each CLI's non-interactive invocation, with the model and the limits the CLI has flags for", () => {
    const options = { model: "m1", max_turns: 4, budget_usd: 2 };
    expect(agentCommandLine(ADAPTERS.claude, undefined, options)).toBe("claude -p --output-format stream-json --verbose --model m1 --max-turns 4 --max-budget-usd 2");
    expect(agentCommandLine(ADAPTERS.codex, "/opt/codex", options)).toBe("/opt/codex exec --json --skip-git-repo-check --model m1 -");
    expect(agentCommandLine(ADAPTERS.gemini, undefined, {})).toBe("gemini --output-format stream-json --skip-trust --yolo");
    expect(agentCommandLine(ADAPTERS.opencode, undefined, { model: "anthropic/x y" })).toBe("opencode run --format json --model 'anthropic/x y'");
    expect(agentCommandLine(ADAPTERS.generic, "my-agent -x", options)).toBe("my-agent -x");
    expect(agentCommandLine(ADAPTERS.generic, undefined, options)).toBeUndefined();
  });

  it.each(clis)("%s: any line, JSON or not, gives items or none and never throws", (cli) => {
    const json = fc.jsonValue().map((value) => JSON.stringify(value));
    const typed = fc.record({ type: fc.constantFrom("result", "assistant", "system", "turn.completed", "turn.failed", "error", "item.completed", "init", "message", "tool_use", "step_finish", "text", "rate_limit_event"), part: fc.jsonValue(), item: fc.jsonValue(), usage: fc.jsonValue(), message: fc.jsonValue(), stats: fc.jsonValue(), error: fc.jsonValue() }, { requiredKeys: ["type"] }).map((v) => JSON.stringify(v));
    fc.assert(
      fc.property(fc.oneof(fc.string(), json, typed), (line) => {
        const stream = new AgentStream(ADAPTERS[cli], {}, () => 0);
        expect(typeof stream.line(line).text).toBe("string");
        expect(stream.finish(0, (t) => t).cli).toBe(cli);
      }),
      { numRuns: 300 },
    );
  });

  it("ignores lines it does not know, and a stream without its final result is unknown", () => {
    const stream = new AgentStream(ADAPTERS.claude);
    expect(stream.line('{"type":"something_new","x":1}').text).toBe("");
    expect(stream.line("plain text on stderr").text).toBe("plain text on stderr\n");
    const report = stream.finish(1, (t) => t);
    expect(report.result).toBeNull();
    expect(classifyStream(report)).toMatchObject({ class: "unknown" });
  });

  it("Claude's 'success' that is an error is not a success, and a usage limit's epoch is its reset", () => {
    const stream = new AgentStream(ADAPTERS.claude);
    stream.line(JSON.stringify({ type: "result", subtype: "success", is_error: true, result: "Claude AI usage limit reached|1800000000" }));
    const report = stream.finish(1, (t) => t);
    expect(report.result?.is_error).toBe(true);
    expect(report.stop).toMatchObject({ kind: "rate_limit", reset_at: new Date(1_800_000_000_000).toISOString() });
    expect(classifyStream(report, 1_800_000_000_000 - 5_000)).toMatchObject({ class: "transient", retry_after_ms: 5_000 });
  });

  it("peh stops an agent whose reported cost or turns pass its budget", () => {
    const stream = new AgentStream(ADAPTERS.opencode, { usd: 1 });
    const step = (cost: number) => JSON.stringify({ type: "step_finish", part: { reason: "tool-calls", cost, tokens: { input: 1, output: 1 } } });
    expect(stream.line(step(0.6)).stop).toBeUndefined();
    expect(stream.line(step(0.6)).stop).toMatchObject({ kind: "limit" });
    const turns = new AgentStream(ADAPTERS.codex, { turns: 1 });
    expect(turns.line('{"type":"turn.started"}').stop).toBeUndefined();
    expect(turns.line('{"type":"turn.started"}').stop).toMatchObject({ kind: "limit" });
    expect(classifyStream(turns.finish(null, (t) => t))).toMatchObject({ class: "budget_exceeded" });
  });
});
