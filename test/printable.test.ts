// Task output shown to a reviewer never carries live control characters: the escaping itself, and
// the views that quote task output (the log, the report) on events recorded with raw text in them.
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { PehEventSchema, type PehEvent } from "../events/index.js";
import { logEntries } from "../projections/log-view.js";
import { printable } from "../projections/text/printable.js";
import { renderReport, reportOf } from "../projections/report.js";
import { renderLogLine } from "../cli/render/log.js";

/** Every control character a terminal could obey, but the line feed and the tab. */
const LIVE = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/;

describe("printable", () => {
  it.each([
    ["an OSC title change", "\x1b]0;all tests passed\x07", "\\x1b]0;all tests passed\\x07"],
    ["a CSI screen clear", "secret plan\x1b[2J\x1b[Hnothing to see", "secret plan\\x1b[2J\\x1b[Hnothing to see"],
    ["colours", "\x1b[31mred\x1b[0m \x1b[8mconcealed\x1b[28m", "\\x1b[31mred\\x1b[0m \\x1b[8mconcealed\\x1b[28m"],
    ["a carriage-return overwrite", "rm -rf /data\r            \rok", "rm -rf /data\\r            \\rok"],
    ["a bell", "done\x07", "done\\x07"],
    ["a C1 control sequence introducer", "a\u009b2Jb", "a\\x9b2Jb"],
    ["a right-to-left override", "access \u202eresu\u202c level", "access \\u202eresu\\u202c level"],
    ["a backspace and DEL", "yes\b\b\bno\x7f", "yes\\x08\\x08\\x08no\\x7f"],
  ])("escapes %s visibly", (_, raw, shown) => {
    expect(printable(raw)).toBe(shown);
    expect(printable(raw)).not.toMatch(LIVE);
  });

  it("keeps line feeds and tabs in multi-line text, and escapes line feeds in one line", () => {
    expect(printable("a\tb\nc\r\n")).toBe("a\tb\nc\\r\n");
    expect(printable("a\tb\nc", { oneLine: true })).toBe("a\tb\\nc");
  });

  it("leaves plain text, Unicode included, as it is", () => {
    const text = "✓ build: 3.1s — naïve café 日本 🚀";
    expect(printable(text)).toBe(text);
  });
});

async function recordedRunWith(evidence: string): Promise<PehEvent[]> {
  const text = await readFile(new URL("./fixtures/golden/release.events.jsonl", import.meta.url), "utf8");
  return text
    .trimEnd()
    .split("\n")
    .map((line) => PehEventSchema.parse(JSON.parse(line)))
    .map((event) => {
      // As a log recorded before evidence was escaped at capture holds it.
      if (event.type === "FAILURE_CLASSIFIED") return { ...event, data: { ...event.data, evidence } };
      if (event.type === "RECOVERY_ESCALATION") return { ...event, data: { ...event.data, reason: `invalid input: ${evidence}` } };
      return event;
    });
}

describe("views of task output", () => {
  const hostile = "\x1b]0;approved\x07\x1b[2J\x1b[31mok\x1b[0m\rall good\x07";

  it("peh log prints evidence and reasons escaped, one line per event", async () => {
    const events = await recordedRunWith(hostile);
    const lines = logEntries(events).map((entry) => renderLogLine({ color: false }, entry));
    for (const line of lines) expect(line).not.toMatch(LIVE);
    expect(lines.join("\n").split("\n")).toHaveLength(events.length);
    expect(lines.find((line) => line.includes("FAILURE_CLASSIFIED"))).toContain("\\x1b]0;approved\\x07\\x1b[2J");
  });

  it("peh report prints evidence and reasons escaped", async () => {
    const report = renderReport(reportOf(await recordedRunWith(hostile)));
    expect(report).not.toMatch(LIVE);
    expect(report).toContain("\\x1b[31mok\\x1b[0m\\rall good\\x07");
  });
});
