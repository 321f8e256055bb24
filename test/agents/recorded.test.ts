// The adapters against what the real CLIs printed on this machine (test/fixtures/agents/recorded/,
// redacted: ids, paths, keys): unauthenticated, or offline, each must be classified as the README
// says — permission for a missing login, transient for a network that is down, never unknown.
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { AgentCli } from "../../events/index.js";
import { ADAPTERS } from "../../runtime/agents/index.js";
import { classifyStream } from "../../runtime/agents/classify-stream.js";
import { AgentStream } from "../../runtime/agents/stream.js";

interface Recorded {
  cli: AgentCli;
  version: string;
  command: string;
  conditions: string;
  /** null: it did not exit on its own (killed after a while; peh's limits decide). */
  exit_code: number | null;
  stdout: string[];
  stderr: string[];
  /** null: nothing in what it printed decides; the exit code's classification applies. */
  expected_class: string | null;
}

const dir = fileURLToPath(new URL("../fixtures/agents/recorded/", import.meta.url));
const recordings = readdirSync(dir).filter((name) => name.endsWith(".json")).map((name) => [name.replace(/\.json$/, ""), JSON.parse(readFileSync(`${dir}${name}`, "utf8")) as Recorded] as const);

/** Every line as peh's process runner gives it (stderr after stdout: the order within each is kept). */
function replay(recorded: Recorded) {
  const stream = new AgentStream(ADAPTERS[recorded.cli]);
  let stopped = false;
  for (const line of [...recorded.stdout, ...recorded.stderr]) {
    if (stream.line(line).stop) {
      stopped = true;
      break;
    }
  }
  return { stopped, report: stream.finish(stopped ? null : recorded.exit_code, (text) => text) };
}

describe("agent adapters › the real CLIs' output, recorded", () => {
  it("has a recording of each CLI", () => {
    expect(new Set(recordings.map(([, r]) => r.cli))).toEqual(new Set(["claude", "codex", "gemini", "opencode"]));
  });

  it.each(recordings)("%s: classified as expected", (_, recorded) => {
    const { report } = replay(recorded);
    const found = classifyStream(report);
    expect(found?.class ?? null, JSON.stringify(report.stop)).toBe(recorded.expected_class);
  });

  it("claude, not logged in: the stream's authentication_failed, whatever its result's subtype says", () => {
    const { report } = replay(recordings.find(([name]) => name === "claude-unauthenticated")![1]);
    expect(report.stop?.kind).toBe("auth");
    expect(report.result).toEqual({ is_error: true, text: "Not logged in · Please run /login" });
  });

  it("codex offline: stopped by peh at its first 'waiting for network', which it would print for ever", () => {
    const recorded = recordings.find(([name]) => name === "codex-offline")![1];
    const { stopped, report } = replay(recorded);
    expect(stopped).toBe(true);
    expect(report.stop).toMatchObject({ kind: "network", detail: expect.stringContaining("waiting for network") });
  });

  it("gemini without credentials: its message is on stderr only, and its exit code 41 says the same", () => {
    const recorded = recordings.find(([name]) => name === "gemini-unauthenticated")![1];
    expect(recorded.stdout).toEqual([]);
    expect(replay(recorded).report.stop?.kind).toBe("auth");
    expect(replay({ ...recorded, stderr: [] }).report.stop).toMatchObject({ kind: "auth", detail: "gemini: authentication failed (exit 41)" });
  });
});
