// One attempt's agent stream, folded line by line: each line of the CLI's output becomes what the
// attempt's log shows (readable lines for the CLI's JSON, other lines as they came), and the
// items add up to the attempt's AgentReport. A budget peh enforces is checked as usage arrives.
import type { AgentReport, AgentStop, Budget } from "../../events/index.js";
import type { AgentAdapter, AgentItem } from "./types.js";

const LONGEST_TEXT = 2_000;

const oneLine = (text: string, max = 300) => {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > max ? `${line.slice(0, max)}…` : line;
};

export class AgentStream {
  private readonly report: AgentReport;
  private lastText = "";
  private ownTurns = 0;

  constructor(
    private readonly adapter: AgentAdapter,
    private readonly budget: Budget = {},
    private readonly now: () => number = Date.now,
  ) {
    this.report = { cli: adapter.cli, usage: { input_tokens: 0, output_tokens: 0, cached_tokens: 0, cost_usd: null }, turns: 0, tool_calls: 0, files_changed: [], result: null };
  }

  /** Whether the CLI's own JSON is parsed (the generic adapter keeps the output as it is). */
  get parses(): boolean {
    return this.adapter.cli !== "generic";
  }

  /**
   * The log's text for one line of output (without its newline), and whether peh must stop the
   * process: a budget it enforces is spent.
   */
  line(raw: string): { text: string; stop?: AgentStop } {
    const items = this.adapter.parse(raw, this.now());
    if (items.length === 0) return { text: raw.trim().startsWith("{") && this.parses ? "" : `${raw}\n` };
    const shown = items.map((item) => this.fold(item)).filter((text) => text !== "");
    // A CLI that waits for the network for ever is stopped: its stop says so (network).
    const stalled = items.some((item) => item.kind === "retry" && item.stalled) ? this.report.stop : undefined;
    const stop = this.overBudget() ?? stalled;
    if (stop) this.report.stop ??= stop;
    return { text: shown.map((text) => `${text}\n`).join(""), ...(stop ? { stop } : {}) };
  }

  /** Something peh saw end the attempt (idle, its own budget stop), unless the stream said why already. */
  stopped(stop: AgentStop): void {
    this.report.stop ??= stop;
  }

  /** The report once the process has ended: its exit code adds what the CLI documents. */
  finish(exit_code: number | null, redact: (text: string) => string): AgentReport {
    if (exit_code !== null) {
      const meaning = this.adapter.exitMeaning?.(exit_code);
      if (meaning) this.fold(meaning);
    }
    const report = structuredClone(this.report);
    if (report.turns === 0) report.turns = this.ownTurns;
    if (report.result) {
      const text = report.result.text || this.lastText;
      report.result = { is_error: report.result.is_error, text: redact(text.slice(0, LONGEST_TEXT)) };
      if (report.result.is_error) report.stop ??= { kind: "error", detail: redact(oneLine(text)) || "the agent's final result is an error" };
    } else {
      report.stop ??= { kind: "no_result", detail: `the ${this.adapter.cli} stream ended without its final result` };
    }
    if (report.stop) report.stop = { ...report.stop, detail: redact(report.stop.detail) };
    return report;
  }

  private overBudget(): AgentStop | undefined {
    const { usd, turns } = this.budget;
    const spent = this.report.usage.cost_usd;
    if (usd !== undefined && spent !== null && spent > usd) return { kind: "limit", detail: `the budget of $${usd} is spent ($${spent.toFixed(4)})` };
    const taken = Math.max(this.report.turns, this.ownTurns);
    if (turns !== undefined && taken > turns) return { kind: "limit", detail: `the budget of ${turns} turns is spent (${taken})` };
    return undefined;
  }

  /** Adds one item to the report; returns its readable line ("" for none). */
  private fold(item: AgentItem): string {
    const r = this.report;
    switch (item.kind) {
      case "init":
        if (item.model) r.model = item.model;
        return `[${r.cli}] started${item.model ? ` (model ${item.model})` : ""}`;
      case "text":
        this.lastText = item.text;
        return item.text.length > LONGEST_TEXT ? `${item.text.slice(0, LONGEST_TEXT)}…` : item.text;
      case "turn":
        this.ownTurns++;
        return "";
      case "usage": {
        const u = item.usage;
        if (item.total) {
          r.usage = { input_tokens: u.input_tokens ?? 0, output_tokens: u.output_tokens ?? 0, cached_tokens: u.cached_tokens ?? 0, cost_usd: u.cost_usd ?? r.usage.cost_usd };
        } else {
          r.usage.input_tokens += u.input_tokens ?? 0;
          r.usage.output_tokens += u.output_tokens ?? 0;
          r.usage.cached_tokens += u.cached_tokens ?? 0;
          if (u.cost_usd !== undefined && u.cost_usd !== null) r.usage.cost_usd = (r.usage.cost_usd ?? 0) + u.cost_usd;
        }
        return "";
      }
      case "tool":
        r.tool_calls++;
        return `[${r.cli}] tool ${item.name}${item.detail ? `: ${oneLine(item.detail)}` : ""}`;
      case "file":
        if (!r.files_changed.includes(item.path)) r.files_changed.push(item.path);
        return `[${r.cli}] file ${item.change}: ${item.path}`;
      case "retry":
        r.stop = { kind: "network", detail: oneLine(item.detail) };
        return `[${r.cli}] retrying: ${oneLine(item.detail)}`;
      case "rate_limit":
        {
          // A later line without a reset time (the final error) keeps the reset an earlier one gave.
          const reset_at = item.reset_at ?? (r.stop?.kind === "rate_limit" ? r.stop.reset_at : undefined);
          r.stop = { kind: "rate_limit", detail: oneLine(item.detail), ...(reset_at ? { reset_at } : {}) };
        }
        return `[${r.cli}] rate limited${item.reset_at ? ` until ${item.reset_at}` : ""}: ${oneLine(item.detail)}`;
      case "auth":
        r.stop = { kind: "auth", detail: oneLine(item.detail) };
        return `[${r.cli}] not authenticated: ${oneLine(item.detail)}`;
      case "limit":
        r.stop = { kind: "limit", detail: oneLine(item.detail) };
        return `[${r.cli}] limit reached: ${oneLine(item.detail)}`;
      case "result": {
        r.result = { is_error: item.is_error, text: item.text };
        if (item.turns !== undefined) r.turns = item.turns;
        // A final result that is not an error ends the worries of the lines before it (a retry that worked).
        if (!item.is_error && (r.stop?.kind === "network" || r.stop?.kind === "rate_limit")) delete r.stop;
        const u = r.usage;
        return `[${r.cli}] result: ${item.is_error ? "error" : "ok"}${item.text ? ` — ${oneLine(item.text, 200)}` : ""}\n[${r.cli}] usage: ${u.input_tokens} in, ${u.output_tokens} out, ${u.cached_tokens} cached tokens${u.cost_usd === null ? "" : `, $${u.cost_usd.toFixed(4)}`}`;
      }
    }
  }
}
